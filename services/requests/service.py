"""The requests service: an SME's requests (诉求直办) from submission to archive.

It routes each new request to an agency by the agencies' rule over its own
copy of the agency hierarchy and the guides' time limits (kept from the
agencies' events, :mod:`services.requests.agency_copy`), keeps
the acceptance and resolution deadlines on the Chinese working-day calendar,
escalates overdue requests up the agency hierarchy, records ratings and
revisit calls, archives closed requests with their full history, and computes
the assessment figures (评估问效) regions are judged by.
"""
import uuid
from datetime import datetime

import eventlet
import eventlet.semaphore
import structlog
from nameko.dependency_providers import Config

from chassis import keyset, periods

from chassis.contracts import schema_instance
from chassis.db import Database
from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed, loaded as load, outcome
from chassis.events import PermanentFailure, contract_payload, handles
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.provinces import APPLIED, ingests
from chassis.rpc import RpcProxy, rpc
from chassis.timers import every
from reference import credit_codes

from services.agencies.schemas import (AgencyAnnounced, AgencySnapshot, GuidePublished, ProviderAdmitted,
                                       ProviderAnnounced, ProviderExited)
from services.requests import (agency_copy, arrears, assessment, changes, deadlines, escalation, lifecycle,
                               performance, ports as shared, provincial, read_model, schemas, store,
                               visibility)
from services.requests import submission as submissions, transition as transitions
from services.requests.clock import Clock
from services.requests.gauges import ESCALATIONS, AssessmentGauges
from services.requests.ports import Ports

log = structlog.get_logger(__name__)

# The skeleton announces its 3,212 agencies at once: copying them takes at most two of the
# pool's connections at a time, so the burst does not grow the pool past what the service's own
# work needs (PostgreSQL's connections are shared by every service of the deployment).
COPY_SLOTS = eventlet.semaphore.Semaphore(2)


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
    def list(self, actor, filters, limit, offset, cursor=None):
        """One page of the requests ``actor`` sees (:mod:`visibility`), newest first, then by id:
        ``{"items", "total", "page", "next_cursor"}``. A page starts at ``offset``, or after the
        request ``cursor`` names (keyset): the ``next_cursor`` of the page before, given out for
        the same filters."""
        filters = load(schemas.RequestFilter, filters, "filter")
        order = store.LIST_ORDER
        start = keyset.decode(cursor, order, filters) if cursor else keyset.Start(page=offset // max(limit, 1) + 1)
        visible = visibility.scope_of(actor)
        with self.db.transaction() as tx:
            today = self._today(tx)
            rows, total = store.list_requests(tx, visible, filters, today, limit + 1, 0 if cursor else offset,
                                              start.position)
        rows, next_cursor = keyset.page_of(order, rows, limit, filters, start)
        return {"items": schema_instance(schemas.ServiceRequestSummary, many=True).dump(
            [read_model.present(row, today) for row in rows]), "total": total, "page": start.page,
            "next_cursor": next_cursor}

    @rpc
    def queue(self, agency_id, limit, offset):
        """An agency's work queue (待办): its open requests, overdue first."""
        with self.db.transaction() as tx:
            today = self._today(tx)
            rows, total = store.queue(tx, int(agency_id), today, limit, offset)
        return {"items": schema_instance(schemas.ServiceRequestSummary, many=True).dump(
            [read_model.present(row, today) for row in rows]), "total": total}

    @rpc
    def assessment(self, region, period):
        """评估问效 figures of a province, city or county for a period (see ``assessment``)."""
        query = load(schemas.AssessmentQuery, {"region": region, "period": period}, "assessment query")
        with self.db.transaction() as tx:
            figures = assessment.for_region(tx, query["region"], assessment.parse_period(query["period"]))
        return schema_instance(schemas.Assessment).dump(figures)

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
        return schema_instance(schemas.Assessment, many=True).dump(rows)

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
        return schema_instance(schemas.StaffPerformance, many=True).dump([
            {**figures[subject], "agency_id": int(agency_id), "period": span.name,
             "period_start": span.start, "period_end": span.last_day} for subject in subjects])

    # -- submission ----------------------------------------------------------

    @rpc
    def submit(self, uscc, submission, actor):
        """An enterprise raises a request; it is routed and assigned at once.

        Emits ``request.submitted`` and, when an agency is found,
        ``request.assigned``.  Routing applies the agencies' rule
        (:mod:`services.agencies.contract.routing`) to this service's copy of the
        hierarchy. Without an agency (none covers the region and service area)
        the request stays submitted and the scheduler routes it later.
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
        with self.db.transaction() as tx:
            row, now = submissions.submit(tx, self.clock, self.ports, uscc, {**data, "service_area": service_area},
                                         actor)
            full = self._full(tx, row, deadlines.local_day(now))
        log.info("request_submitted", request_id=str(row["id"]), agency_id=row["agency_id"])
        return full

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
        provider_id = body.get("provider_id")
        with self.db.transaction() as tx:
            row = self._visible_row(tx, request_id, actor, lock=True)
            after, now = transitions.take_step(tx, self.clock, self.ports, row, body, actor, reason, provider_id)
            full = self._full(tx, after, deadlines.local_day(now))
        log.info("request_transitioned", request_id=str(request_id), action=action,
                 state=after["state"], agency_id=after["agency_id"])
        return full

    # -- many at once ----------------------------------------------------------------

    @rpc
    def submit_many(self, items):
        """Many ``submit`` at once (``[{"uscc", "submission", "actor"}]``: a roll-out's requests), each
        taken in its own transaction exactly as ``submit`` takes one: in order, each ``{"answer": the
        request}`` or, refused, ``{"error": {"code", "message", "details"}}``."""
        submit = type(self).submit.__wrapped__   # an idempotency key, if any, is the batch's
        return [outcome(submit, self, item["uscc"], item["submission"], item["actor"]) for item in items]

    @rpc
    def act_many(self, items):
        """Many ``transition`` and ``rate`` one after another (``[{"request_id", "actor", and
        "transition" or "rating"}]``), each taken in its own transaction exactly as those take one:
        in order, each ``{"answer": the request}`` or, refused, ``{"error": ...}``."""
        transition, rate = type(self).transition.__wrapped__, type(self).rate.__wrapped__
        return [outcome(rate, self, item["request_id"], item["rating"], item["actor"]) if "rating" in item
                else outcome(transition, self, item["request_id"], item.get("transition"), item["actor"])
                for item in items]

    # -- provincial portals ----------------------------------------------------------

    @ingests(schemas.REQUEST_SUBMITTED)
    def ingest_provincial_request(self, event):
        """A request raised on a provincial portal: filed and routed like any other, with its origin
        (see :mod:`services.requests.provincial`)."""
        uscc, data, actor = provincial.submission(event)
        with self.db.transaction() as tx:
            claimed = provincial.claim(tx, self.inbox, event)
            if claimed:
                return claimed
            if store.request_of_origin(tx, event.province, event.payload["request_ref"]) is None:
                row, _ = submissions.submit(tx, self.clock, self.ports, uscc, data, actor,
                                           (event.province, event.payload["request_ref"]))
                log.info("provincial_request_filed", request_id=str(row["id"]), province=event.province)
        return APPLIED

    @ingests(schemas.REQUEST_TRANSITIONED)
    def ingest_provincial_step(self, event):
        """A step on a request taken on a provincial portal, by the holding agency or the enterprise."""
        data = event.payload
        reason = (data.get("reason") or "").strip() or None
        with self.db.transaction() as tx:
            claimed = provincial.claim(tx, self.inbox, event)
            if claimed:
                return claimed
            row = provincial.find_request(tx, event, lock=True)
            actor = provincial.transition_actor(event, row)
            provincial.rejecting(transitions.take_step, tx, self.clock, self.ports, row, data, actor, reason)
        return APPLIED

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
        shared.record(tx, self.ports, after, changes.history_entry(row, step, actor, now, reason))
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
        """Route what waits for an agency, then escalate what is overdue (see :mod:`escalation`)."""
        with self.db.transaction() as tx:
            routed = escalation.route_waiting(tx, self.clock, self.ports)
        with self.db.transaction() as tx:
            missed, escalated = escalation.escalate_overdue(tx, self.clock, self.ports)
        ESCALATIONS.labels("deadline").inc(escalated)
        if missed or routed:
            log.info("deadline_sweep", missed=missed, escalated=escalated, routed=routed)
        return {"missed": missed, "escalated": escalated, "routed": routed}

    @rpc
    def load_holiday_schedule(self, year, schedule):
        """Operators load a year's holiday schedule (节假日安排) as announced by the State Council.

        Replaces any schedule loaded for that year, recomputes every open
        request's provisional deadlines and announces the schedule
        (``holiday_schedule.loaded``) to the services that keep a copy of the
        working-day calendar.
        """
        data = load(schemas.HolidaySchedule, schedule, "holiday schedule")
        first, last = schemas.HOLIDAY_YEARS
        if not (isinstance(year, int) and first <= year <= last):
            raise ValidationFailed(f"year must be between {first} and {last}", {"year": ["out of range"]})
        outside = [held for held in data["holidays"] if {held["first"].year, held["last"].year} != {year}]
        if outside:
            # Refused before its days are counted: a range over centuries would hold the service.
            message = f"{outside[0]['first'].isoformat()}..{outside[0]['last'].isoformat()} is not in {year}"
            raise ValidationFailed(message, {"holidays": [message]})
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
            self.outbox.add(tx, "holiday_schedule.loaded", schema_instance(schemas.HolidayScheduleAnnounced).dump(
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

    # -- the copy of the agency hierarchy, the guides' time limits and providers' admissions ---

    @handles("agency.created", "agency.updated", batch=True)
    def copy_agency(self, events):
        """Agencies or stations were added or changed: the copy routing and escalation read follows.
        Taken in batches (a new hierarchy announces its 3,212 agencies at once), each event once;
        one whose payload breaks the contract is parked alone."""
        outcomes, stamped = [], {}
        for event in events:
            try:
                agency = contract_payload(AgencyAnnounced, event)
            except PermanentFailure as exc:
                outcomes.append(exc)
                continue
            outcomes.append(None)
            stamped[event["event_id"]] = (agency, datetime.fromisoformat(event["occurred_at"]))
        fresh = [event for event in events if event["event_id"] in stamped]
        self._copy_once(fresh, lambda tx, first: agency_copy.copy_agencies(
            tx, agency_copy.latest([stamped[event_id] for event_id in first])))
        return outcomes

    @handles("guide.published")
    def copy_guide(self, event):
        """An agency published its service guide: later deadlines count by its time limits."""
        guide = contract_payload(GuidePublished, event)
        self._copy_once([event], lambda tx, first: agency_copy.copy_guide(tx, guide))

    def _copy_once(self, events, effect):
        """Apply ``effect(tx, ids)`` to the copy for the ``events`` not applied before, within a copy slot."""
        if not events:
            return
        with COPY_SLOTS:
            try:
                with self.db.transaction() as tx:
                    first = self.inbox.first_deliveries(tx, events)
                    if first:
                        effect(tx, [event["event_id"] for event in events if event["event_id"] in first])
            finally:
                self.db.release()   # the connection goes back before the slot does

    @handles("provider.registered", "provider.updated")
    def copy_provider(self, event):
        """A provider was registered or changed: where it is, for the steps that name it."""
        provider = contract_payload(ProviderAnnounced, event)
        changed_at = datetime.fromisoformat(event["occurred_at"])
        self._copy_once([event], lambda tx, first: agency_copy.copy_provider(tx, provider, changed_at))

    @handles("provider.admitted", "provider.exited")
    def copy_admission(self, event):
        """A provider was admitted in a service area or left it: which steps may name it."""
        schema = ProviderAdmitted if event["type"] == "provider.admitted" else ProviderExited
        change = contract_payload(schema, event)
        changed_at = datetime.fromisoformat(event["occurred_at"])
        self._copy_once([event], lambda tx, first: agency_copy.copy_admission(
            tx, change, event["type"] == "provider.admitted", changed_at))

    @rpc
    def agency_copy_status(self):
        """How much of the agency hierarchy this service has copied (operators, and the demo loader,
        which waits for the skeleton): ``{"agencies", "guides", "snapshot_taken_at"}``."""
        with self.db.transaction() as tx:
            copied = agency_copy.status(tx)
        taken = copied["snapshot_taken_at"]
        return {**copied, "snapshot_taken_at": taken.isoformat() if taken else None}

    @every("AGENCY_SNAPSHOT_INTERVAL", 5, eager=True, until=lambda copied: copied is not None)
    def fill_agency_copy(self):
        """Until it has been done once: fill the copy from the agencies service's snapshot, so a
        deployment whose agencies existed before this copy did knows them all. Tried again every
        ``AGENCY_SNAPSHOT_INTERVAL`` seconds while the agencies service does not answer within
        ``AGENCY_SNAPSHOT_TIMEOUT`` seconds (the whole hierarchy is a large answer); the timer
        stops at the first answer that is not None: the number of agencies in the snapshot,
        taken now or before (the events keep the copy current from then on)."""
        with self.db.transaction() as tx:
            taken = agency_copy.snapshot_size(tx)
        if taken is not None:
            return taken
        try:
            with eventlet.Timeout(float(self.config.get("AGENCY_SNAPSHOT_TIMEOUT", 60))):
                snapshot = schema_instance(AgencySnapshot).load(self.agencies.agency_snapshot())
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 (not answering yet, whatever the reason)
            log.warning("agency_snapshot_unavailable", error=type(exc).__name__)
            return None
        with self.db.transaction() as tx:
            agencies, guides = agency_copy.fill(tx, snapshot)
        log.info("agency_copy_filled", agencies=agencies, guides=guides)
        return agencies

    # -- plumbing --------------------------------------------------------------

    @property
    def ports(self):
        return Ports(requests=store, agencies=agency_copy, outbox=self.outbox)

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
        return schema_instance(schemas.ServiceRequest).dump(request)
