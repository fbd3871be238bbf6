"""The activities service: service activities (服务活动) and the matchmaking boards (融通对接).

Agencies publish activities — 送法进园区, 融通/产融/产学研对接, training,
exhibitions, international exchanges — once or on an RFC 5545 rule, at their
own place or at several service stations; target enterprises are invited
(``activity.published``, pushed by the notifications service's push); enterprises
register and cancel, a waitlist moves up, staff check people in and
participants rate what they attended. Lead firms post supply-chain needs and
SMEs financing needs; OneNet suggests suppliers, admitted finance providers of
the SME's region answer, and the outcomes count in each region's assessment.

It keeps local copies of what it reads on its hot paths — agencies and
stations, finance providers' admissions, SMEs' industry, region, size class and
tiers, operator-loaded holiday schedules — fed by their owners' events through
its inbox, so that each write is one local transaction.
"""
from datetime import datetime, timezone

import structlog
from marshmallow import ValidationError

from chassis import periods

from chassis.db import Database
from chassis.errors import NotFound, ValidationFailed, loaded as load
from chassis.events import PermanentFailure, batch_payloads, handles
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
from chassis.rpc import rpc
from reference import regions
from services.activities import board_store, boards, calendar_feed, registrations, schemas, store
from reference.china_time import local_day
from services.agencies.schemas import AgencyAnnounced, ProviderAdmitted, ProviderAnnounced, ProviderExited
from services.enterprises.schemas import (EnterpriseRegistered, EnterpriseSizeClassChanged, EnterpriseTierChanged,
                                          EnterpriseUpdated)
from services.requests.schemas import AssessmentQuery, HolidayScheduleAnnounced

log = structlog.get_logger(__name__)

MAX_FEED_ENTRIES = 5000


def payload(schema_cls, event):
    """An event's payload read with its owner's contract; a payload that breaks it is parked."""
    try:
        return schema_cls().load(event["payload"], unknown="exclude")
    except ValidationError as exc:
        raise PermanentFailure(f"{event['type']} payload breaks its contract: {exc.messages}") from None


def dump_page(schema_cls, rows, total):
    return {"items": schema_cls(many=True).dump(rows), "total": total}


def now():
    return datetime.now(timezone.utc)


def china_today():
    return local_day(now())


class ActivitiesService:
    """Owns service activities, lead firms and the supply-chain and financing need boards."""

    name = "activities"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox(schemas.EVENTS)
    inbox = Inbox()

    def _announce(self, tx, event_type, payload, aggregate_id):
        self.outbox.add(tx, event_type, payload, aggregate_id=aggregate_id)

    # -- activities ----------------------------------------------------------------------------

    @rpc
    def publish_activity(self, publication, publisher):
        """An agency publishes an activity; its occurrences are planned off rest days and holidays,
        and ``activity.published`` invites the target enterprises."""
        data = load(schemas.ActivityPublication, publication, "activity")
        with self.db.transaction() as tx:
            activity = registrations.publish(tx, self._announce, data, publisher)
        log.info("activity_published", activity_id=activity["id"], occurrences=len(activity["occurrences"]))
        return schemas.Activity().dump(activity)

    @rpc
    def get_activity(self, activity_id):
        with self.db.transaction() as tx:
            return schemas.Activity().dump(registrations.activity_view(tx, activity_id))

    @rpc
    def list_activities(self, filters, limit, offset):
        data = load(schemas.OccurrenceFilter, filters, "filter")
        with self.db.transaction() as tx:
            rows, total = store.list_activities(tx, data, limit, offset)
        return dump_page(schemas.Activity, rows, total)

    @rpc
    def calendar(self, filters, limit, offset):
        """Occurrences earliest first, by agency, kind, region and start day."""
        data = load(schemas.OccurrenceFilter, filters, "filter")
        with self.db.transaction() as tx:
            rows, total = store.calendar(tx, data, limit, offset)
        return dump_page(schemas.Occurrence, rows, total)

    @rpc
    def calendar_feed(self, filters, name):
        """The occurrences as an iCalendar document (text), for calendar apps to subscribe to."""
        data = load(schemas.OccurrenceFilter, filters, "filter")
        with self.db.transaction() as tx:
            rows, _ = store.calendar(tx, data, MAX_FEED_ENTRIES)
        return calendar_feed.feed(name, rows).decode("utf-8")

    @rpc
    def get_occurrence(self, occurrence_id):
        with self.db.transaction() as tx:
            row = store.occurrence(tx, occurrence_id)
        if row is None:
            raise registrations.no_occurrence(occurrence_id)
        return schemas.Occurrence().dump(row)

    @rpc
    def register(self, occurrence_id, uscc):
        """The enterprise registers: a place while one is free, else the waitlist."""
        with self.db.transaction() as tx:
            view = registrations.register(tx, self._announce, occurrence_id, uscc, now())
        return schemas.Registration().dump(view)

    @rpc
    def cancel_registration(self, occurrence_id, uscc):
        """The enterprise cancels; the first on the waitlist moves up into the freed place."""
        with self.db.transaction() as tx:
            view = registrations.cancel(tx, self._announce, occurrence_id, uscc, now())
        return schemas.Registration().dump(view)

    @rpc
    def registration(self, occurrence_id, uscc):
        with self.db.transaction() as tx:
            view = store.registration_view(tx, occurrence_id, uscc)
        if view is None:
            raise NotFound(f"{uscc} has no registration for occurrence {occurrence_id}",
                           {"occurrence_id": occurrence_id, "uscc": uscc})
        return schemas.Registration().dump(view)

    @rpc
    def registrations(self, occurrence_id, state, limit, offset):
        with self.db.transaction() as tx:
            rows, total = store.registrations(tx, occurrence_id, state, limit, offset)
        return dump_page(schemas.Registration, rows, total)

    @rpc
    def check_in(self, occurrence_id, uscc, by):
        data = load(schemas.CheckIn, {"uscc": uscc}, "check-in")
        with self.db.transaction() as tx:
            view = registrations.check_in(tx, self._announce, occurrence_id, data["uscc"], by, now())
        return schemas.Registration().dump(view)

    @rpc
    def rate(self, occurrence_id, uscc, rating):
        data = load(schemas.ActivityRatingInput, rating, "rating")
        with self.db.transaction() as tx:
            row = registrations.rate(tx, self._announce, occurrence_id, uscc, data, now())
        return schemas.ActivityRating().dump(row)

    @rpc
    def participation(self, uscc):
        """An enterprise's part in activities, for its portrait."""
        with self.db.transaction() as tx:
            return schemas.Participation().dump(store.participation(tx, uscc))

    @rpc
    def assessment(self, region, period):
        """评估问效: activities held and attended, and matchmaking outcomes, of a region in a period."""
        query = load(AssessmentQuery, {"region": region, "period": period}, "assessment query")
        span, prefix = periods.parse_period(query["period"]), regions.prefix(query["region"])
        with self.db.transaction() as tx:
            by_agency = store.activity_figures(tx, prefix, span.start, span.end)
            chain = board_store.chain_figures(tx, prefix, span.start, span.end)
            finance = board_store.finance_figures(tx, prefix, span.start, span.end)
        ratings = sum(row["ratings"] for row in by_agency)
        scores = sum(row["score_sum"] or 0 for row in by_agency)
        for row in by_agency:
            row["average_rating"] = round(row["score_sum"] / row["ratings"], 2) if row["ratings"] else None
        return schemas.ActivitiesAssessment().dump({
            "region": query["region"], "period": query["period"],
            "activities": {"held": sum(row["held"] for row in by_agency),
                           "registered": sum(row["registered"] for row in by_agency),
                           "attended": sum(row["attended"] for row in by_agency), "ratings": ratings,
                           "average_rating": round(scores / ratings, 2) if ratings else None,
                           "by_agency": by_agency},
            "supply_chain": chain, "financing": finance})

    @rpc
    def region_figures(self, prefix, period, cutoff):
        """Activities held in ``period`` at the agencies under ``prefix`` ('' the country) and their
        attendances, per region code, as recorded by ``cutoff`` (ISO 8601): the agencies service's
        scoring runs read them, and a cut-off always gives the same figures."""
        span, moment = periods.figures_query(prefix, period, cutoff)
        with self.db.transaction() as tx:
            return schemas.RegionActivities(many=True).dump(
                store.region_figures(tx, prefix, span.start, span.end, moment))

    # -- lead firms and supply-chain needs --------------------------------------------------------

    @rpc
    def register_lead_firm(self, firm, actor):
        data = load(schemas.LeadFirmRegistration, firm, "lead firm")
        with self.db.transaction() as tx:
            return schemas.LeadFirm().dump(boards.register_lead_firm(tx, self._announce, data, actor))

    @rpc
    def get_lead_firm(self, lead_firm_id):
        with self.db.transaction() as tx:
            return schemas.LeadFirm().dump(boards.lead_firm(tx, lead_firm_id))

    @rpc
    def list_lead_firms(self, within, limit, offset):
        with self.db.transaction() as tx:
            rows, total = board_store.lead_firms(tx, within or "", limit, offset)
        return dump_page(schemas.LeadFirm, rows, total)

    @rpc
    def post_chain_need(self, lead_firm_id, posting):
        data = load(schemas.ChainNeedPosting, posting, "need")
        with self.db.transaction() as tx:
            need = boards.post_chain_need(tx, self._announce, lead_firm_id, data, china_today())
        return schemas.ChainNeed().dump(need)

    @rpc
    def get_chain_need(self, need_id):
        with self.db.transaction() as tx:
            return schemas.ChainNeed().dump(boards.chain_need(tx, need_id))

    @rpc
    def list_chain_needs(self, filters, limit, offset, lead_firm_id=None):
        """Needs by state and industry (``lead_firm_id``: only that firm's)."""
        data = load(schemas.NeedFilter, filters, "filter")
        with self.db.transaction() as tx:
            rows, total = board_store.chain_needs(tx, data, lead_firm_id, limit, offset)
        return dump_page(schemas.ChainNeed, rows, total)

    @rpc
    def suggest_suppliers(self, need_id):
        """SMEs that suit a need, each with its reasons."""
        with self.db.transaction() as tx:
            return schemas.Suggestions().dump(boards.suggest(tx, need_id))

    @rpc
    def offer_on_chain_need(self, need_id, uscc, offer):
        data = load(schemas.ChainOfferInput, offer, "offer")
        with self.db.transaction() as tx:
            row = boards.offer_on_chain_need(tx, self._announce, need_id, uscc, data, china_today())
        return schemas.ChainOffer().dump(row)

    @rpc
    def chain_offers(self, need_id, uscc, limit, offset):
        """Offers on a need (``uscc``: only that SME's)."""
        with self.db.transaction() as tx:
            boards.chain_need(tx, need_id)
            rows, total = board_store.chain_offers(tx, need_id, uscc, limit, offset)
        return dump_page(schemas.ChainOffer, rows, total)

    @rpc
    def get_chain_offer(self, offer_id):
        with self.db.transaction() as tx:
            return schemas.ChainOffer().dump(boards.chain_offer(tx, offer_id))

    @rpc
    def shortlist_offer(self, offer_id):
        with self.db.transaction() as tx:
            return schemas.ChainOffer().dump(boards.shortlist(tx, self._announce, offer_id))

    @rpc
    def record_chain_outcome(self, offer_id, outcome):
        data = load(schemas.ChainOutcomeInput, outcome, "outcome")
        with self.db.transaction() as tx:
            return schemas.ChainOffer().dump(boards.record_chain_outcome(tx, self._announce, offer_id, data))

    @rpc
    def close_chain_need(self, need_id):
        with self.db.transaction() as tx:
            return schemas.ChainNeed().dump(boards.close_chain_need(tx, self._announce, need_id))

    # -- financing needs -------------------------------------------------------------------------

    @rpc
    def post_financing_need(self, uscc, posting):
        data = load(schemas.FinancingNeedPosting, posting, "financing need")
        with self.db.transaction() as tx:
            return schemas.FinancingNeed().dump(boards.post_financing_need(tx, self._announce, uscc, data))

    @rpc
    def get_financing_need(self, need_id, viewer):
        with self.db.transaction() as tx:
            need, _ = boards.visible_need(tx, need_id, viewer)
        return schemas.FinancingNeed().dump(need)

    @rpc
    def list_financing_needs(self, viewer, filters, limit, offset):
        data = load(schemas.FinancingFilter, filters, "filter")
        with self.db.transaction() as tx:
            rows, total = board_store.financing_needs(tx, boards.visibility(tx, viewer), data["state"], limit, offset)
        return dump_page(schemas.FinancingNeed, rows, total)

    @rpc
    def offer_financing(self, need_id, viewer, offer):
        data = load(schemas.FinancingOfferInput, offer, "offer")
        with self.db.transaction() as tx:
            return schemas.FinancingOffer().dump(boards.offer_financing(tx, self._announce, need_id, viewer, data))

    @rpc
    def financing_offers(self, need_id, viewer):
        with self.db.transaction() as tx:
            return {"items": schemas.FinancingOffer(many=True).dump(boards.financing_offers(tx, need_id, viewer))}

    @rpc
    def accept_financing_offer(self, offer_id, viewer):
        with self.db.transaction() as tx:
            need = boards.accept_offer(tx, self._announce, offer_id, viewer)
        return schemas.FinancingNeed().dump(need)

    @rpc
    def record_funding(self, need_id, outcome, viewer):
        data = load(schemas.FundingOutcomeInput, outcome, "outcome")
        with self.db.transaction() as tx:
            need = boards.record_funding(tx, self._announce, need_id, data, viewer, china_today())
        return schemas.FinancingNeed().dump(need)

    # -- read models, fed by the owners' events ---------------------------------------------------

    def _apply_once(self, event, effect):
        with self.db.transaction() as tx:
            if self.inbox.first_delivery(tx, event):
                effect(tx)

    @handles("agency.created", batch=True)
    def agency_created(self, events):
        """Agencies and stations: who may publish, where each station lies (for occurrences and feeds).
        Taken in batches (a new hierarchy announces its 3,212 agencies at once), each event once, in
        the order delivered; one whose payload breaks the contract is parked alone."""
        outcomes, readable = batch_payloads(AgencyAnnounced, events)
        if readable:
            with self.db.transaction() as tx:
                self.inbox.apply_once(tx, readable, store.upsert_agency)
        return outcomes

    @handles("agency.updated")
    def agency_updated(self, event):
        agency = payload(AgencyAnnounced, event)
        self._apply_once(event, lambda tx: store.upsert_agency(tx, agency))

    @handles("provider.registered", "provider.updated")
    def provider_announced(self, event):
        """A provider registered or changed (its name, its region): a finance provider that moved
        answers the financing needs of its new region."""
        provider = payload(ProviderAnnounced, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.upsert_provider(tx, provider, at))

    @handles("provider.admitted")
    def provider_admitted(self, event):
        """Finance providers admitted in finance_talent see and answer financing needs in their region."""
        provider = payload(ProviderAdmitted, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.set_membership(tx, provider, True, at))

    @handles("provider.exited")
    def provider_exited(self, event):
        provider = payload(ProviderExited, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.set_membership(tx, provider, False, at))

    @handles("enterprise.registered")
    def enterprise_registered(self, event):
        """SMEs' industry, region, size class and tiers, for suggestions and the boards."""
        enterprise = payload(EnterpriseRegistered, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.register_enterprise(tx, enterprise, at))

    @handles("enterprise.updated")
    def enterprise_updated(self, event):
        update = payload(EnterpriseUpdated, event)
        changes = {name: change["new"] for name, change in (update.get("changes") or {}).items()}
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.change_enterprise(tx, update["uscc"], changes, at))

    @handles("enterprise.tier_changed")
    def enterprise_tier_changed(self, event):
        change = payload(EnterpriseTierChanged, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.change_enterprise(
            tx, change["uscc"], {"active_tiers": list(change.get("active_tiers") or [])}, at))

    @handles("enterprise.size_class_changed")
    def enterprise_size_class_changed(self, event):
        change = payload(EnterpriseSizeClassChanged, event)
        at = datetime.fromisoformat(event["occurred_at"])
        self._apply_once(event, lambda tx: store.change_enterprise(
            tx, change["uscc"], {"size_class": change.get("new")}, at))

    @handles("holiday_schedule.loaded")
    def holiday_schedule_loaded(self, event):
        """A year's holiday schedule, as operators loaded it into the requests service: later plans
        follow it, and the year's provisional occurrences are re-planned by it."""
        schedule = payload(HolidayScheduleAnnounced, event)

        def effect(tx):
            store.replace_holiday_year(tx, schedule["year"], schedule["holidays"], schedule["workdays"])
            moved = registrations.replan_year(tx, self._announce, schedule["year"])
            log.info("occurrences_replanned", year=schedule["year"], moved=moved)

        self._apply_once(event, effect)
