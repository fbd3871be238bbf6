"""Provinces on the network (一张网): their codes, broker names, and the ingestion of their events.

Each of the 31 provincial-level divisions of the mainland network (GB/T 2260
province codes, without 台湾 71, 香港 81 and 澳门 82) has its own RabbitMQ
user ``province-<code>``. It publishes into the topic exchange
:data:`PROVINCES_IN` under routing keys ``<code>.<entity>.<verb>``, which its
topic permissions confine to its own code, and every message carries
``user_id`` equal to that user, which RabbitMQ validates. It reads only its own
two queues: ``province.<code>.outbound`` (what concerns it, published by the
provinces relay to :data:`PROVINCES_OUT` under ``<code>.<type>``) and
``province.<code>.dead-letter`` (its events that could not be applied, with the
reason in headers).

:class:`ProvincialEventHandler` (``@ingests(event_type)``) is the reliable
handler of the owning service: a durable queue bound to :data:`PROVINCES_IN`
by ``*.<entity>.<verb>``, bounded retries for faults of OneNet's own, and
three checks before the service sees an event: the envelope, the type and
version against the routing key and the contract's schemas, and the
publisher (the routing key's code, the ``user_id`` RabbitMQ vouched for and
the payload's region must name the same province; the service checks the
region). A rejected event is parked in its province's dead-letter queue and the
queue keeps flowing. Every step is counted per province
(``onenet_province_events_*``).
"""
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache, partial

import structlog
from kombu import Exchange, Queue
from marshmallow import Schema, ValidationError, fields, validate
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider

from chassis import contracts, envelope
from chassis.events import (DEFAULT_BATCH, H_ERROR, H_ORIGINAL_ROUTING_KEY, REDELIVERY_EXCHANGE,
                            PermanentFailure, ReliableEventHandler, ReliableQueueConsumer)
from chassis.logs import CORRELATION_KEY
from chassis.metrics import (PROVINCE_APPLIED, PROVINCE_DUPLICATES, PROVINCE_FORWARDED, PROVINCE_LAG,
                             PROVINCE_RECEIVED, PROVINCE_REJECTED, PROVINCE_STALE)
from chassis.queues import DurableQueues
from reference import regions

log = structlog.get_logger(__name__)

PROVINCES_IN = "onenet.provinces.in"
PROVINCES_OUT = "onenet.provinces.out"
# What the owning services name when they bind: declared by the topology (``infra.provinces``),
# never by a service, whose broker user may not configure it.
INBOUND_EXCHANGE = Exchange(PROVINCES_IN, type="topic", durable=True, passive=True)
OUTBOUND_EXCHANGE = Exchange(PROVINCES_OUT, type="topic", durable=True, passive=True)

# Provincial-level divisions outside the mainland SME network: 台湾 (71), and 香港 (81) and
# 澳门 (82), whose SMEs are served under their own systems.
OUTSIDE_NETWORK = frozenset({"71", "81", "82"})

ENTITY_VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")

# Headers of a parked provincial event, besides chassis.events' x-onenet-* ones.
H_REASON = "x-onenet-reason"
H_USER_ID = "x-onenet-user-id"

# What a handler reports for an event it did not reject.
APPLIED, STALE, DUPLICATE = "applied", "stale", "duplicate"

# Why an event is rejected (the x-onenet-reason header and the metrics' reason label).
MALFORMED = "malformed"                    # not JSON, not an envelope
WRONG_PUBLISHER = "wrong_publisher"        # user_id missing, or not the routing key's province
TYPE_MISMATCH = "type_mismatch"            # the envelope's type is not the routing key's
UNSUPPORTED_VERSION = "unsupported_version"
INVALID_PAYLOAD = "invalid_payload"        # the payload breaks its schema
OUTSIDE_PROVINCE = "outside_province"      # the data lies outside the publishing province
UNKNOWN_REFERENCE = "unknown_reference"    # names something OneNet does not have
NOT_ALLOWED = "not_allowed"                # breaks a rule of the owning service
REASONS = (MALFORMED, WRONG_PUBLISHER, TYPE_MISMATCH, UNSUPPORTED_VERSION, INVALID_PAYLOAD,
           OUTSIDE_PROVINCE, UNKNOWN_REFERENCE, NOT_ALLOWED)


@cache
def province_codes():
    """The two-digit codes of the 31 provinces on the network, from the GB/T 2260 data."""
    return tuple(division.code[:2] for division in regions.active_divisions(regions.PROVINCE)
                 if division.code[:2] not in OUTSIDE_NETWORK)


def is_province(code):
    return isinstance(code, str) and code in province_codes()


def province_name(code):
    return regions.lookup(f"{code}0000").name


def user_name(code, prefix=""):
    """The RabbitMQ user of province ``code``: ``province-<code>``, after ``prefix`` (a test
    suite's namespace; users are cluster-wide)."""
    return f"{prefix}province-{code}"


def outbound_queue(code):
    return f"province.{code}.outbound"


def dead_letter_queue(code):
    return f"province.{code}.dead-letter"


def inbound_key(code, event_type):
    return f"{code}.{event_type}"


def within(code, region_code):
    """Whether a six-digit region code lies in province ``code``."""
    return isinstance(region_code, str) and region_code[:2] == code


def check_within(province, region_code, what="region_code"):
    """Reject data outside the publishing province, whatever the payload claims."""
    if not within(province, region_code):
        raise Rejected(OUTSIDE_PROVINCE, f"{what} {region_code} lies outside province {province}; "
                                         f"province-{province} may only change data in its own region")


def topology(codes=None, durable=None):
    """The provincial exchanges and, per province, its outbound and dead-letter queues (kombu), of
    the type ``durable`` (:class:`chassis.queues.DurableQueues`) gives; the province's client
    reads them, so they have no delivery limit."""
    inbound = Exchange(PROVINCES_IN, type="topic", durable=True)
    outbound = Exchange(PROVINCES_OUT, type="topic", durable=True)
    arguments = (durable or DurableQueues.from_config()).arguments()
    queues = []
    for code in codes or province_codes():
        queues.append(Queue(outbound_queue(code), exchange=outbound, routing_key=f"{code}.#", durable=True,
                            queue_arguments=arguments))
        queues.append(Queue(dead_letter_queue(code), exchange=REDELIVERY_EXCHANGE,
                            routing_key=dead_letter_queue(code), durable=True, queue_arguments=arguments))
    return [inbound, outbound], queues


# -- the contract of a provincial event type ---------------------------------------------

class Envelope(Schema):
    """The network's envelope, which every provincial event travels in."""

    event_id = fields.UUID(required=True, metadata={
        "description": "Unique per event; a redelivered event (same id) has one effect"})
    type = fields.String(required=True, metadata={
        "description": "`<entity>.<verb>`, the routing key without the province code"})
    version = fields.Integer(required=True, strict=True, metadata={
        "description": "Version of the payload schema"})
    occurred_at = fields.AwareDateTime(required=True, metadata={
        "description": "ISO 8601 with zone: when it happened on the provincial system"})
    source = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "The provincial system that publishes, e.g. `gd-sme-platform`"})
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "Follows the event through every hop and log line"})
    payload = fields.Dict(required=True, metadata={"description": "The type's payload"})


@dataclass(frozen=True)
class ProvincialEventType:
    """One type provinces publish: its schema per version, an example, its owner."""

    type: str               # <entity>.<verb>
    owner: str              # the owning service
    schemas: dict           # version -> marshmallow Schema class of the payload
    example: dict           # a valid payload of the latest version
    summary: str

    def __post_init__(self):
        if not ENTITY_VERB.match(self.type):
            raise ValueError(f"provincial event type {self.type!r} is not <entity>.<verb>")

    @property
    def latest(self):
        return max(self.schemas)

    def loader(self, version):
        """The payload schema of ``version`` (one instance each: making one costs more than a load)."""
        return _schema_instance(self.schemas.get(version))


@cache
def _schema_instance(schema_cls):
    return None if schema_cls is None else schema_cls()


@dataclass(frozen=True)
class ProvincialEvent:
    """An event that passed the network's checks, as a service's handler receives it."""

    province: str
    event_id: str
    type: str
    version: int
    occurred_at: datetime
    correlation_id: str
    payload: dict           # loaded by the type's schema
    envelope: dict = field(repr=False)


class Rejected(PermanentFailure):
    """An event the province must correct: parked in its dead-letter queue with ``reason``.

    ``retry``: the event may become applicable by itself (it names something
    another event in flight creates): it is retried as a fault would be, and
    parked in the province's queue only when the retries are spent.
    """

    def __init__(self, reason, message, retry=False):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry = retry

    def __str__(self):
        return self.message


def first_error(messages):
    """One line naming each bad field of a marshmallow error."""
    def flat(prefix, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from flat(f"{prefix}.{key}" if prefix else str(key), inner)
        else:
            for item in (value if isinstance(value, list) else [value]):
                yield from (flat(prefix, item) if isinstance(item, dict) else [f"{prefix}: {item}"])
    return "; ".join(flat("", messages))[:1500]


def unpack(body, routing_key, user_id, contract, user_prefix=""):
    """The :class:`ProvincialEvent` in ``body``, or :class:`Rejected` saying why not.

    ``routing_key`` is ``<code>.<entity>.<verb>`` as published; ``user_id`` is
    the message property RabbitMQ validated against the publishing user.
    """
    province, _, event_type = str(routing_key).partition(".")
    if not is_province(province):
        raise Rejected(WRONG_PUBLISHER, f"routing key {routing_key} names no province of the network")
    if user_id != user_name(province, user_prefix):
        raise Rejected(WRONG_PUBLISHER,
                       f"user_id {user_id!r} is not {user_name(province, user_prefix)!r}, the publisher "
                       f"the routing key {routing_key} names" if user_id else
                       "the message carries no user_id; publish with user_id set to your RabbitMQ user")
    try:
        event = envelope.check(body)
    except envelope.MalformedEvent as exc:
        raise Rejected(MALFORMED, str(exc)) from None
    problems = [name for name in ("type", "source", "correlation_id")
                if not isinstance(event[name], str) or not 0 < len(event[name]) <= 200]
    if problems or not isinstance(event["version"], int) or isinstance(event["version"], bool):
        raise Rejected(MALFORMED, f"envelope: {', '.join(problems or ['version'])} not as docs/events.md says "
                                  "(type, source and correlation_id strings of 1 to 200 characters, version an integer)")
    if event["type"] != event_type:
        raise Rejected(TYPE_MISMATCH, f"type {event['type']!r} does not match routing key {routing_key}")
    schema_cls = contract.schemas.get(event["version"])
    if schema_cls is None:
        raise Rejected(UNSUPPORTED_VERSION, f"{event_type} version {event['version']!r} is not supported; "
                                            f"supported: {', '.join(map(str, sorted(contract.schemas)))}")
    try:
        payload = contracts.load(schema_cls, event["payload"])
    except ValidationError as exc:
        raise Rejected(INVALID_PAYLOAD, first_error(exc.messages)) from None
    return ProvincialEvent(province, str(event["event_id"]), event_type, event["version"],
                           datetime.fromisoformat(event["occurred_at"]), event["correlation_id"],
                           payload, event)


# -- per-entity source versions ---------------------------------------------------------------

def claim_version(tx, event, entity, key, source_version):
    """Record ``source_version`` as the newest the province sent for ``entity`` ``key``, in ``tx``.

    True when it is newer than any before (apply the event); False when an
    equal or newer one came first (ignore it as stale). The row stays locked
    until ``tx`` ends, so two updates of one entity apply one after the other.
    """
    row = tx.one(
        "INSERT INTO provincial_version AS v (province, entity, entity_key, source_version, event_id) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (province, entity, entity_key) DO UPDATE "
        "SET source_version = EXCLUDED.source_version, event_id = EXCLUDED.event_id, updated_at = now() "
        "WHERE v.source_version < EXCLUDED.source_version RETURNING source_version",
        (event.province, entity, str(key), int(source_version), event.event_id))
    return row is not None


def claim_versions(tx, claims):
    """:func:`claim_version` for a batch of ``(event, entity, key, source_version)``, at most one per
    entity: the set of ``(province, entity, key)`` claimed (newer than any before)."""
    if not claims:
        return set()
    rows = sorted((event.province, entity, str(key), int(version), event.event_id)
                  for event, entity, key, version in claims)
    claimed = tx.all(
        "INSERT INTO provincial_version AS v (province, entity, entity_key, source_version, event_id) "
        "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::uuid[]) "
        "ON CONFLICT (province, entity, entity_key) DO UPDATE SET source_version = EXCLUDED.source_version, "
        "event_id = EXCLUDED.event_id, updated_at = now() WHERE v.source_version < EXCLUDED.source_version "
        "RETURNING province, entity, entity_key",
        tuple(list(column) for column in zip(*rows)))
    return {(row["province"], row["entity"], row["entity_key"]) for row in claimed}


def seen_version(tx, event, entity, key, source_version):
    """Whether the province already sent ``entity`` ``key`` at ``source_version`` or later (a read
    before slow work; :func:`claim_version` decides, in the transaction of the effect)."""
    row = tx.one("SELECT source_version FROM provincial_version WHERE province = %s AND entity = %s "
                 "AND entity_key = %s", (event.province, entity, str(key)))
    return row is not None and row["source_version"] >= int(source_version)


# -- the entrypoint ------------------------------------------------------------------------------

class ProvincialQueueConsumer(ReliableQueueConsumer):
    """The provincial handlers' own consumer, whose prefetch (``PROVINCIAL_PREFETCH``) lets a
    handler take its events in batches."""

    @property
    def prefetch_count(self):
        return int(self.container.config.get("PROVINCIAL_PREFETCH", 2 * DEFAULT_BATCH))


class ProvincialEventHandler(ReliableEventHandler):
    """Entrypoint: the owning service's consumer of one provincial event type.

    The decorated method receives a :class:`ProvincialEvent` and returns
    :data:`APPLIED`, :data:`STALE` or :data:`DUPLICATE`; it raises
    :class:`Rejected` for an event the province must correct. Faults of
    OneNet's own (the database gone) are retried and then parked for
    operators in ``<queue>.dead-letter``, as for any reliable handler.

    ``batch=True`` (a bulk type): the method receives a list of events, up to
    ``PROVINCIAL_BATCH_SIZE`` (default 500) gathered for at most
    ``PROVINCIAL_BATCH_WAIT`` seconds (default 0.02), applies them in one
    transaction, and returns the outcome of each, in order (a Rejected for one
    rejected); each event is then counted, a rejected one parked on its
    own, and the others acknowledged together. A fault fails the batch: every
    event of it is retried.
    """

    exchange = INBOUND_EXCHANGE
    queue_consumer = ProvincialQueueConsumer()
    batch_size_setting, batch_wait_setting = "PROVINCIAL_BATCH_SIZE", "PROVINCIAL_BATCH_WAIT"

    def __init__(self, contract, batch=False, **kwargs):
        self.contract = contract
        super().__init__(contract.type, batch=batch, **kwargs)

    @property
    def binding_keys(self):
        return (f"*.{self.contract.type}",)

    def setup(self):
        super().setup()
        self.user_prefix = str(self.container.config.get("PROVINCE_USER_PREFIX") or "")
        # Every province has a series, so silence shows; each delivery counts on its province's.
        self._received = {code: PROVINCE_RECEIVED.labels(code, self.contract.type) for code in province_codes()}
        self._lag = {code: PROVINCE_LAG.labels(code) for code in province_codes()}

    # -- delivery -------------------------------------------------------------------------

    def handle_message(self, body, message):
        headers = message.headers if message.headers is not None else {}
        info = message.delivery_info or {}
        if info.get("exchange") == PROVINCES_IN:
            # First delivery: trust only what RabbitMQ vouches for, the routing key and user_id.
            for name in [name for name in headers if name.lower().startswith("x-onenet-")]:
                del headers[name]
            headers[H_ORIGINAL_ROUTING_KEY] = info.get("routing_key", "")
            headers[H_USER_ID] = (message.properties or {}).get("user_id") or ""
            province = self._province(message)
            (self._received.get(province) or PROVINCE_RECEIVED.labels(province, self.contract.type)).inc()
        message.headers = headers
        try:
            event = unpack(body, headers.get(H_ORIGINAL_ROUTING_KEY, ""), headers.get(H_USER_ID) or None,
                           self.contract, self.user_prefix)
        except Rejected as exc:
            self.container.spawn_managed_thread(partial(self._reject, message, exc))
            return
        self._lag[event.province].observe(max(0.0, (datetime.now(timezone.utc) - event.occurred_at).total_seconds()))
        headers.setdefault(f"nameko.{CORRELATION_KEY}", event.correlation_id)
        if self.batch:
            self.gather(event, message)
            return
        try:
            self.container.spawn_worker(self, (event,), {}, context_data=self.unpack_message_headers(message),
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def park_undecodable(self, message, exc):
        self._reject(message, Rejected(MALFORMED, f"message body could not be decoded: {exc}"))

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.count_handled([(message, result)])
            self.queue_consumer.ack_message(message)
        elif isinstance(exc_info[1], Rejected):
            attempts = int((message.headers or {}).get("x-onenet-attempts", 0)) + 1
            if exc_info[1].retry and attempts <= len(self.delays):
                super().handle_message_processed(message, result, (RuntimeError, RuntimeError(exc_info[1].message),
                                                                    None))
            else:
                self._reject(message, exc_info[1])
        else:
            super().handle_message_processed(message, result, exc_info)

    def count_handled(self, handled):
        """Count applied, stale and duplicate events per province, one increment per kind."""
        for (province, result), count in Counter((self._province(message), result)
                                                 for message, result in handled).items():
            counter = {APPLIED: PROVINCE_APPLIED, STALE: PROVINCE_STALE,
                       DUPLICATE: PROVINCE_DUPLICATES}.get(result, PROVINCE_APPLIED)
            counter.labels(province, self.contract.type).inc(count)

    # -- parking in the province's dead-letter queue ----------------------------------------

    def _province(self, message):
        code = str((message.headers or {}).get(H_ORIGINAL_ROUTING_KEY, "")).partition(".")[0]
        return code if is_province(code) else "unknown"

    def _reject(self, message, rejection):
        """Park the event in its province's dead-letter queue with the reason; ack it."""
        province = self._province(message)
        headers = self._copy_headers(message, int((message.headers or {}).get("x-onenet-attempts", 0)) + 1,
                                     rejection.message)
        headers[H_REASON] = rejection.reason
        headers[H_ERROR] = rejection.message[:2000]
        headers["x-onenet-exception"] = type(rejection).__name__
        headers["x-onenet-parked-at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        target = dead_letter_queue(province) if province != "unknown" else f"{self.queue_name}.dead-letter"
        try:
            self._republish(message, target, headers)
        except Exception:
            log.exception("province_park_failed", queue=self.queue_name, province=province)
            time.sleep(1)
            self.queue_consumer.requeue_message(message)
            return
        PROVINCE_REJECTED.labels(province, self.contract.type, rejection.reason).inc()
        log.warning("province_event_rejected", province=province, type=self.contract.type,
                    reason=rejection.reason, error=rejection.message)
        self.queue_consumer.ack_message(message)


ingests = ProvincialEventHandler.decorator


# -- outbound ---------------------------------------------------------------------------------

class OutboundSender:
    """What a worker sees as ``self.outbound``."""

    def __init__(self, publisher):
        self.publisher = publisher

    def send(self, event, codes):
        """Put ``event`` (an envelope) on the outbound queue of each province in ``codes``
        (routing key ``<code>.<type>``), persistent and confirmed; mandatory, so a province
        without its queue is an error, not a silent drop."""
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        for code in sorted(codes):
            self.publisher.publish(body, exchange=PROVINCES_OUT, routing_key=f"{code}.{event['type']}",
                                   mandatory=True, serializer=None, content_type="application/json",
                                   content_encoding="utf-8", message_id=event["event_id"],
                                   headers={f"nameko.{CORRELATION_KEY}": event["correlation_id"]})
            PROVINCE_FORWARDED.labels(code, event["type"]).inc()
        return len(codes)


class ProvincesOutbound(DependencyProvider):
    """``self.outbound`` on the provinces relay (see :class:`OutboundSender`)."""

    def setup(self):
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True)

    def get_dependency(self, worker_ctx):
        return OutboundSender(self.publisher)
