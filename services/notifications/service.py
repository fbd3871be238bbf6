"""The notifications service: inboxes, the policy push and deliveries over channels.

It turns what happens on the network into notices for those concerned: every
enterprise a published policy reaches (政策直享), the parties of each request
step (诉求直办), providers on their admission, evaluation and exit. Every notice
lands in an inbox; webhooks and e-mail carry it further as each recipient chose.
"""
import uuid
from datetime import date, datetime, timedelta, timezone
from functools import partial

import eventlet
import structlog
from marshmallow import ValidationError
from nameko.dependency_providers import Config

from chassis import periods
from chassis.contracts import schema_instance
from chassis.db import Database
from chassis.errors import NotFound, ValidationFailed, loaded as load
from chassis.events import PermanentFailure, batch_payloads, handles, read_each
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.rpc import RpcProxy, rpc
from chassis.timers import every
from services.activities.schemas import ActivityPublished, OccurrenceRescheduled, Promoted
from services.agencies.schemas import AgencyAnnounced, PolicyClosed, PolicyPublished, ProviderAdmitted, \
    ProviderEvaluated, ProviderExited
from services.enterprises.schemas import EnterpriseRegistered
from services.notifications import announcements, dispatch, domain, push, schemas, store, webhooks
from services.notifications.use_cases import notices, preferences as recipient_preferences, reach, subscriptions
from services.notifications.dispatch import DeliveryDispatcher
from services.notifications.figures import NOTICES_WRITTEN
from services.requests.schemas import DeadlineMissed, RequestTransitioned

log = structlog.get_logger(__name__)

REQUEST_EVENTS = ("request.submitted", "request.assigned", "request.accepted", "request.resolved",
                  "request.transferred", "request.returned", "request.escalated", "request.reopened",
                  "request.revisited", "request.closed", "request.withdrawn", "request.deadline_missed")
# What a registered enterprise may change that a policy looks at (a registration itself is
# matched where it is welcomed).
ENTERPRISE_CHANGES = ("enterprise.updated", "enterprise.tier_changed", "enterprise.size_class_changed")
ENTERPRISES_CALL_TTL = 15
ACTIVITY_STEPS = {"activity.promoted": Promoted, "activity.rescheduled": OccurrenceRescheduled}
PROVIDER_EVENTS = {"provider.admitted": ProviderAdmitted, "provider.evaluated": ProviderEvaluated,
                   "provider.exited": ProviderExited}


def payload_of(event, schema):
    """The event's payload checked against its contract; a payload that never can be
    handled is parked at once."""
    try:
        schema_instance(schema).load(event["payload"], unknown="include")
    except ValidationError as exc:
        raise PermanentFailure(f"{event['type']} payload unusable: {exc.messages}") from None
    return event["payload"]


def usable_payloads(events, schema_of):
    """``(outcomes, payloads)`` of a batch: for each event in order None, or the
    :class:`PermanentFailure` that parks it alone; and ``{event_id: payload}`` of those whose payload
    keeps its contract (``schema_of(event)``)."""
    outcomes, readable = read_each(events, lambda event: payload_of(event, schema_of(event)))
    return outcomes, {event["event_id"]: payload for event, payload in readable}


def recipients_of(recipients):
    """The caller's recipient identities as the gateway passes them, checked."""
    try:
        return [schemas.recipient(kind, recipient_id) for kind, recipient_id in recipients]
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"recipients are invalid: {exc}", {"recipients": [str(exc)]}) from None


class Session:
    """The ports the use cases take: transactions on the worker's connection, and the
    dispatcher to wake when deliveries were queued."""

    def __init__(self, db, dispatcher):
        self.transaction = db.transaction
        self.deliveries_waiting = dispatcher.wake


class NotificationsService:
    """Owns inboxes, deliveries, subscriptions and preferences, and the policy push."""

    name = "notifications"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    inbox = Inbox()
    config = Config()
    deliveries = DeliveryDispatcher()
    # A call the enterprises service has not taken up within this many seconds expires in its
    # queue: the caller has given up by then, and nobody should run it later.
    enterprises = RpcProxy("enterprises", expiration=ENTERPRISES_CALL_TTL)

    def _session(self):
        return Session(self.db, self.deliveries)

    def _write(self, tx, written):
        if written["deliveries"]:
            tx.after_commit(self.deliveries.wake)

    # -- enterprises ------------------------------------------------------------------------

    @handles("enterprise.registered", batch=True)
    def welcome_enterprise(self, events):
        """A newly registered SME finds a welcome notice in its inbox, and hears of the policies in
        force it meets (as :meth:`match_enterprise`, in the same transaction: one delivery of each
        registration). Taken in batches: each event once, in the order delivered; one whose payload
        breaks the contract, or whose enterprise the enterprises service does not know, fails alone."""
        outcomes, payloads = usable_payloads(events, lambda event: EnterpriseRegistered)
        return self._match(events, [event for event in events if event["event_id"] in payloads], outcomes,
                           also=self._welcome)

    def _welcome(self, tx, registered):
        """The welcome notices of ``registered`` (events seen for the first time), written in ``tx``
        and counted once it commits."""
        self._write(tx, store.add_notices(tx, [
            {**domain.welcome_notice(event["payload"]), "source_key": store.event_source_key(event)}
            for event in registered]))
        tx.after_commit(partial(self._welcomed, registered))

    @staticmethod
    def _welcomed(registered):
        NOTICES_WRITTEN.labels("welcome").inc(len(registered))
        for event in registered:
            log.info("welcome_notice_written", uscc=event["payload"]["uscc"], event_id=event["event_id"],
                     correlation_id=event["correlation_id"])

    @handles(*ENTERPRISE_CHANGES, batch=True, no_longer=("enterprise.registered",))   # welcome_enterprise's now
    def match_enterprise(self, events):
        """Enterprises changed: each hears of the policies in force it now meets and was not told of
        before. Taken in batches: the policies in force read once, the enterprises service asked
        once, the notices written in one transaction; an event whose payload lacks its enterprise,
        or whose enterprise the enterprises service does not know, fails alone."""
        outcomes = [None if event["payload"].get("uscc") and event["payload"].get("region_code") else
                    PermanentFailure(f"{event['type']} payload lacks uscc or region_code") for event in events]
        return self._match(events, [event for event, outcome in zip(events, outcomes) if outcome is None], outcomes)

    def _match(self, events, usable, outcomes, also=None):
        """:func:`push.match_enterprises` of the ``usable`` of ``events``: ``outcomes`` (one per
        event, None for the usable ones) with a ``NotFound`` for each enterprise not on record."""
        if not usable:
            return outcomes
        written, unknown = push.match_enterprises(self._session(), self._matches, usable, self.inbox.first_seen,
                                                  date.today(), also)
        position = {id(event): index for index, event in enumerate(events)}
        for event in unknown:
            outcomes[position[id(event)]] = NotFound(f"the enterprises service knows no {event['payload']['uscc']}")
        if written:
            log.info("policy_matches_notified", enterprises=len(usable), notices=written)
        return outcomes

    def _matches(self, usccs, criteria_by_id):
        with eventlet.Timeout(float(self.config.get("MATCH_TIMEOUT", 10))):
            return self.enterprises.matches_each(usccs, criteria_by_id)

    # -- policies --------------------------------------------------------------------------------

    @handles("policy.published")
    def push_policy(self, event):
        """政策直享: every enterprise meeting a published policy gets a notice saying why.

        A redelivered event resumes the push where it stopped; notices are keyed
        by (policy, enterprise), so nothing is written twice.
        """
        payload = payload_of(event, PolicyPublished)
        with self.db.transaction() as tx:
            if self.inbox.first_delivery(tx, event):
                push.record_publication(tx, payload, push.published_at(event))
        push.push_policy(self._session(), self._fetch_page, payload["policy_id"],
                         int(self.config.get("PUSH_PAGE_SIZE", 10_000)))

    def _fetch_page(self, criteria, after, limit):
        with eventlet.Timeout(float(self.config.get("ENTERPRISES_TIMEOUT", 60))):
            return self.enterprises.matching_usccs(criteria, after_uscc=after, limit=limit)

    @handles("activity.published")
    def invite_to_activity(self, event):
        """活动邀请: every enterprise an activity targets is invited, by the same push as policies.

        The activity's criteria come already narrowed to its agency's region; a
        redelivered event resumes the push, and an enterprise is invited once.
        """
        payload = payload_of(event, ActivityPublished)
        with self.db.transaction() as tx:
            if self.inbox.first_delivery(tx, event):
                push.record_invitation(tx, payload, push.published_at(event))
        push.invite(self._session(), self._fetch_page, payload["activity_id"],
                    int(self.config.get("PUSH_PAGE_SIZE", 10_000)))

    @handles(*ACTIVITY_STEPS, batch=True)
    def tell_activity_registrants(self, events):
        """An enterprise that registered for an activity hears when it moves up from the waitlist to
        a place (what, when, where), and when the occurrence it registered or waits for moves to
        another day. Taken in batches: each event once, in the order delivered, the batch's notices
        in one statement; one whose payload breaks the contract is parked alone."""
        outcomes, payloads = usable_payloads(events, lambda event: ACTIVITY_STEPS[event["type"]])
        usable = [event for event in events if event["event_id"] in payloads]
        if usable:
            with self.db.transaction() as tx:
                self._write(tx, announcements.activity_events(tx, self.inbox.first_seen(tx, usable)))
        return outcomes

    @handles("policy.withdrawn", "policy.expired")
    def stop_policy(self, event):
        """A withdrawn or expired policy is pushed no further; unread notices say it no longer applies."""
        payload = payload_of(event, PolicyClosed)
        state = "withdrawn" if event["type"] == "policy.withdrawn" else "expired"
        with self.db.transaction() as tx:
            if not self.inbox.first_delivery(tx, event):
                return
            marked = push.close_policy(tx, payload, state)
        log.info("policy_closed", policy_id=payload["policy_id"], state=state, notices_marked=marked)

    # -- agencies, requests, providers --------------------------------------------------------------

    @handles("agency.created", "agency.updated", batch=True)
    def record_agency(self, events):
        """Keep the agency hierarchy (who is whose parent, and its names) that notices need. Taken in
        batches (a new hierarchy announces its 3,212 agencies at once), each event once, in the order
        delivered; one whose payload breaks the contract is parked alone."""
        outcomes, readable = batch_payloads(AgencyAnnounced, events)
        if readable:
            with self.db.transaction() as tx:
                self.inbox.apply_once(tx, readable, store.upsert_agency)
        return outcomes

    @handles(*REQUEST_EVENTS, batch=True)
    def tell_request_parties(self, events):
        """诉求直办: the enterprise, the holding agency and the parent agency hear of the steps
        that concern them. Taken in batches: each event once, in the order delivered, the batch's
        notices in one statement; one whose payload breaks the contract is parked alone."""
        outcomes, payloads = usable_payloads(
            events, lambda event: DeadlineMissed if event["type"] == "request.deadline_missed" else RequestTransitioned)
        usable = [event for event in events if event["event_id"] in payloads]
        if usable:
            with self.db.transaction() as tx:
                self._write(tx, announcements.request_events(tx, self.inbox.first_seen(tx, usable)))
        return outcomes

    @handles(*PROVIDER_EVENTS)
    def tell_provider(self, event):
        """A service provider hears of its admission, evaluation and exit."""
        payload_of(event, PROVIDER_EVENTS[event["type"]])
        with self.db.transaction() as tx:
            if self.inbox.first_delivery(tx, event):
                self._write(tx, announcements.provider_event(tx, event))

    @every("REVISIT_SWEEP_INTERVAL", 600)
    def revisit_reminders_on_timer(self):
        """Every ``REVISIT_SWEEP_INTERVAL`` seconds, in every replica (each reminder is claimed once)."""
        self.remind_revisits()

    @rpc
    def remind_revisits(self):
        """Remind holding agencies of requests resolved ``REVISIT_AFTER`` seconds ago and not
        yet revisited (回访); how many reminders were written."""
        after = float(self.config.get("REVISIT_AFTER", 3 * 86400))
        with self.db.transaction() as tx:
            written = announcements.remind_revisits(tx, datetime.now(timezone.utc) - timedelta(seconds=after))
        if written:
            log.info("revisit_reminders_written", reminders=written)
        return written

    # -- the inbox (use_cases/notices.py) -----------------------------------------------------------------

    @rpc
    def inbox_page(self, recipients, query):
        """One page of the caller's notices, newest first (keyset): ``{"items", "page_size", "next_cursor"}``.
        A cursor is good for the kind and read state it was given out for."""
        query = load(schemas.InboxQuery, query, "inbox query")
        recipients = recipients_of(recipients)
        with self.db.transaction() as tx:
            return notices.page(tx, recipients, query)

    @rpc
    def unread_count(self, recipients):
        recipients = recipients_of(recipients)
        with self.db.transaction() as tx:
            return notices.unread(tx, recipients)

    @rpc
    def mark_read(self, recipients, notice_id):
        """Mark one of the caller's notices read; ``NotFound`` for any other (or no such) notice."""
        recipients = recipients_of(recipients)
        with self.db.transaction() as tx:
            return notices.mark_read(tx, recipients, notice_id)

    @rpc
    def mark_all_read(self, recipients, kind=None):
        kind = load(schemas.KindFilter, {"kind": kind} if kind else {}, "filter").get("kind")
        recipients = recipients_of(recipients)
        with self.db.transaction() as tx:
            return notices.mark_all_read(tx, recipients, kind)

    # -- preferences (use_cases/preferences.py) ----------------------------------------------------------

    @rpc
    def get_preferences(self, recipient):
        recipient = recipients_of([recipient])[0]
        with self.db.transaction() as tx:
            return recipient_preferences.preferences(tx, recipient)

    @rpc
    def set_preferences(self, recipient, preferences):
        """Replace a recipient's preferences; unknown kinds or channels are refused, nothing changes."""
        recipient = recipients_of([recipient])[0]
        data = load(schemas.Preferences, preferences, "preferences")
        with self.db.transaction() as tx:
            return recipient_preferences.replace(tx, recipient, data)

    # -- webhooks (use_cases/subscriptions.py) -------------------------------------------------------------

    def _rules(self):
        return webhooks.DestinationRules.from_config(self.config)

    @rpc
    def subscribe_webhook(self, recipient, owner_subject, request):
        """A webhook subscription for a recipient's notices; the answer alone carries the secret.

        The URL is refused (``ValidationFailed``) unless it is https (or http where
        allowed) and resolves only to addresses deliveries may go to.
        """
        recipient = recipients_of([recipient])[0]
        data = load(schemas.WebhookRequest, request, "webhook subscription")
        try:
            webhooks.resolve(data["url"], self._rules())
        except webhooks.RefusedDestination as exc:
            raise ValidationFailed(f"the webhook URL is refused: {exc}", {"url": [str(exc)]}) from None
        with self.db.transaction() as tx:
            created = subscriptions.subscribe(tx, recipient, owner_subject, data, webhooks.new_secret(),
                                              self.deliveries.settings.secret_keys.seal)
        log.info("webhook_subscribed", subscription_id=created["id"], recipient_kind=recipient[0])
        return created

    @rpc
    def list_webhooks(self, recipient):
        recipient = recipients_of([recipient])[0]
        with self.db.transaction() as tx:
            return subscriptions.listed(tx, recipient)

    @rpc
    def delete_webhook(self, recipient, subscription_id):
        """End a subscription; its deliveries not yet made are cancelled (the log stays)."""
        recipient = recipients_of([recipient])[0]
        with self.db.transaction() as tx:
            return subscriptions.delete(tx, recipient, subscription_id)

    @rpc
    def ping_webhook(self, recipient, subscription_id):
        """Send a signed test request now; a paused subscription that answers resumes."""
        recipient = recipients_of([recipient])[0]
        with self.db.transaction() as tx:
            row = subscriptions.subscription(tx, recipient, subscription_id, with_secret=True)
        settings = self.deliveries.settings
        message_id = f"ping_{row['id']}_{uuid.uuid4().hex[:12]}"
        answer = dispatch.send_webhook(settings, row, message_id, dispatch.ping_body(row["id"]))
        state = row["state"]
        if answer.delivered and state == "paused":
            with self.db.transaction() as tx:
                store.resume_subscription(tx, row["id"])
                tx.after_commit(self.deliveries.wake)
            state = "active"
        return {"delivered": answer.delivered, "status": answer.status, "error": answer.error,
                "duration_ms": answer.duration_ms, "state": state}

    @rpc
    def webhook_deliveries(self, recipient, subscription_id, query):
        """The delivery log of one subscription, newest first, every attempt included (keyset pages)."""
        query = load(schemas.DeliveryQuery, query, "delivery query")
        recipient = recipients_of([recipient])[0]
        with self.db.transaction() as tx:
            return subscriptions.deliveries(tx, recipient, subscription_id, query)

    # -- push results (use_cases/reach.py) -----------------------------------------------------------------

    @rpc
    def policy_matches(self, policy_id, within, query):
        """Who a policy was pushed to within ``within`` (a region prefix; None: everywhere), by
        USCC (keyset pages)."""
        query = load(schemas.MatchQuery, query, "matches query")
        with self.db.transaction() as tx:
            return reach.policy_matches(tx, int(policy_id), within, query)

    @rpc
    def policy_reach(self, policy_id, within):
        """应知尽知: of the enterprises within ``within`` a policy was pushed to, how many read it
        and how many then raised a request about it."""
        with self.db.transaction() as tx:
            return reach.policy_reach(tx, int(policy_id), within)

    @rpc
    def region_figures(self, prefix, period, cutoff):
        """政策直享 per region code under ``prefix`` ('' the country) in ``period``, as recorded by
        ``cutoff`` (ISO 8601): enterprises told of a policy, policy notices and those read. The
        agencies service's scoring runs read them, and a cut-off always gives the same figures."""
        span, moment = periods.figures_query(prefix, period, cutoff)
        with self.db.transaction() as tx:
            return schemas.RegionPolicyReach(many=True).dump(
                store.policy_reach_by_region(tx, prefix, span.start, span.end, moment))

    @rpc
    def delivery_backlog(self):
        """Deliveries waiting, being sent and held (operators)."""
        with self.db.transaction() as tx:
            return store.delivery_backlog(tx)
