"""The enterprises service: the SME database (中小企业数据库), one file per enterprise (一企一档).

The class is the nameko adapter: each entrypoint opens a transaction and calls a use case of
:mod:`services.enterprises.use_cases` (one enterprise's file, a provincial roll-out, expired awards).
"""
import structlog
from marshmallow import ValidationError, fields

from chassis import keyset
from chassis.contracts import schema_instance
from chassis.db import Database
from chassis.errors import ValidationFailed, loaded as load
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.provinces import ingests
from chassis.rpc import rpc
from chassis.timers import every
from reference import credit_codes
from services.enterprises import criteria as criteria_rules
from services.enterprises import domain, provincial, schemas, store
from services.enterprises.use_cases import bulk, profiles, tiers

log = structlog.get_logger(__name__)

MAX_USCC_PAGE = 10_000
MAX_SEARCH_PAGE = 1000
MAX_HISTORY_PAGE = 100
TIER_SWEEP_SECONDS = 3600


def load_within(within):
    """The caller's region prefix (None: everywhere), checked."""
    if within is None:
        return None
    return load(schemas.SearchFilters, {"region_prefix": within}, "region scope")["region_prefix"]


def normal_uscc(uscc):
    """A USCC as stored: compact and upper case (see :mod:`reference.credit_codes`)."""
    return credit_codes.compact(uscc)


class EnterprisesService:
    """Owns SME profiles: who an enterprise is, its size class and tiers, and which meet criteria."""

    name = "enterprises"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox(schemas.EVENTS)
    inbox = Inbox()

    def _profile(self, tx, uscc, lock=False):
        return profiles.profile(tx, uscc, lock)

    # -- the file of one enterprise ---------------------------------------------------

    @rpc
    def register(self, registration, actor=None):
        """Register an SME (建档); emits ``enterprise.registered``. Used by the gateway and provinces.

        Size class is computed from the figures; a taken USCC is a ``Conflict``
        (the same answer wherever the enterprise is registered). Tiers it is
        registered with must be the ``actor``'s to award.
        """
        on = domain.today()
        new = profiles.new_registration(registration, actor, on)
        with self.db.transaction() as tx:
            profile = profiles.register(tx, self.outbox, new, on)
        log.info("enterprise_registered", uscc=profile["uscc"], region_code=profile["region_code"],
                 size_class=profile["size_class"])
        return schema_instance(schemas.Enterprise).dump(domain.view(profile, on))

    @rpc
    def get(self, uscc):
        """One enterprise's profile by USCC, contact data included; ``NotFound`` if there is none."""
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
        return schema_instance(schemas.Enterprise).dump(domain.view(profile, domain.today()))

    @rpc
    def update(self, uscc, change, within=None, actor=None):
        """Change a profile (the gateway has checked which fields the caller may change).

        ``within``: the caller's region prefix; an enterprise outside it is
        ``NotFound``, word for word as one that does not exist, and a move
        outside it is ``Forbidden``. ``actor`` (role, scope, subject) must be
        the issuing authority of the tiers it changes, and may change figures of
        years before the last completed one only as an administrator, with a
        reason (:mod:`authority`). A change that changes nothing is refused.
        Figures re-settle the size class. Every change is kept in the profile's
        history with its actor and reason. Emits ``enterprise.updated`` with the
        changed fields, ``enterprise.tier_changed`` when the awards change and
        ``enterprise.size_class_changed`` when the class moves.
        """
        data = load(schemas.EnterpriseChange, change, "enterprise change")
        scope = load_within(within)
        on = domain.today()
        with self.db.transaction() as tx:
            profile, changed = profiles.update(tx, self.outbox, uscc, data, scope, actor, on)
        log.info("enterprise_updated", uscc=profile["uscc"], changed=sorted(changed))
        return schema_instance(schemas.Enterprise).dump(domain.view(profile, on))

    @rpc
    def history(self, uscc, limit=20, offset=0):
        """The profile's history (who changed what, when and why), newest first: ``{"items", "total"}``."""
        limit, offset = max(1, min(int(limit), MAX_HISTORY_PAGE)), max(0, int(offset))
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
            rows, total = store.changes(tx, profile["uscc"], limit, offset)
        return {"items": schema_instance(schemas.ProfileChange, many=True).dump(rows), "total": total}

    @rpc
    def portrait(self, uscc):
        """精准画像 of one enterprise: size class and row, active tiers, industry, region chain,
        figures trend. The gateway adds its requests and the policies it matches."""
        on = domain.today()
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
        return domain.jsonable(domain.portrait(profile, on))

    @rpc
    def size_class_as_of(self, uscc, as_of):
        """The size class on a date (e.g. a contract date under the prompt-payment rules)."""
        try:
            day = fields.Date().deserialize(as_of)
        except ValidationError as exc:
            raise ValidationFailed("as_of is not a date", {"as_of": exc.messages}) from None
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
        answer = domain.size_class_as_of(profile, day)
        return schema_instance(schemas.SizeClassAsOf).dump(
            dict(answer, uscc=profile["uscc"], region_code=profile["region_code"]))

    # -- which enterprises --------------------------------------------------------------

    @rpc
    def search(self, filters, limit=20, offset=0, within=None, cursor=None):
        """One page of enterprises by region, industry, size class, tier, tag and name substring,
        in the order of ``sort``, then by USCC.

        ``{"items", "total", "page", "next_cursor"}``; ``within`` limits it to the caller's region
        prefix. A page starts at ``offset``, or after the row ``cursor`` names (keyset): the
        ``next_cursor`` of the page before, given out for the same filters.
        """
        data = load(schemas.SearchFilters, filters, "search")
        limit, offset = max(1, min(int(limit), MAX_SEARCH_PAGE)), max(0, int(offset))
        order = store.ORDERS[data["sort"]]
        start = keyset.decode(cursor, order, data) if cursor else keyset.Start(page=offset // limit + 1)
        with self.db.transaction() as tx:
            rows, total = store.search(tx, criteria_rules.from_search(data), data.get("name"), order,
                                       limit + 1, offset, domain.today(), load_within(within), start.position)
        rows, next_cursor = keyset.page_of(order, rows, limit, data, start)
        return {"items": schema_instance(schemas.EnterpriseSummary, many=True).dump(rows), "total": total,
                "page": start.page, "next_cursor": next_cursor}

    @rpc
    def count_matching(self, criteria, within=None):
        """How many enterprises meet the criteria (optionally within a region prefix)."""
        data = load(schemas.Criteria, criteria, "criteria")
        with self.db.transaction() as tx:
            return store.count_matching(tx, data, domain.today(), load_within(within))

    @rpc
    def matching_usccs(self, criteria, after_uscc=None, limit=1000, within=None):
        """One page of the enterprises meeting the criteria, in USCC order:
        ``{"usccs", "region_codes", "next_after"}`` (``region_codes`` parallel to ``usccs``).

        Pass ``next_after`` back as ``after_uscc`` for the next page; it is None
        on the last page. The policy push streams its recipients this way, a
        page at a time, never one call per enterprise.
        """
        data = load(schemas.Criteria, criteria, "criteria")
        limit = max(1, min(int(limit), MAX_USCC_PAGE))
        with self.db.transaction() as tx:
            rows = store.matching_page(tx, data, domain.today(),
                                       normal_uscc(after_uscc) if after_uscc else None,
                                       limit, load_within(within))
        usccs = [uscc for uscc, _ in rows]
        return {"usccs": usccs, "region_codes": [region for _, region in rows],
                "next_after": usccs[-1] if len(usccs) == limit else None}

    @rpc
    def explain(self, uscc, criteria):
        """Whether one enterprise meets the criteria, each criterion with its verdict and the
        enterprise's value: ``{"matches", "criteria": [{criterion, passed, required, actual}]}``."""
        data = load(schemas.Criteria, criteria, "criteria")
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
        return criteria_rules.explain(data, profile, domain.today())

    @rpc
    def matches(self, uscc, criteria_by_id):
        """Which of several criteria (by id, e.g. policies) the enterprise meets: the ids."""
        loaded = self._criteria_by_id(criteria_by_id)
        with self.db.transaction() as tx:
            profile = self._profile(tx, uscc)
        return criteria_rules.met(loaded, profile, domain.today())

    @rpc
    def matches_each(self, usccs, criteria_by_id):
        """:meth:`matches` for several enterprises at once: ``{uscc: [ids met]}``, as each USCC was
        asked, an enterprise that is not on record left out."""
        loaded = self._criteria_by_id(criteria_by_id)
        if not isinstance(usccs, (list, tuple)):
            raise ValidationFailed("usccs must be a list", {"usccs": ["expected a list"]})
        on, found = domain.today(), {}
        with self.db.transaction() as tx:
            for uscc in usccs:
                profile = store.load_profile(tx, normal_uscc(uscc))
                if profile is not None:
                    found[uscc] = criteria_rules.met(loaded, profile, on)
        return found

    @staticmethod
    def _criteria_by_id(criteria_by_id):
        """Criteria by id (e.g. policies), each loaded with the ``Criteria`` contract; every
        invalid one reported at once."""
        if not isinstance(criteria_by_id, dict):
            raise ValidationFailed("criteria_by_id must map ids to criteria",
                                   {"criteria_by_id": ["expected an object"]})
        loaded, problems = {}, {}
        for key, each in criteria_by_id.items():
            try:
                loaded[key] = schema_instance(schemas.Criteria).load(each)
            except ValidationError as exc:
                problems[str(key)] = exc.messages
        if problems:
            raise ValidationFailed("some criteria are invalid", problems)
        return loaded

    # -- bulk ---------------------------------------------------------------------------

    @rpc
    def import_enterprises(self, content, format, within=None, actor=None):
        """Register many enterprises from JSON lines or CSV (a provincial roll-out).

        Good rows are stored in one set-based step, each with its figures,
        tiers and ``enterprise.registered`` event; each bad row is reported
        with its line and the problems by field. ``within`` rejects rows
        outside the caller's region, and rows with tiers the ``actor`` does not
        award are rejected too.
        """
        load(schemas.ImportBatch, {"format": format, "content": content}, "import")
        on = domain.today()
        rows, rejected, received = bulk.read_rows(content, format, load_within(within), actor, on)
        stored = set()
        if rows:
            with self.db.transaction() as tx:
                stored, taken = bulk.store_rows(tx, self.outbox, rows, on)
            rejected += taken
        rejected.sort(key=lambda rejection: rejection["line"])
        log.info("enterprises_imported", received=received, stored=len(stored), rejected=len(rejected))
        return {"received": received, "stored": len(stored), "rejected": rejected}

    # -- provinces ----------------------------------------------------------------------

    @ingests(schemas.ENTERPRISE_UPSERTED, batch=True)
    def ingest_provincial_enterprises(self, events):
        """Provincial registries' SME profiles and yearly figures, in batches (a registry sends many):
        each registered if new, else updated (see :mod:`services.enterprises.provincial`)."""
        with self.db.transaction() as tx:
            return provincial.upsert_enterprises(tx, self.outbox, self.inbox, events, domain.today())

    # -- time ---------------------------------------------------------------------------

    @every("TIER_SWEEP_INTERVAL", TIER_SWEEP_SECONDS)
    @rpc
    def announce_expired_tiers(self):
        """Announce awards that have expired (``enterprise.tier_changed``, reason ``expired``).

        Runs hourly in every replica; each expiry is announced once.
        """
        on, announced = domain.today(), 0
        while True:
            with self.db.transaction() as tx:
                claimed, batch = tiers.announce_expired(tx, self.outbox, on)
            announced += batch
            if not claimed:
                break
        if announced:
            log.info("tier_expiries_announced", enterprises=announced)
        return announced
