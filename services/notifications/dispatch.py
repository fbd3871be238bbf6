"""The delivery dispatcher: sends queued deliveries over webhooks and e-mail.

A greenthread in every replica takes due deliveries off the ``delivery`` table
(the queue) and sends each in a bounded pool. Per endpoint (one webhook
subscription, or the mail server) at most ``WEBHOOK_CONCURRENCY`` /
``EMAIL_CONCURRENCY`` deliveries are in flight across all replicas, and every
send has a hard time limit, so a subscriber that answers 500 or hangs holds a
few slots of its own and never the others'. A failed delivery comes back after
an exponential backoff with jitter, until it is given up (too many attempts or
too old); every attempt is logged. A subscriber that fails
``WEBHOOK_PAUSE_AFTER`` times in a row is paused, its deliveries are held and
its owner is told in the inbox. Quiet hours put a delivery back, untried, until
they end. A subscription's signing secret is opened (``WEBHOOK_SECRET_KEYS``,
:mod:`services.notifications.signing_secrets`) only to sign its request; at start
the dispatcher seals any secret still stored as it is.
"""
import json
import random
from datetime import datetime, timezone

import eventlet
import structlog
from eventlet.greenpool import GreenPool

from chassis.background import WokenLoop
from chassis.db import SchemaPool, transaction
from chassis.sealing import Unreadable
from services.notifications import domain, mail, signing_secrets, store, webhooks
from services.notifications.figures import DELIVERIES, SUBSCRIPTIONS_PAUSED
from services.notifications.schemas import WEBHOOK

log = structlog.get_logger(__name__)

UNREADABLE = "not sent: the subscription's signing secret is unreadable"


class Settings:
    """The dispatcher's knobs, from the service config."""

    def __init__(self, config):
        number = lambda key, default: float(config.get(key, default))  # noqa: E731
        self.enabled = str(config.get("DELIVERY_DISPATCH", "on")).lower() not in ("off", "false", "0")
        self.workers = int(number("DELIVERY_WORKERS", 20))
        self.poll_interval = number("DELIVERY_POLL_INTERVAL", 0.5)
        self.webhook_concurrency = int(number("WEBHOOK_CONCURRENCY", 2))
        self.email_concurrency = int(number("EMAIL_CONCURRENCY", 4))
        self.connect_timeout = number("WEBHOOK_CONNECT_TIMEOUT", 3)
        self.read_timeout = number("WEBHOOK_TIMEOUT", 10)
        self.pause_after = int(number("WEBHOOK_PAUSE_AFTER", 5))
        self.max_attempts = int(number("DELIVERY_MAX_ATTEMPTS", 12))
        self.give_up_after = number("DELIVERY_GIVE_UP_AFTER", 86400)
        self.retry_base = number("DELIVERY_RETRY_BASE", 10)
        self.retry_cap = number("DELIVERY_RETRY_CAP", 3600)
        self.ca_file = config.get("WEBHOOK_CA_FILE") or None
        self.rules = webhooks.DestinationRules.from_config(config)
        self.mail_server = mail.MailServer.from_config(config)
        # None configured: the service does not start (as the gateway without a JWT key).
        self.secret_keys = signing_secrets.keys_of(config)

    @property
    def lease_seconds(self):
        return self.connect_timeout + self.read_timeout + 30


def webhook_body(notice, delivery_id):
    """What a webhook receives: the Standard Webhooks payload shape (type, timestamp, data)."""
    data = {key: (str(value) if key == "id" else value) for key, value in notice.items()
            if key not in ("recipient_kind", "recipient_id")}
    data["recipient"] = {"kind": notice["recipient_kind"], "id": notice["recipient_id"]}
    return json.dumps({"type": "notice.created", "timestamp": datetime.now(timezone.utc).isoformat(),
                       "data": data}, ensure_ascii=False, default=str).encode()


def ping_body(subscription_id):
    return json.dumps({"type": "webhook.ping", "timestamp": datetime.now(timezone.utc).isoformat(),
                       "data": {"subscription_id": subscription_id}}).encode()


def send_webhook(settings, subscription, message_id, body):
    """Check the subscription's destination again (after DNS resolution) and POST, signed with its
    secret (opened here): an ``Answer``."""
    try:
        destination = webhooks.resolve(subscription["url"], settings.rules)
    except webhooks.RefusedDestination as exc:
        return webhooks.Answer(False, None, f"refused: {exc}", 0)
    try:
        secret = settings.secret_keys.open(subscription["secret"])
    except Unreadable as exc:
        log.error("webhook_secret_unreadable", subscription_id=subscription["id"], error=str(exc))
        return webhooks.Answer(False, None, f"{UNREADABLE} ({exc})", 0)
    headers = webhooks.signed_headers(secret, message_id, body)
    limit = settings.connect_timeout + settings.read_timeout + 5
    with eventlet.Timeout(limit, False):
        return webhooks.post(destination, body, headers, settings.connect_timeout, settings.read_timeout,
                             settings.ca_file)
    return webhooks.Answer(False, None, f"no answer within {limit:g}s", int(limit * 1000))


class DeliveryDispatcher(WokenLoop):
    """``self.deliveries`` on the service: ``wake()`` after committing new deliveries."""

    schema_pool = SchemaPool()
    loop_name = "delivery_dispatcher"

    def setup(self):
        super().setup()
        self.settings = Settings(self.container.config)
        self._pool = GreenPool(self.settings.workers)

    def enabled(self):
        return self.settings.enabled

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self._seal_plain_secrets, identifier="seal_plain_secrets")

    def _seal_plain_secrets(self):
        """Seal the secrets stored as they are (written before secrets were sealed), once the
        database answers."""
        delay = 1
        while True:
            try:
                with self.schema_pool.pool.connection() as conn:
                    sealed = signing_secrets.seal_plain(conn, self.settings.secret_keys)
            except Exception:
                log.exception("sealing_plain_secrets_failed", retry_in=delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, 60)
                continue
            if sealed:
                log.info("plain_secrets_sealed", subscriptions=sealed)
            return

    def stop(self):
        super().stop()
        self._pool.waitall()

    def get_dependency(self, worker_ctx):
        return self

    # -- the loop ---------------------------------------------------------------------------

    def run_loop(self):
        while self.running:
            taken = 0
            try:
                free = self._pool.free()
                if free:
                    for delivery in self._claim(free):
                        taken += 1
                        self._pool.spawn_n(self._deliver, delivery)
            except Exception:
                log.exception("delivery_claim_failed")
                eventlet.sleep(1)
                continue
            if taken:
                eventlet.sleep(0)
                continue
            self.wait_for_wake(self.settings.poll_interval)

    def _claim(self, free):
        settings = self.settings
        now = datetime.now(timezone.utc)
        with self.schema_pool.pool.connection() as conn, transaction(conn) as tx:
            claimed = store.claim_deliveries(tx, free, settings.webhook_concurrency, settings.email_concurrency,
                                             settings.lease_seconds)
            quiet = {row["id"]: until for row in claimed
                     if (until := domain.quiet_until(now, row["quiet_start"], row["quiet_end"], row["time_zone"]))}
            store.defer_deliveries(tx, quiet)
        return [row for row in claimed if row["id"] not in quiet]

    # -- one delivery -----------------------------------------------------------------------------

    def _deliver(self, delivery):
        try:
            with self.schema_pool.pool.connection() as conn:
                with transaction(conn) as tx:
                    notice = store.delivery_content(tx, delivery["notice_id"])
                    subscription = (store.subscription(tx, delivery["subscription_id"], with_secret=True)
                                    if delivery["subscription_id"] else None)
                if delivery["channel"] == WEBHOOK:
                    answer = self._send_webhook(delivery, notice, subscription)
                else:
                    answer = self._send_mail(delivery, notice)
                with transaction(conn) as tx:
                    self._settle(tx, delivery, subscription, answer)
        except Exception:
            log.exception("delivery_failed_unexpectedly", delivery_id=delivery["id"])

    def _send_webhook(self, delivery, notice, subscription):
        if subscription is None or subscription["state"] != "active":
            return webhooks.Answer(False, None, "the subscription is no longer active", 0)
        return send_webhook(self.settings, subscription, f"dlv_{delivery['id']}",
                            webhook_body(notice, delivery["id"]))

    def _send_mail(self, delivery, notice):
        server = self.settings.mail_server
        delivered, error, duration = mail.send(server, mail.message_for(server, delivery["address"], notice,
                                                                        delivery["id"]))
        return webhooks.Answer(delivered, None, error, duration)

    def _settle(self, tx, delivery, subscription, answer):
        settings, now = self.settings, datetime.now(timezone.utc)
        channel = delivery["channel"]
        if answer.delivered:
            store.record_attempt(tx, delivery, "delivered", answer.status, None, answer.duration_ms)
            if subscription is not None:
                store.subscriber_answered(tx, subscription["id"])
            DELIVERIES.labels(channel, "delivered").inc()
            return
        attempts = delivery["attempts"] + 1
        if domain.gives_up(delivery["created_at"], now, attempts, settings.give_up_after, settings.max_attempts):
            store.record_attempt(tx, delivery, "given_up", answer.status, answer.error, answer.duration_ms)
            DELIVERIES.labels(channel, "given_up").inc()
            log.warning("delivery_given_up", delivery_id=delivery["id"], channel=channel, attempts=attempts,
                        error=answer.error)
        else:
            delay = domain.retry_delay(attempts, settings.retry_base, settings.retry_cap, random.random())
            next_try = datetime.fromtimestamp(now.timestamp() + delay, timezone.utc)
            outcome = "refused" if (answer.error or "").startswith("refused:") else "failed"
            store.record_attempt(tx, delivery, outcome, answer.status, answer.error, answer.duration_ms, next_try)
            DELIVERIES.labels(channel, outcome).inc()
        # A secret no configured key opens is the operator's fault, not the subscriber's: no pause.
        if subscription is not None and not (answer.error or "").startswith(UNREADABLE):
            paused = store.subscriber_failed(tx, subscription["id"], settings.pause_after, answer.error or "failed")
            if paused is not None:
                self._tell_owner(tx, paused)

    def _tell_owner(self, tx, subscription):
        notice = domain.webhook_paused_notice(subscription, subscription["consecutive_failures"])
        store.add_notices(tx, [notice], f"webhook-paused:{subscription['id']}:{subscription['paused_at'].isoformat()}")
        SUBSCRIPTIONS_PAUSED.inc()
        log.warning("webhook_paused", subscription_id=subscription["id"], url=subscription["url"],
                    failures=subscription["consecutive_failures"])
