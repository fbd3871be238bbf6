"""Entrypoints of the agencies' capacity, staff and scoring sub-domain (夯实基层基础, 队伍建设,
考核评价, 选树优秀), part of the agencies service.

Each entrypoint validates its input against the contract and calls one use
case of :mod:`capacity`, :mod:`coverage`, :mod:`staff`, :mod:`scoring`,
:mod:`honours` or :mod:`sme_register`; the gateway decides who may call which
(roles and object scope) before it calls. The SME register is kept from the
enterprises service's events; the scoring runs read the requests, activities and
notifications services' figures over RPC, between local transactions.
"""
from datetime import datetime, timezone

import eventlet
import structlog
from nameko.dependency_providers import Config

from chassis.errors import NotFound, loaded as load
from chassis.events import PermanentFailure, handles
from chassis.rpc import RpcProxy, rpc
from reference.china_time import today
from services.agencies import capacity, capacity_store, coverage, honours, schemas, scoring, sme_register, staff
from services.agencies.scoring_gauges import ScoringGauges

log = structlog.get_logger(__name__)

FIGURES_TIMEOUT = 10


def now():
    return datetime.now(timezone.utc)


def dump(schema_cls, value, many=False):
    return schema_cls(many=many).dump(value)


class CapacityAndScoring:
    """Capacity records, coverage, staff, scoring runs and honours (mixed into ``AgenciesService``,
    whose ``db``, ``outbox``, ``inbox`` and ``_agency`` it uses)."""

    config = Config()
    requests = RpcProxy("requests")
    activities = RpcProxy("activities")
    notifications = RpcProxy("notifications")
    scoring_gauges = ScoringGauges()

    # -- capacity records ------------------------------------------------------------

    @rpc
    def record_capacity(self, agency_id, data, actor):
        """A new version of the agency's capacity record for a year; ``Conflict`` once the year is
        closed. Emits ``capacity.recorded``."""
        data = load(schemas.CapacityRecordFields, data, "capacity record")
        with self.db.transaction() as tx:
            agency = self._agency(tx, agency_id, lock=True)
            record = capacity.record(tx, self.outbox, agency, data, actor, now(), today())
        log.info("capacity_recorded", agency_id=agency_id, year=data["year"], version=record["version"])
        return dump(schemas.CapacityRecord, record)

    @rpc
    def capacity_versions(self, agency_id, year):
        """Every version of the agency's record for ``year``, newest (the record) first."""
        year = load(schemas.CapacityYearQuery, {"year": year}, "year")["year"]
        with self.db.transaction() as tx:
            rows = capacity.versions(tx, self._agency(tx, agency_id), year, today())
        return dump(schemas.CapacityRecord, rows, many=True)

    @rpc
    def close_capacity_year(self, province, year, actor):
        """Freeze a province's capacity records for a year (idempotent); emits ``capacity.year_closed``."""
        data = load(schemas.CapacityYearClosing, {"province": province, "year": year}, "closing")
        with self.db.transaction() as tx:
            closure = capacity.close_year(tx, self.outbox, data["province"], data["year"], actor, now())
        return dump(schemas.CapacityYearClosed, closure)

    @rpc
    def coverage(self, region, year):
        """Coverage indicators of a region for a year, now, with its child regions."""
        query = load(schemas.CoverageQuery, {"region": region, "year": year}, "coverage query")
        with self.db.transaction() as tx:
            return dump(schemas.Coverage, coverage.coverage(tx, query["region"], query["year"], now()))

    # -- staff -----------------------------------------------------------------------

    @rpc
    def add_staff(self, agency_id, data):
        """Put a staff member, known by their token subject, on the agency's roster."""
        data = load(schemas.StaffMemberFields, data, "staff member")
        with self.db.transaction() as tx:
            agency = self._agency(tx, agency_id)
            member = staff.add_member(tx, agency, data)
            return dump(schemas.StaffMember, staff.member_view(tx, member, agency))

    @rpc
    def get_staff(self, staff_id):
        """A staff member with their agency's region, trainings and secondments."""
        with self.db.transaction() as tx:
            member = self._staff(tx, staff_id)
            return dump(schemas.StaffMember, staff.member_view(tx, member, self._agency(tx, member["agency_id"])))

    @rpc
    def list_staff(self, agency_id, filters, limit, offset):
        """A page of the agency's roster (``{"items", "total"}``), by name."""
        filters = load(schemas.StaffFilter, filters, "filter")
        with self.db.transaction() as tx:
            self._agency(tx, agency_id)
            rows, total = capacity_store.list_staff(tx, agency_id, filters, limit, offset)
        return {"items": dump(schemas.StaffMember, rows, many=True), "total": total}

    @rpc
    def update_staff(self, staff_id, changes):
        """Change a staff member's name, post, qualifications or active flag."""
        changes = load(schemas.StaffMemberChanges, changes, "staff change")
        with self.db.transaction() as tx:
            member = staff.change_member(tx, self._staff(tx, staff_id, lock=True), changes)
            return dump(schemas.StaffMember, staff.member_view(tx, member, self._agency(tx, member["agency_id"])))

    @rpc
    def record_training(self, staff_id, data, actor):
        """Record a training the staff member took."""
        data = load(schemas.TrainingFields, data, "training")
        with self.db.transaction() as tx:
            row = staff.record_training(tx, self._staff(tx, staff_id), data, actor, now())
        return dump(schemas.Training, row)

    @rpc
    def record_secondment(self, staff_id, data, actor):
        """Record a secondment of the staff member to a park or an enterprise of the agency's region."""
        data = load(schemas.SecondmentFields, data, "secondment")
        with self.db.transaction() as tx:
            member = self._staff(tx, staff_id)
            row = staff.record_secondment(tx, member, self._agency(tx, member["agency_id"]), data, actor, now())
        return dump(schemas.Secondment, row)

    # -- scoring -----------------------------------------------------------------------

    @rpc
    def scoring_indicators(self):
        """The fixed catalogue of indicators a scoring model chooses from."""
        return {"items": [{"indicator": key, "group": group, "unit": unit, "meaning": meaning}
                          for key, (group, unit, meaning) in schemas.SCORING_INDICATORS.items()]}

    @rpc
    def define_scoring_model(self, data, actor):
        """A new version of a scope's scoring model for a year (the latest when unchanged)."""
        data = load(schemas.ScoringModelFields, data, "scoring model")
        with self.db.transaction() as tx:
            return dump(schemas.ScoringModel, scoring.define_model(tx, data, actor, now()))

    @rpc
    def get_scoring_model(self, model_id):
        with self.db.transaction() as tx:
            return dump(schemas.ScoringModel, scoring.model(tx, model_id))

    @rpc
    def scoring_models(self, scope, year):
        """Every version of the scope's model for the year, newest first."""
        query = load(schemas.ScoringModelQuery, {"scope": scope, "year": year}, "model query")
        with self.db.transaction() as tx:
            rows = scoring.models(tx, query["scope"], query["year"])
        return {"items": dump(schemas.ScoringModel, rows, many=True)}

    @rpc
    def run_scoring(self, model_id, facts_cutoff, actor):
        """Run a model over the facts as they stood at ``facts_cutoff`` (ISO 8601; None: now) and
        store the run; emits ``scoring.run_completed``."""
        request = load(schemas.ScoringRunRequest, {"model_id": model_id, **(
            {"facts_cutoff": facts_cutoff} if facts_cutoff else {})}, "scoring run")
        run = scoring.start_run(self.db, self._region_figures, self.outbox, request["model_id"],
                                request.get("facts_cutoff"), actor, now())
        log.info("scoring_run_completed", run_id=run["id"], scope=run["scope"], year=run["year"])
        return dump(schemas.ScoringRun, run)

    @rpc
    def get_scoring_run(self, run_id):
        with self.db.transaction() as tx:
            return dump(schemas.ScoringRun, scoring.run(tx, run_id))

    @rpc
    def scoring_runs(self, filters, limit, offset):
        """A page of a scope's runs (``filters``: scope, year), newest first: ``{"items", "total"}``."""
        query = load(schemas.ScoringRunQuery, filters, "run query")
        with self.db.transaction() as tx:
            rows, total = scoring.runs(tx, query["scope"], query.get("year"), limit, offset)
        return {"items": dump(schemas.ScoringRunSummary, rows, many=True), "total": total}

    @rpc
    def recompute_scoring_run(self, run_id):
        """A stored run computed again from its cut-off and model version, beside what it stored."""
        return dump(schemas.ScoringRecomputation, scoring.recompute(self.db, self._region_figures, run_id))

    # -- 选树优秀 ----------------------------------------------------------------------------

    @rpc
    def nominate(self, run_id, data, actor):
        """Nominate an agency of a run's scope, or a member of its staff, for an honour."""
        data = load(schemas.NominationFields, data, "nomination")
        with self.db.transaction() as tx:
            run = scoring.run(tx, run_id)
            agency = self._agency(tx, data["agency_id"])
            return dump(schemas.Nomination, honours.nominate(tx, run, agency, data, actor, now()))

    @rpc
    def nominations(self, run_id, limit, offset):
        """A page of a run's nominations: ``{"items", "total"}``."""
        with self.db.transaction() as tx:
            scoring.run(tx, run_id)
            rows, total = honours.nominations(tx, run_id, limit, offset)
        return {"items": dump(schemas.Nomination, rows, many=True), "total": total}

    @rpc
    def get_nomination(self, nomination_id):
        with self.db.transaction() as tx:
            return dump(schemas.Nomination, honours.nomination(tx, nomination_id))

    @rpc
    def review_nomination(self, nomination_id, decision, actor):
        """Approve or reject a nomination, once; an approval emits ``honour.awarded``."""
        decision = load(schemas.NominationReview, decision, "review")
        with self.db.transaction() as tx:
            return dump(schemas.Nomination, honours.review(tx, self.outbox, nomination_id, decision, actor, now()))

    @rpc
    def honours(self, agency_id):
        """The agency's approved honours, newest first (public)."""
        with self.db.transaction() as tx:
            self._agency(tx, agency_id)
            return {"items": dump(schemas.Honour, honours.honours(tx, agency_id), many=True)}

    # -- the SME register (enterprise events) ---------------------------------------------

    @handles("enterprise.registered", batch=True)
    def register_sme(self, events):
        """New enterprises on record: where each is, its park and size class. Taken in batches (each
        event once, in the order delivered, the batch's facts in one statement; one whose payload
        is unusable is parked alone)."""
        return self._record_smes(events)

    @handles("enterprise.updated")
    def update_sme(self, event):
        """An enterprise's profile changed: its region, and its park when that changed."""
        self._record_sme(event)

    @handles("enterprise.size_class_changed")
    def resize_sme(self, event):
        """An enterprise's size class changed (an SME that grew large stops counting)."""
        self._record_sme(event)

    def _record_sme(self, event):
        outcome, = self._record_smes([event])
        if outcome is not None:
            raise outcome

    def _record_smes(self, events):
        """Record the facts of ``events``, each once: for each, None or the :class:`PermanentFailure`
        that parks it."""
        outcomes, facts = [], {}
        for event in events:
            try:
                facts[event["event_id"]] = sme_register.facts_of(event)
                outcomes.append(None)
            except sme_register.Unusable as exc:
                outcomes.append(PermanentFailure(str(exc)))
        usable = [event for event in events if event["event_id"] in facts]
        if usable:
            with self.db.transaction() as tx:
                capacity_store.add_sme_facts(tx, [fact for event in self.inbox.first_seen(tx, usable)
                                                  for fact in facts[event["event_id"]]])
        return outcomes

    # -- plumbing ------------------------------------------------------------------------

    def _staff(self, tx, staff_id, lock=False):
        member = capacity_store.get_staff(tx, staff_id, lock)
        if member is None:
            raise NotFound(f"no staff member with id {staff_id}", {"staff_id": staff_id})
        return member

    def _region_figures(self, prefix, period, cutoff):
        """What the requests, activities and notifications services recorded under ``prefix`` by
        ``cutoff``: their ``region_figures``, asked at once."""
        with eventlet.Timeout(float(self.config.get("FIGURES_TIMEOUT", FIGURES_TIMEOUT))):
            asked = {name: eventlet.spawn(getattr(self, name).region_figures, prefix, period, cutoff)
                     for name in ("requests", "activities", "notifications")}
            return {name: thread.wait() for name, thread in asked.items()}
