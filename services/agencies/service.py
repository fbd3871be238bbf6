"""The agencies service: who serves whom on the network, and three of its libraries.

It owns the agency hierarchy and service stations with their service guides
("six publics"), routing (which agency answers for a place and a service
area), the basic-information library (policies, laws, experts, FAQs), the
quality service-provider library and the service product and case library,
and the library search. The gateway and the enterprises service (policies for
a portrait) call it over RPC; the requests service keeps its own copy of the
hierarchy and the guides' time limits from ``agency.*`` and ``guide.published``
(filled once from :meth:`AgenciesService.agency_snapshot`) and routes over it
with the same rule (``route_among`` in :mod:`services.agencies.contract.routing`).

The class is the nameko adapter only: each entrypoint opens a transaction and
calls a use case of :mod:`services.agencies.use_cases`, one module per
sub-domain (the hierarchy and guides, policies, the other library entries, the
provider library).
"""
from datetime import datetime

import structlog
from marshmallow import ValidationError

from chassis.contracts import schema_instance
from chassis.db import Database
from chassis.events import PermanentFailure, handles
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.provinces import ingests
from chassis.rpc import rpc
from chassis.timers import every
from reference import china_time

from services.agencies import providers, provincial, schemas
from services.agencies.capacity_entrypoints import CapacityAndScoring
from services.agencies.use_cases import batches, entry_library, hierarchy, policy_library, provider_library
from services.requests.schemas import RequestRated

log = structlog.get_logger(__name__)

POLICY_EXPIRY_SECONDS = 300


class AgenciesService(CapacityAndScoring):
    """Owns the agency hierarchy, service stations, guides and the service libraries, and the
    agencies' capacity, staff and scoring (:mod:`capacity_entrypoints`)."""

    name = "agencies"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox(schemas.EVENTS)
    inbox = Inbox()

    def _in_transaction(self, use_case, *args):
        with self.db.transaction() as tx:
            return use_case(tx, *args)

    # -- agencies (hierarchy.py) -------------------------------------------------

    @rpc
    def get(self, agency_id):
        """One agency by id; ``NotFound`` if there is none."""
        return hierarchy.view(self._in_transaction(hierarchy.agency, agency_id))

    @rpc
    def list_agencies(self, filters, limit, offset):
        """A page of agencies (``{"items", "total"}``) filtered by level, region prefix, parent, area, park."""
        return self._in_transaction(hierarchy.list_agencies, filters, limit, offset)

    @rpc
    def create_agency(self, data):
        """Add an agency or service station under a parent covering its region; emits ``agency.created``."""
        row = self._in_transaction(hierarchy.create_agency, self.outbox, data)
        log.info("agency_created", agency_id=row["id"], level=row["level"], region_code=row["region_code"])
        return hierarchy.view(row)

    @rpc
    def update_agency(self, agency_id, changes):
        """Rename, re-parent, (de)activate an agency or change its areas; emits ``agency.updated``.

        A new parent must cover the agency's region and sit above it; a move
        that would put the agency under itself is refused as a cycle.
        """
        return hierarchy.view(self._in_transaction(hierarchy.update_agency, self.outbox, agency_id, changes))

    @rpc
    def generate_skeleton(self):
        """Load the national skeleton from GB/T 2260 (idempotent); emits ``agency.created`` per new agency."""
        created, total = self._in_transaction(hierarchy.generate_skeleton, self.outbox)
        log.info("skeleton_loaded", created=len(created), total=total)
        return {"created": len(created), "total": total}

    @rpc
    def route(self, region_code, service_area, park=None):
        """The agency responsible for a region (and park) in a service area, with the reasoning.

        ``{"agency": {...}, "explanation": [{"agency_id", "name", "level", "skipped", "reason"}]}``;
        ``NotFound`` when no agency covers the place in that area.
        """
        return self._in_transaction(hierarchy.route, region_code, service_area, park)

    @rpc
    def escalation_target(self, agency_id):
        """Where a stalled matter goes: the agency's parent, or None at national level."""
        return self._in_transaction(hierarchy.escalation_target, agency_id)

    @rpc
    def get_guide(self, agency_id):
        """The agency's published service guide (六公开), with the commitment, covenant and certifications
        of its latest capacity record and its honours; ``NotFound`` when it has none."""
        return self._in_transaction(hierarchy.get_guide, agency_id, china_time.today())

    @rpc
    def publish_guide(self, agency_id, content, actor):
        """Publish a new version of the agency's guide; every item's area must be one it offers."""
        return self._in_transaction(hierarchy.publish_guide, self.outbox, agency_id, content, actor)

    @rpc
    def agency_snapshot(self):
        """Every agency and every guide's time limits as they are now (:class:`schemas.AgencySnapshot`):
        what the requests service fills its copy from on its first start."""
        return self._in_transaction(hierarchy.snapshot)

    @rpc
    def guide_time_limits(self, agency_id, service_area):
        """``{"accept_days", "resolve_days"}`` the agency's guide commits to in an area, or None."""
        return self._in_transaction(hierarchy.guide_time_limits, agency_id, service_area)

    # -- policies (policy_library.py) ---------------------------------------------

    @rpc
    def create_policy(self, data):
        """Draft a policy for the publishing agency's region."""
        return self._in_transaction(policy_library.create, data)

    @rpc
    def update_policy(self, policy_id, changes):
        """Change a draft policy."""
        return self._in_transaction(policy_library.update, policy_id, changes)

    @rpc
    def get_policy(self, policy_id):
        """One policy; ``NotFound`` if there is none."""
        return self._in_transaction(policy_library.get, policy_id)

    @rpc
    def list_policies(self, filters, limit, offset):
        """A page of policies.

        ``filters``: states (list), area, region (applies to), within (scope prefix), agency_id,
        published (true: ever published, which the public may see; false: never published).
        """
        return self._in_transaction(policy_library.list_policies, filters, limit, offset)

    @rpc
    def publish_policy(self, policy_id):
        """Publish a draft: it reaches SMEs through ``policy.published`` (政策直享)."""
        row = self._in_transaction(policy_library.publish, self.outbox, policy_id, china_time.today())
        log.info("policy_published", policy_id=policy_id, region_code=row["region_code"])
        return schema_instance(schemas.Policy).dump(row)

    @rpc
    def withdraw_policy(self, policy_id, reason):
        """Withdraw a draft or published policy; a published one emits ``policy.withdrawn``."""
        return self._in_transaction(policy_library.withdraw, self.outbox, policy_id, reason)

    @rpc
    def expire_due_policies(self):
        """Expire every published policy past its expiry date; emits ``policy.expired`` each. Returns how many."""
        expired = self._in_transaction(policy_library.expire_due, self.outbox, china_time.today())
        if expired:
            log.info("policies_expired", count=len(expired))
        return len(expired)

    @every("POLICY_EXPIRY_INTERVAL", POLICY_EXPIRY_SECONDS, eager=True)
    def expire_policies_on_schedule(self):
        """Every few minutes, in every replica: expiring is one UPDATE, so replicas never double up."""
        self.expire_due_policies()

    @rpc
    def policy_criteria(self, policy_id):
        """A policy's eligibility with its scope applied (what the policy push matches)."""
        return self._in_transaction(policy_library.criteria, policy_id)

    @rpc
    def policies_for_region(self, region_code):
        """Published, unexpired policies applying to a region: ``[{"id", "title", "criteria"}]``.

        ``criteria`` is the eligibility with the policy's scope applied; the
        enterprises service matches it against one enterprise for its portrait.
        """
        return self._in_transaction(policy_library.in_force_for_region, region_code, china_time.today())

    # -- by the hundred, in one transaction (batches.py) ----------------------------

    @rpc
    def create_agencies(self, items):
        """Many ``create_agency`` at once, all or none: their agencies, in order."""
        return self._in_transaction(batches.create_agencies, self.outbox, items)

    @rpc
    def publish_guides(self, items, actor):
        """Many ``publish_guide`` at once (``[{"agency_id", ...content}]``), all or none."""
        return self._in_transaction(batches.publish_guides, self.outbox, items, actor)

    @rpc
    def register_providers(self, items, actor):
        """Many ``register_provider`` at once, each then admitted in the areas of its ``admitted_in``
        (with its ``admission_reason``), all or none: the providers, in order."""
        return self._in_transaction(batches.register_providers, self.outbox, items, actor, china_time.today())

    @rpc
    def add_entries(self, kind, items):
        """Many ``add_entry`` of ``kind`` at once, all or none."""
        return self._in_transaction(batches.add_entries, kind, items)

    @rpc
    def create_policies(self, items):
        """Many ``create_policy`` at once, each left a draft, or published, or published and withdrawn
        (with its ``withdrawal_reason``) as its ``state`` says, all or none: the policies, in order."""
        return self._in_transaction(batches.create_policies, self.outbox, items, china_time.today())

    # -- laws, experts, FAQs, products, cases, search (entry_library.py) ------------

    @rpc
    def add_entry(self, kind, data):
        """Add a library entry of ``kind`` (law, expert, faq, product, case)."""
        return self._in_transaction(entry_library.add, kind, data)

    @rpc
    def update_entry(self, kind, entry_id, changes):
        """Change some fields of a library entry."""
        return self._in_transaction(entry_library.update, kind, entry_id, changes)

    @rpc
    def get_entry(self, kind, entry_id):
        """One library entry; ``NotFound`` if there is none."""
        return self._in_transaction(entry_library.get, kind, entry_id)

    @rpc
    def list_entries(self, kind, filters, limit, offset):
        """A page of entries of ``kind``; filters: area, region, available, industry, size_class, tier, provider_id."""
        return self._in_transaction(entry_library.list_entries, kind, filters, limit, offset)

    @rpc
    def search(self, q, kind=None, area=None, limit=20, offset=0, cursor=None):
        """Find library entries containing every word of ``q`` (Chinese or not), title hits first,
        then the most recently updated; a page starts at ``offset`` or after ``cursor`` (keyset)."""
        return self._in_transaction(entry_library.search, q, kind, area, limit, offset, cursor)

    # -- the provider library (provider_library.py) --------------------------------

    @rpc
    def register_provider(self, data):
        """Record a market service provider; it then applies for admission per area.
        Emits ``provider.registered``."""
        return self._in_transaction(provider_library.register, self.outbox, data)

    @rpc
    def update_provider(self, provider_id, changes):
        """Change a provider's record; its credit code cannot change. Emits ``provider.updated``."""
        return self._in_transaction(provider_library.update, self.outbox, provider_id, changes)

    @rpc
    def get_provider(self, provider_id):
        """A provider with its memberships, decisions and evaluations."""
        with self.db.transaction() as tx:
            return provider_library.view(tx, provider_library.provider(tx, provider_id))

    @rpc
    def list_providers(self, filters, limit, offset):
        """A page of providers by membership state (default admitted), area and region."""
        return self._in_transaction(provider_library.list_providers, filters, limit, offset)

    @rpc
    def apply_for_admission(self, provider_id, service_area, actor):
        """A provider applies in one area; the admission criteria are checked first."""
        return self._in_transaction(provider_library.apply_for_admission, provider_id, service_area, actor,
                                    china_time.today())

    @rpc
    def decide_admission(self, provider_id, decision, actor):
        """Admit or reject an application, or exit an admitted provider, with the reason.

        Emits ``provider.admitted`` (``readmission`` when it had exited before)
        or ``provider.exited``.
        """
        return self._in_transaction(provider_library.decide_admission, self.outbox, provider_id, decision, actor,
                                    china_time.today())

    @rpc
    def evaluate_provider(self, provider_id, evaluation, evaluator):
        """Record one quarter's evaluation; two consecutive quarters below the threshold exit the provider.

        Emits ``provider.evaluated`` and, on exit, ``provider.exited``.
        """
        evaluated, exit_reason = self._in_transaction(provider_library.evaluate, self.outbox, provider_id,
                                                      evaluation, evaluator, china_time.today())
        if exit_reason:
            log.info("provider_exited", provider_id=provider_id, service_area=evaluated["service_area"],
                     reason=exit_reason)
        return evaluated

    @handles("request.rated")
    def record_rating(self, event):
        """An enterprise rated a request a provider worked on: it counts toward that provider's satisfaction."""
        try:
            rating = providers.rating_from_event(schema_instance(RequestRated).load(event["payload"]))
        except (ValidationError, ValueError) as exc:
            raise PermanentFailure(f"request.rated payload unusable: {exc}") from None
        rated_on = china_time.local_day(datetime.fromisoformat(event["occurred_at"]))
        with self.db.transaction() as tx:
            if not self.inbox.first_delivery(tx, event) or rating is None:
                return
            provider_library.record_rating(tx, rating, rated_on)
        log.info("provider_rated", provider_id=rating["provider_id"], score=rating["score"])

    # -- provinces (provincial.py) -------------------------------------------------

    @ingests(schemas.AGENCY_UPSERTED)
    def ingest_provincial_agency(self, event):
        """An agency or park station a province runs (see :mod:`services.agencies.provincial`)."""
        return self._in_transaction(provincial.upsert_agency, self.outbox, self.inbox, event)

    @ingests(schemas.POLICY_PUBLISHED)
    def ingest_provincial_policy(self, event):
        """A provincial policy collected into the national library, published at once (政策直享)."""
        return self._in_transaction(provincial.publish_policy, self.outbox, self.inbox, event, china_time.today())

    @ingests(schemas.POLICY_WITHDRAWN)
    def ingest_provincial_withdrawal(self, event):
        """A province withdraws a policy it published."""
        return self._in_transaction(provincial.withdraw_policy, self.outbox, self.inbox, event)

    # -- what the capacity entrypoints share ----------------------------------------

    def _agency(self, tx, agency_id, lock=False):
        return hierarchy.agency(tx, agency_id, lock)

    @staticmethod
    def _agency_view(row):
        return hierarchy.view(row)
