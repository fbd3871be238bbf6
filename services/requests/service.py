"""The requests service: an SME's requests (诉求直办) from submission to archive.

It routes each new request to an agency through the agencies service, keeps
the acceptance and resolution deadlines on the Chinese working-day calendar,
escalates overdue requests up the agency hierarchy, records ratings and
revisit calls, archives closed requests with their full history, and computes
the assessment figures (评估问效) regions are judged by.
"""
import uuid

import eventlet
import structlog
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from chassis import periods

from chassis.db import Database
from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed, loaded as load
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.provinces import APPLIED, ingests
from chassis.rpc import rpc
from chassis.timers import every
from reference import credit_codes

from services.requests import (arrears, assessment, changes, deadlines, lifecycle, performance, provincial,
                               read_model, recipients, schemas, store, visibility)
from services.requests.clock import Clock
from services.requests.gauges import (DEADLINES_MISSED, ESCALATIONS, PROVISIONAL_DEADLINES,
                                      AssessmentGauges)

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
ROUTING_RETRY_BATCH = 20


def routing_reason(explanation):
    """The routing explanation as the assignment's reason in the history ("name: reason; ...")."""
    parts = [f"{step.get('name', step.get('agency_id'))}: {step.get('reason')}" if isinstance(step, dict)
             else str(step) for step in explanation or ()]
    return "; ".join(parts)[:1000] or None


class RequestsService:
    """Owns requests, their deadlines and escalation, and the assessment figures."""

    name = "requests"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox(schemas.EVENTS)
    inbox = Inbox()
    clock = Clock()
    gauges = AssessmentGauges()
    config = Config()
    agencies = RpcProxy("agencies")
    enterprises = RpcProxy("enterprises")

    # -- reads -------------------------------------------------------------

    @rpc
    def counts_for_enterprise(self, uscc):
        """How many of an enterprise's requests are in each state (for its portrait)."""
        with self.db.transaction() as tx:
            return store.count_by_state(tx, credit_codes.compact(uscc))

    @rpc
    def get(self, request_id, actor=None):
        """One request with its history, ratings and revisit calls; ``NotFound`` if none, or if
        ``actor`` is given and does not see it (:mod:`visibility`)."""
        with self.db.transaction() as tx:
            row = self._row(tx, request_id)
            full = self._full(tx, row, self._today(tx))
        if actor is not None and not visibility.sees(actor, row, visibility.escalated_in(full["history"])):
            raise visibility.missing(request_id)
        return full

    @rpc
    def list(self, actor, filters, limit, offset):
        """One page of the requests ``actor`` sees (:mod:`visibility`), newest first: ``{"items", "total"}``."""
        filters = load(schemas.RequestFilter, filters, "filter")
        visible = visibility.scope_of(actor)
        with self.db.transaction() as tx:
            today = self._today(tx)
            rows, total = store.list_requests(tx, visible, filters, today, limit, offset)
        return {"items": schemas.ServiceRequestSummary(many=True).dump(
            [read_model.present(row, today) for row in rows]), "total": total}

    @rpc
    def queue(self, agency_id, limit, offset):
        """An agency's work queue (待办): its open requests, overdue first."""
        with self.db.transaction() as tx:
            today = self._today(tx)
            rows, total = store.queue(tx, int(agency_id), today, limit, offset)
        return {"items": schemas.ServiceRequestSummary(many=True).dump(
            [read_model.present(row, today) for row in rows]), "total": total}

    @rpc
    def assessment(self, region, period):
        """评估问效 figures of a province, city or county for a period (see ``assessment``)."""
        query = load(schemas.AssessmentQuery, {"region": region, "period": period}, "assessment query")
        with self.db.transaction() as tx:
            figures = assessment.for_region(tx, query["region"], assessment.parse_period(query["period"]))
        return schemas.Assessment().dump(figures)

    @rpc
    def region_figures(self, prefix, period, cutoff=None):
        """评估问效 figures of every province, city and county under ``prefix`` ('' the country)
        with requests in ``period``, from what was recorded by ``cutoff`` (ISO 8601; None: now).

        The agencies service's scoring runs read them: a run's cut-off always gives the
        same figures.
        """
        if not (isinstance(prefix, str) and prefix.isdigit() or prefix == "") or len(prefix) not in (0, 2, 4, 6):
            raise ValidationFailed("prefix must be '' or 2, 4 or 6 digits", {"prefix": [str(prefix)]})
        try:
            span = periods.parse_period(period)
            moment = periods.cutoff_of(cutoff) if cutoff else None
        except ValueError as exc:
            raise ValidationFailed(str(exc), {"period" if "period" in str(exc) else "cutoff": [str(exc)]}) from None
        with self.db.transaction() as tx:
            rows = assessment.for_all_regions(tx, span, prefix, moment)
        return schemas.Assessment(many=True).dump(rows)

    @rpc
    def staff_performance(self, agency_id, subjects, period):
        """绩效考评: the figures of each of ``subjects`` (token subjects of an agency's staff) at
        agency ``agency_id`` for ``period``, derived from the request history (see
        ``performance``); a list in the order of ``subjects``."""
        query = load(schemas.StaffPerformanceQuery, {"period": period}, "period")
        span = assessment.parse_period(query["period"])
        subjects = [str(subject) for subject in dict.fromkeys(subjects or ())]
        with self.db.transaction() as tx:
            records = store.staff_cases(tx, int(agency_id), subjects, deadlines.moment_of(span.start),
                                        deadlines.moment_of(span.end), None) if subjects else {}
        cases = [performance.case_of(*record) for record in records.values()]
        figures = performance.staff_figures(cases, int(agency_id), subjects, span)
        return schemas.StaffPerformance(many=True).dump([
            {**figures[subject], "agency_id": int(agency_id), "period": span.name,
             "period_start": span.start, "period_end": span.last_day} for subject in subjects])

    # -- submission ----------------------------------------------------------

    @rpc
    def submit(self, uscc, submission, actor):
        """An enterprise raises a request; it is routed and assigned at once.

        Emits ``request.submitted`` and, when an agency is found,
        ``request.assigned``.  Without an agency (none covers the region and
        service area, or the agencies service did not answer) the request
        stays submitted and the scheduler routes it later.
        """
        data = load(schemas.RequestSubmission, submission, "request")
        uscc = credit_codes.compact(uscc)
        if lifecycle.party_of(actor) != lifecycle.ENTERPRISE or credit_codes.compact(actor.get("scope")) != uscc:
            raise Forbidden("an enterprise raises requests in its own name", {"uscc": [uscc]})
        try:
            credit_codes.validate(uscc)
        except ValueError as exc:
            raise ValidationFailed("the enterprise is invalid", {"uscc": [str(exc)]}) from None
        if data.get("arrears"):
            self._check_complaint(uscc, data["arrears"])
        service_area = data.get("service_area") or "rights"
        route = self._route(data["region_code"], service_area, data.get("park"))
        with self.db.transaction() as tx:
            row, now = self._file(tx, uscc, {**data, "service_area": service_area}, actor, route)
            full = self._full(tx, row, deadlines.local_day(now))
        log.info("request_submitted", request_id=str(row["id"]), agency_id=row["agency_id"])
        return full

    def _file(self, tx, uscc, data, actor, route, origin=(None, None)):
        """Store a new request, record its submission and assign it where ``route`` says:
        ``(row, now)``. ``origin``: the province and reference of a provincial portal's request."""
        now = self.clock.now(tx)
        row = store.insert_request(tx, {
            "uscc": uscc, "kind": "arrears" if data.get("arrears") else "general",
            "service_area": data["service_area"], "title": data["title"],
            "description": data["description"], "region_code": data["region_code"],
            "park": data.get("park"), "arrears": self._arrears_claim(data.get("arrears")),
            "policy_id": data.get("policy_id"),
            "state": lifecycle.SUBMITTED, "submitted_at": now, "updated_at": now,
            "origin_province": origin[0], "origin_ref": origin[1]})
        self._record(tx, row, changes.history_entry(
            row, lifecycle.Step("submit", None, lifecycle.SUBMITTED), actor, now))
        if route is not None:
            row = self._assign(tx, row, route, now)
        return row, now

    def _check_complaint(self, uscc, claim):
        """Who may complain (保障中小企业款项支付条例 第三条): an SME on the contract date, about a
        debtor that is not itself, and, for a large_enterprise debtor, one not on record as an SME."""
        if claim["debtor_uscc"] == uscc:
            raise ValidationFailed("an enterprise cannot complain about itself",
                                   {"arrears": {"debtor_uscc": ["is the complainant itself"]}})
        on = claim["contract_date"].isoformat()
        complainant = self._size_class_as_of(uscc, on)
        debtor = (self._size_class_as_of(claim["debtor_uscc"], on)
                  if claim["debtor_type"] == arrears.LARGE_ENTERPRISE else None)
        problems = arrears.complaint_problems(claim, complainant, debtor)
        if problems:
            raise ValidationFailed("this arrears complaint cannot be taken", {"arrears": problems})

    def _size_class_as_of(self, uscc, on):
        """The enterprises service's ``size_class_as_of`` answer, or None for an enterprise not on record."""
        try:
            with eventlet.Timeout(float(self.config.get("ENTERPRISES_TIMEOUT", 5))):
                return self.enterprises.size_class_as_of(uscc, on)
        except NotFound:
            return None

    def _arrears_claim(self, claim):
        if not claim:
            return None
        stored = {**claim, "amount": str(claim["amount"]), "agreed_days": claim.get("agreed_days")}
        for key in read_model.ARREARS_DATES:
            if stored.get(key) is not None:
                stored[key] = stored[key].isoformat()
        return stored

    def _route(self, region_code, service_area, park):
        """``(Handover, explanation)`` for a new request, or None when no agency takes it."""
        try:
            routed = self._agencies("route", region_code, service_area, park)
        except NotFound:
            log.warning("request_unrouted", region_code=region_code, service_area=service_area)
            return None
        except eventlet.Timeout:
            log.warning("agencies_unavailable_for_routing", region_code=region_code)
            return None
        handover = self._handover(routed["agency"], service_area)
        return handover, routing_reason(routed.get("explanation"))

    def _assign(self, tx, row, route, now):
        handover, explanation = route
        step = lifecycle.step(row, "assign", changes.SYSTEM_ACTOR)
        calendar = store.load_calendar(tx)
        changed = changes.apply(row, step, now, calendar, handover)
        self._count_provisional(changed)
        after = store.update_request(tx, row["id"], changed)
        entry = changes.history_entry(row, step, changes.SYSTEM_ACTOR, now, explanation, handover.agency)
        self._record(tx, after, entry)
        return after

    # -- transitions --------------------------------------------------------------

    @rpc
    def transition(self, request_id, transition, actor):
        """A caller moves a request on: accept, start, resolve, transfer, return,
        escalate, withdraw, reopen or close.

        ``Conflict`` (HTTP 409) lists the actions the caller may take instead;
        ``NotFound`` when the caller does not see the request, ``Forbidden`` when
        it sees it but may not act on it (an agency that escalated it).  Emits
        ``request.<transition>``, and ``request.deadline_missed`` when an
        acceptance or resolution comes after its deadline.
        """
        body = load(schemas.TransitionRequest, transition, "transition")
        action, reason = body["action"], (body.get("reason") or "").strip() or None
        with self.db.transaction() as tx:
            row = self._visible_row(tx, request_id, actor)
            step, previous = self._plan_step(tx, row, action, actor, reason)
        handover = self._handover_for(row, step, body, previous) if step.reassigns else None
        if body.get("provider_id") is not None and step.action in ("accept", "start", "resolve"):
            self._check_provider(body["provider_id"], row)
        with self.db.transaction() as tx:
            after, now = self._apply_step(tx, row, action, actor, reason, handover, body.get("provider_id"))
            full = self._full(tx, after, deadlines.local_day(now))
        log.info("request_transitioned", request_id=str(request_id), action=action,
                 state=after["state"], agency_id=after["agency_id"])
        return full

    def _plan_step(self, tx, row, action, actor, reason):
        """The step ``actor`` takes, and for a return the agency it goes back to (a read)."""
        step = lifecycle.step(row, action, actor, reason)
        previous = store.previous_holder(tx, row["id"], row["agency_id"]) if action == "return" else None
        return step, previous

    def _apply_step(self, tx, row, action, actor, reason, handover, provider_id=None):
        """Take the step on the request as it is now (locked), record it and its events: ``(after, now)``."""
        current = self._row(tx, row["id"], lock=True)
        step = lifecycle.step(current, action, actor, reason)
        if step.reassigns and current["agency_id"] != row["agency_id"]:
            raise Conflict("the request changed hands meanwhile; reload it and try again",
                           {"agency_id": current["agency_id"]})
        now = self.clock.now(tx)
        calendar = store.load_calendar(tx)
        breach = changes.late_breach(current, step, deadlines.local_day(now))
        changed = changes.apply(current, step, now, calendar, handover, provider_id)
        self._count_provisional(changed)
        after = store.update_request(tx, current["id"], changed)
        entry = changes.history_entry(current, step, actor, now, reason,
                                      handover.agency if handover else None)
        self._record(tx, after, entry)
        if breach is not None:
            self._record_breaches(tx, {str(current["id"]): current}, [breach.key(current["id"]) + (now, None)],
                                  now)
        if step.action == "escalate":
            ESCALATIONS.labels("manual").inc()
        return after, now

    # -- provincial portals ----------------------------------------------------------

    @ingests(schemas.REQUEST_SUBMITTED)
    def ingest_provincial_request(self, event):
        """A request raised on a provincial portal: filed and routed like any other, with its origin
        (see :mod:`services.requests.provincial`)."""
        uscc, data, actor = provincial.submission(event)
        with self.db.transaction() as tx:
            seen = provincial.seen(tx, self.inbox, event)
            if seen:
                return seen
        route = self._route(data["region_code"], data["service_area"], data.get("park"))
        with self.db.transaction() as tx:
            claimed = provincial.claim(tx, self.inbox, event)
            if claimed:
                return claimed
            if store.request_of_origin(tx, event.province, event.payload["request_ref"]) is None:
                row, _ = self._file(tx, uscc, data, actor, route, (event.province, event.payload["request_ref"]))
                log.info("provincial_request_filed", request_id=str(row["id"]), province=event.province)
        return APPLIED

    @ingests(schemas.REQUEST_TRANSITIONED)
    def ingest_provincial_step(self, event):
        """A step on a request taken on a provincial portal, by the holding agency or the enterprise."""
        data = event.payload
        reason = (data.get("reason") or "").strip() or None
        with self.db.transaction() as tx:
            seen = provincial.seen(tx, self.inbox, event)
            if seen:
                return seen
            row = provincial.find_request(tx, event)
            actor = provincial.transition_actor(event, row)
            step, previous = provincial.rejecting(self._plan_step, tx, row, data["action"], actor, reason)
        handover = provincial.rejecting(self._handover_for, row, step, data, previous) if step.reassigns else None
        with self.db.transaction() as tx:
            claimed = provincial.claim(tx, self.inbox, event)
            if claimed:
                return claimed
            provincial.rejecting(self._apply_step, tx, row, data["action"], actor, reason, handover)
        return APPLIED

    def _handover_for(self, row, step, body, previous):
        """The agency a transfer, return or escalation hands the request to."""
        if step.action == "transfer":
            target_id = body["target_agency_id"]
            if target_id == row["agency_id"]:
                raise ValidationFailed("the request is already with that agency",
                                       {"target_agency_id": ["already holds the request"]})
            try:
                agency = self._agencies("get", target_id)
            except NotFound:
                raise ValidationFailed(f"no agency with id {target_id}",
                                       {"target_agency_id": ["no such agency"]}) from None
            holder = self._agencies("get", row["agency_id"])
            parent = self._agencies("escalation_target", row["agency_id"])
            recipients.check_transfer(agency, holder, parent, row["service_area"])
        elif step.action == "return" and previous is not None:
            agency = self._agencies("get", previous)
        else:
            agency = self._agencies("escalation_target", row["agency_id"])
            if agency is None:
                raise Conflict("the national agency has no parent agency to hand the request to",
                               {"action": [f"{step.action} is not possible at national level"]})
        return self._handover(agency, row["service_area"])

    def _check_provider(self, provider_id, row):
        """The provider named on the request must be admitted where the request is (422 if not)."""
        try:
            provider = self._agencies("get_provider", provider_id)
        except NotFound:
            raise ValidationFailed(f"no provider with id {provider_id}",
                                   {"provider_id": ["no such provider"]}) from None
        recipients.check_provider(provider, row)

    # -- revisit and rating ---------------------------------------------------------

    @rpc
    def rate(self, request_id, rating, actor):
        """The enterprise rates a resolution (满意度评价) and says whether it is solved.

        One rating per resolution; the first moves a resolved request to
        revisited.  Emits ``request.rated`` (and ``request.revisited``).  A
        "not solved" verdict lets the enterprise reopen the request once.
        """
        data = load(schemas.RatingSubmission, rating, "rating")
        with self.db.transaction() as tx:
            row = self._visible_row(tx, request_id, actor, lock=True)
            if lifecycle.party_of(actor) != lifecycle.ENTERPRISE or not lifecycle.acts_within_scope(actor, row):
                raise Forbidden("only the enterprise that raised a request rates it",
                                {"request_id": str(row["id"])})
            self._check_revisitable(row, "rated")
            now = self.clock.now(tx)
            stored = store.add_rating(tx, {
                "request_id": row["id"], "round": row["reopen_count"] + 1, "score": data["score"],
                "solved": data["solved"], "comment": data["comment"], "agency_id": row["agency_id"],
                "rated_by": actor.get("subject") or actor.get("scope"), "rated_at": now})
            if stored is None:
                raise Conflict("this resolution has already been rated",
                               {"rating": ["one rating per resolution"]})
            after = self._revisit(tx, row, actor, now, f"rated {data['score']}/5, "
                                  + ("solved" if data["solved"] else "not solved"),
                                  {"last_rating_solved": data["solved"]})
            self.outbox.add(tx, "request.rated", changes.rated_event(after, data), aggregate_id=after["id"])
            full = self._full(tx, after, deadlines.local_day(now))
        log.info("request_rated", request_id=str(request_id), score=data["score"], solved=data["solved"])
        return full

    @rpc
    def record_revisit(self, request_id, call, actor):
        """The holding agency records its revisit call (回访) after resolution."""
        data = load(schemas.RevisitCallRecord, call, "revisit call")
        with self.db.transaction() as tx:
            row = self._visible_row(tx, request_id, actor, lock=True)
            if lifecycle.party_of(actor) != lifecycle.AGENCY or not lifecycle.acts_within_scope(actor, row):
                raise Forbidden("only the agency holding a request records its revisit call",
                                {"request_id": str(row["id"])})
            self._check_revisitable(row, "revisited")
            now = self.clock.now(tx)
            store.add_revisit_call(tx, {"request_id": row["id"], "agency_id": row["agency_id"],
                                        "solved": data.get("solved"), "note": data["note"],
                                        "called_by": actor.get("subject") or actor.get("scope"),
                                        "called_at": now})
            after = self._revisit(tx, row, actor, now, "revisit call", {})
            full = self._full(tx, after, deadlines.local_day(now))
        return full

    def _check_revisitable(self, row, what):
        if row["state"] not in (lifecycle.RESOLVED, lifecycle.REVISITED):
            raise Conflict(f"only a resolved request can be {what}; this one is {row['state']}",
                           {"state": row["state"], "allowed": []})

    def _revisit(self, tx, row, actor, now, reason, extra):
        """Move a resolved request to revisited (first revisit only) and apply ``extra``."""
        if row["state"] != lifecycle.RESOLVED:
            return store.update_request(tx, row["id"], {**extra, "updated_at": now}) if extra else row
        step = lifecycle.step(row, "revisit", actor)
        after = store.update_request(tx, row["id"], {**changes.apply(row, step, now, None), **extra})
        self._record(tx, after, changes.history_entry(row, step, actor, now, reason))
        return after

    # -- deadlines, escalation, calendar, clock ------------------------------------------

    @every("ESCALATION_INTERVAL", 60)
    def sweep_on_timer(self):
        """Every ``ESCALATION_INTERVAL`` seconds: escalate what is overdue, route what is not yet."""
        self._sweep()

    @rpc
    def sweep(self):
        """Find overdue requests now and escalate them (operators; same as the timer)."""
        return self._sweep()

    def _sweep(self):
        """Escalate overdue requests to the parent agency, once per breach.

        Safe in several replicas at once: a breach is recorded under its own
        key (request, kind, agency, due day) with ``ON CONFLICT DO NOTHING``,
        so only the replica whose insert wins escalates, and the escalation
        itself only applies if the request is still where the sweep found it.
        """
        with self.db.transaction() as tx:
            now = self.clock.now(tx)
            overdue = store.overdue_requests(tx, deadlines.local_day(now), SWEEP_BATCH)
            unrouted = store.unrouted_requests(tx, ROUTING_RETRY_BATCH)
        routed = self._route_waiting(unrouted)
        targets, handovers = self._escalation_targets(overdue)
        overdue = [row for row in overdue if row["agency_id"] in targets]
        missed, escalated = self._escalate_overdue(overdue, targets, handovers) if overdue else (0, 0)
        ESCALATIONS.labels("deadline").inc(escalated)
        if overdue or routed:
            log.info("deadline_sweep", missed=missed, escalated=escalated, routed=routed)
        return {"missed": missed, "escalated": escalated, "routed": routed}

    def _escalation_targets(self, overdue):
        """The parent of each agency with overdue requests (None at national level), and the
        parents' time limits per service area. Agencies the agencies service cannot answer
        for now are left out (their requests wait for the next sweep)."""
        targets, handovers = {}, {}
        for agency_id in sorted({row["agency_id"] for row in overdue}):
            try:
                parent = self._agencies("escalation_target", agency_id)
            except (NotFound, eventlet.Timeout):
                log.warning("escalation_target_unavailable", agency_id=agency_id)
                continue
            targets[agency_id] = parent
        for row in overdue:
            parent = targets.get(row["agency_id"])
            if parent is not None and (parent["id"], row["service_area"]) not in handovers:
                handovers[(parent["id"], row["service_area"])] = self._handover(parent, row["service_area"])
        return targets, handovers

    def _escalate_overdue(self, overdue, targets, handovers):
        """Record each breach once and hand its request to the parent agency: ``(missed, escalated)``."""
        with self.db.transaction() as tx:
            now = self.clock.now(tx)
            today, calendar = deadlines.local_day(now), store.load_calendar(tx)
            by_id = {str(row["id"]): row for row in overdue}
            breaches = {key: changes.Breach(row["breach_kind"], row["agency_id"], row["breach_due"])
                        for key, row in by_id.items()}
            new = self._record_breaches(tx, by_id, [
                breaches[key].key(key) + (now, (targets[row["agency_id"]] or {}).get("id"))
                for key, row in by_id.items()], now)
            plans = []
            for key in new:
                row, parent = by_id[key], targets[by_id[key]["agency_id"]]
                if parent is None:
                    continue
                columns = changes.assignment(handovers[(parent["id"], row["service_area"])], today, calendar)
                self._count_provisional(columns)
                plans.append({**columns, "id": row["id"], "state": row["state"], "agency_id": row["agency_id"],
                              "new_agency_id": columns["agency_id"], "updated_at": now})
            escalated = store.escalate_all(tx, plans)
            entries = []
            for after in escalated:
                before = by_id[str(after["id"])]
                step = lifecycle.Step("escalate", after["previous_state"], lifecycle.ASSIGNED)
                reason = changes.escalation_reason(breaches[str(after["id"])], before["agency_name"])
                entry = changes.history_entry(before, step, changes.SYSTEM_ACTOR, now, reason,
                                              targets[before["agency_id"]])
                entries.append(entry)
                self.outbox.add(tx, step.event_type, changes.transition_event(after, entry),
                                aggregate_id=after["id"])
            if entries:
                store.add_history(tx, entries)
        return len(new), len(escalated)

    def _route_waiting(self, unrouted):
        """Try again to route requests that found no agency when submitted."""
        routed = 0
        for row in unrouted:
            route = self._route(row["region_code"], row["service_area"], row["park"])
            if route is None:
                continue
            with self.db.transaction() as tx:
                current = self._row(tx, row["id"], lock=True)
                if current["state"] == lifecycle.SUBMITTED:
                    self._assign(tx, current, route, self.clock.now(tx))
                    routed += 1
        return routed

    @rpc
    def load_holiday_schedule(self, year, schedule):
        """Operators load a year's holiday schedule (节假日安排) as announced by the State Council.

        Replaces any schedule loaded for that year, recomputes every open
        request's provisional deadlines and announces the schedule
        (``holiday_schedule.loaded``) to the services that keep a copy of the
        working-day calendar.
        """
        data = load(schemas.HolidaySchedule, schedule, "holiday schedule")
        if not (isinstance(year, int) and 2000 <= year <= 2100):
            raise ValidationFailed("year must be between 2000 and 2100", {"year": ["out of range"]})
        names = {}
        try:
            holidays = deadlines.expand_ranges([(r["first"], r["last"]) for r in data["holidays"]])
            for held in data["holidays"]:
                for day in deadlines.expand_ranges([(held["first"], held["last"])]):
                    names[day] = held["name"]
            year_schedule = deadlines.YearSchedule(year, holidays, frozenset(data["workdays"]))
        except ValueError as exc:
            raise ValidationFailed(str(exc), {"holidays": [str(exc)]}) from None
        with self.db.transaction() as tx:
            store.replace_holiday_year(tx, year_schedule, names, data["source"])
            self.outbox.add(tx, "holiday_schedule.loaded", schemas.HolidayScheduleAnnounced().dump(
                {"year": year, "holidays": sorted(year_schedule.holidays),
                 "workdays": sorted(year_schedule.workdays), "source": data["source"]}), aggregate_id=year)
            calendar = store.load_calendar(tx)
            updates = []
            for row in store.provisional_requests(tx):
                accept = deadlines.add_working_days(row["accept_from"], row["accept_days"], calendar)
                resolve = deadlines.add_working_days(row["resolve_from"], row["resolve_days"], calendar)
                updates.append((row["id"], accept.due, resolve.due, accept.provisional or resolve.provisional))
            store.set_deadlines(tx, updates)
        log.info("holiday_schedule_loaded", year=year, recomputed=len(updates))
        return {"year": year, "holidays": len(year_schedule.holidays),
                "workdays": len(year_schedule.workdays), "recomputed": len(updates)}

    @rpc
    def clock_reading(self):
        """The service's "now" and the operator's offset."""
        with self.db.transaction() as tx:
            now, offset = self.clock.reading(tx)
        return {"now": now.isoformat(), "offset_seconds": offset}

    @rpc
    def set_clock(self, offset_seconds):
        """Move the clock by ``offset_seconds`` (test networks only, ``CLOCK_CONTROL: on``).

        Moving time runs the deadline sweep at once, as the passing of that
        time would have.
        """
        with self.db.transaction() as tx:
            self.clock.set_offset(tx, float(offset_seconds))
        swept = self._sweep()
        return {**self.clock_reading(), "escalated": swept["escalated"]}

    # -- plumbing --------------------------------------------------------------

    def _agencies(self, method, *args):
        timeout = float(self.config.get("AGENCIES_TIMEOUT", 5))
        with eventlet.Timeout(timeout):
            return getattr(self.agencies, method)(*args)

    def _handover(self, agency, service_area):
        """``agency`` taking a request in ``service_area``, with its guide's time limits."""
        guide = self._agencies("guide_time_limits", agency["id"], service_area)
        return changes.Handover(agency, deadlines.time_limits(guide, service_area))

    def _today(self, tx):
        return deadlines.local_day(self.clock.now(tx))

    def _row(self, tx, request_id, lock=False):
        try:
            row = store.get_request(tx, uuid.UUID(str(request_id)), lock)
        except ValueError:  # not a UUID: no such request
            row = None
        if row is None:
            raise visibility.missing(request_id)
        return row

    def _visible_row(self, tx, request_id, actor, lock=False):
        """The request if ``actor`` sees it, else the answer for one that does not exist."""
        row = self._row(tx, request_id, lock)
        if not visibility.sees(actor, row, lambda agency_id: visibility.escalated_in(
                store.history(tx, row["id"]))(agency_id)):
            raise visibility.missing(request_id)
        return row

    def _full(self, tx, row, today):
        calendar = store.load_calendar(tx) if row.get("arrears") else None
        request = read_model.present(row, today, store.history(tx, row["id"]),
                                     store.ratings(tx, row["id"]), store.revisits(tx, row["id"]), calendar)
        return schemas.ServiceRequest().dump(request)

    def _record(self, tx, after, entry):
        """Append the history entry and emit its ``request.<transition>`` event."""
        store.add_history(tx, [entry])
        self.outbox.add(tx, lifecycle.EVENT_OF_ACTION[entry["action"]],
                        changes.transition_event(after, entry), aggregate_id=after["id"])

    def _record_breaches(self, tx, rows, keys, now):
        """Record breaches; emit ``request.deadline_missed`` for each one new. Returns their ids."""
        new = store.record_breaches(tx, keys)
        for key in keys:
            request_id, kind, agency_id, due = key[:4]
            if request_id in new:
                DEADLINES_MISSED.labels(kind).inc()
                breach = changes.Breach(kind, agency_id, due)
                self.outbox.add(tx, "request.deadline_missed",
                                changes.deadline_missed_event(rows[request_id], breach, now),
                                aggregate_id=request_id)
        return new

    def _count_provisional(self, columns):
        if columns.get("deadline_provisional"):
            PROVISIONAL_DEADLINES.inc()
