"""Least privilege: every OneNet process has its own PostgreSQL role and RabbitMQ user.

``python -m infra.network prepare`` makes them, idempotently, for each process
whose passwords are set (``ONENET_<PROCESS>_DB_PASSWORD``,
``ONENET_<PROCESS>_AMQP_PASSWORD``; names ``<ONENET_ROLE_PREFIX>_<process>``),
and sets the password again on every run. The processes then connect with them
(:func:`chassis.config.with_own_accounts`).

PostgreSQL: the role may connect, make temporary tables and read and write the
rows of its own schema's tables; it owns nothing, so it cannot change a table,
drop one, or disable a trigger, and it has no right at all on another
service's schema (a read or a write there is refused). The migrations run as
the administrator that ``prepare`` connects as.

RabbitMQ: the user may declare, bind and consume only its own queues
(``rpc-<service>`` and ``rpc-<service>.dead-letter``, ``rpc.reply-<service>-*``,
``<service>.*``) and declare the three shared exchanges, which nameko declares on
start. On those topic exchanges the routing keys confine it: it sends RPC calls
only to the services it calls and replies to calls it received (``nameko-rpc``),
announces only its own events (``onenet.events``, :data:`EVENTS_PUBLISHED`),
re-routes only its own retried and parked deliveries and the calls to it that it
parks (``onenet.redelivery``), and binds only the keys of its own RPC methods,
replies, handled events and dead-letter queues. It may not publish to
the default exchange, which would reach any queue by name. (The right to
declare the shared exchanges is also the right to delete them: RabbitMQ has no
separate one, and nameko declares them on start.)

A service that ingests provincial events may also bind its own queues to the
provinces' inbound exchange by the keys of the types it owns (it names that
exchange passively, so it cannot change or delete it) and park rejected events
in a province's dead-letter queue; the provinces relay may publish to the
outbound exchange under ``<code>.<entity>.<verb>``. The provinces' own users
are :mod:`infra.provinces`'.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from psycopg2 import sql

from chassis.events import EVENTS_EXCHANGE, REDELIVERY_EXCHANGE
from chassis.provinces import PROVINCES_IN, PROVINCES_OUT

RPC_EXCHANGE = "nameko-rpc"

# The event types each process announces, by prefix (`<prefix>.<verb>`); docs/events.md.
EVENTS_PUBLISHED = {
    "agencies": ("agency", "guide", "policy", "provider", "capacity", "scoring", "honour"),
    "enterprises": ("enterprise",),
    "requests": ("request", "holiday_schedule"),
    "notifications": (),
    "activities": ("activity", "lead_firm", "chain_need", "financing_need"),
    "gateway": (),
    "provinces": (),
}

# What an RPC reply is routed by: the caller's reply-queue id (a UUID).
_REPLY_KEY = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# Matches only the empty routing key, which no queue is bound by: "nothing".
_NOTHING = "^$"


# -- what each process may do on the broker --------------------------------------------


@dataclass(frozen=True)
class BrokerGrants:
    """A RabbitMQ user's permissions in one vhost: resource regexes and topic regexes."""

    configure: str
    write: str
    read: str
    topics: dict = field(default_factory=dict)  # exchange -> (write, read) routing-key regexes


def _either(*patterns):
    return "^(" + "|".join(patterns) + ")$" if patterns else _NOTHING


# Where a service parks a province's rejected event; what the relay publishes outbound.
PROVINCE_DEAD_LETTER_KEY = r"province\.[0-9]{2}\.dead-letter"
PROVINCE_OUTBOUND_KEY = r"[0-9]{2}\.[a-z_]+\.[a-z_]+"


def broker_grants(service, calls=(), serves_rpc=False, handles=(), publishes=(), ingests=(),
                  forwards_to_provinces=False):
    """The grants of the process named ``service`` (a pure function of what it does).

    ``calls``: services it calls over RPC; ``serves_rpc``: whether it has RPC
    entrypoints; ``handles``: event types it consumes; ``publishes``: prefixes of
    the event types it announces; ``ingests``: the keys (``*.<entity>.<verb>``) it
    binds to the provinces' inbound exchange; ``forwards_to_provinces``: whether
    it publishes to the provinces' outbound exchange (the relay).
    """
    name = re.escape(service)
    own_queues = (rf"rpc-{name}(\.dead-letter)?", rf"rpc\.reply-{name}-.+", rf"{name}\..+")
    exchanges = tuple(re.escape(x) for x in (RPC_EXCHANGE, EVENTS_EXCHANGE.name, REDELIVERY_EXCHANGE.name))
    resources = _either(*own_queues, *exchanges)
    reads = _either(*own_queues, *exchanges, *([re.escape(PROVINCES_IN)] if ingests else []))
    writes = _either(*own_queues, *exchanges, *([re.escape(PROVINCES_OUT)] if forwards_to_provinces else []))
    rpc_sends = [rf"{re.escape(callee)}\.[A-Za-z0-9_]+" for callee in sorted(calls)] + [_REPLY_KEY]
    rpc_binds = ([rf"{name}\.\*"] if serves_rpc else []) + [_REPLY_KEY]
    parks_calls = (rf"rpc-{name}\.dead-letter",) if serves_rpc else ()
    redelivers = (rf"{name}\..+", *parks_calls) + ((PROVINCE_DEAD_LETTER_KEY,) if ingests else ())
    topics = {
        RPC_EXCHANGE: (_either(*rpc_sends), _either(*rpc_binds)),
        EVENTS_EXCHANGE.name: (_either(*(rf"{re.escape(p)}\.[a-z_]+" for p in publishes)),
                               _either(*(re.escape(t) for t in sorted(handles)))),
        REDELIVERY_EXCHANGE.name: (_either(*redelivers), _either(rf"{name}\..+", *parks_calls)),
    }
    if ingests:
        topics[PROVINCES_IN] = (_NOTHING, _either(*(re.escape(key) for key in sorted(ingests))))
    if forwards_to_provinces:
        topics[PROVINCES_OUT] = (_either(PROVINCE_OUTBOUND_KEY), _NOTHING)
    return BrokerGrants(configure=resources, write=writes, read=reads, topics=topics)


def grants_for(service_cls):
    """:func:`broker_grants` of a nameko service class, read off its dependencies and entrypoints."""
    from nameko.rpc import Rpc, RpcProxy
    from chassis.events import handlers_of
    from chassis.provinces import INBOUND_EXCHANGE, ProvincesOutbound
    calls, serves_rpc, forwards = set(), False, False
    for attribute in dir(service_cls):
        value = getattr(service_cls, attribute, None)
        if isinstance(value, RpcProxy):
            calls.add(value.target_service)
        forwards |= isinstance(value, ProvincesOutbound)
        serves_rpc |= any(isinstance(entrypoint, Rpc)
                          for entrypoint in getattr(value, "nameko_entrypoints", ()))
    return broker_grants(service_cls.name, calls, serves_rpc,
                         handles={event_type for _, event_types in handlers_of(service_cls)
                                  for event_type in event_types},
                         publishes=EVENTS_PUBLISHED.get(service_cls.name, ()),
                         ingests={key for _, keys in handlers_of(service_cls, INBOUND_EXCHANGE) for key in keys},
                         forwards_to_provinces=forwards)


def vhost_of(amqp_uri):
    return urlsplit(amqp_uri).path[1:] or "/"


def password_hash(password, salt=None):
    """RabbitMQ's stored form of ``password`` (rabbit_password_hashing_sha256: a 4-byte salt,
    then SHA-256 of salt and password, in base64), so that no password is ever sent in clear."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def broker_definitions(vhost, accounts):
    """RabbitMQ definitions (the import format) for ``accounts``: ``(user, password, grants)``."""
    definitions = {"users": [], "permissions": [], "topic_permissions": []}
    for user, password, grants in accounts:
        definitions["users"].append({"name": user, "password_hash": password_hash(password),
                                     "hashing_algorithm": "rabbit_password_hashing_sha256",
                                     "tags": []})
        definitions["permissions"].append({"user": user, "vhost": vhost, "configure": grants.configure,
                                           "write": grants.write, "read": grants.read})
        definitions["topic_permissions"].extend(
            {"user": user, "vhost": vhost, "exchange": exchange, "write": write, "read": read}
            for exchange, (write, read) in grants.topics.items())
    return definitions


class RabbitMqCtl:
    """Loads definitions through ``rabbitmqctl`` on this machine (``make run``, the tests)."""

    def load(self, definitions):
        rabbitmqctl = shutil.which("rabbitmqctl")
        if rabbitmqctl is None:
            raise SystemExit("rabbitmqctl is needed to make the processes' RabbitMQ users "
                             "(or set ONENET_RABBITMQ_MANAGEMENT_URL)")
        # One call for every account (each rabbitmqctl call starts a VM), read from stdin.
        subprocess.run([rabbitmqctl, "-q", "import_definitions", "--format", "json"],
                       input=json.dumps(definitions), text=True, capture_output=True, check=True)


class ManagementApi:
    """Loads definitions through the management HTTP API, as the administrator of
    ``amqp_uri`` (where rabbitmqctl is not at hand, as in docker-compose)."""

    def __init__(self, base_url, amqp_uri, session=None):
        import requests
        where = urlsplit(amqp_uri)
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.session.auth = (unquote(where.username or ""), unquote(where.password or ""))

    def load(self, definitions):
        answer = self.session.post(f"{self.base_url}/api/definitions", json=definitions, timeout=30)
        answer.raise_for_status()


def broker_admin(amqp_uri, management_url=None):
    """The management API where ``ONENET_RABBITMQ_MANAGEMENT_URL`` names it, else rabbitmqctl."""
    return ManagementApi(management_url, amqp_uri) if management_url else RabbitMqCtl()


# -- PostgreSQL -----------------------------------------------------------------------------

# yoyo's bookkeeping stays the administrator's: a service cannot rewrite its migration history.
_MIGRATION_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock")


def ensure_database_role(admin_dsn, role, password, schema):
    """Create or update ``role`` (LOGIN, ``password``) with rights on ``schema``'s rows only."""
    import psycopg2
    database = urlsplit(admin_dsn).path.lstrip("/")
    conn = psycopg2.connect(admin_dsn, connect_timeout=5)
    conn.autocommit = True
    name = sql.Identifier(role)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                "NOREPLICATION PASSWORD %s").format(name), (password,))
            # Nobody gets rights on this database by default; each role gets what it needs.
            cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
            cur.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(database), name))
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), name))
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND NOT tablename = ANY(%s)",
                        (schema, list(_MIGRATION_TABLES)))
            tables = [sql.Identifier(schema, row[0]) for row in cur.fetchall()]
            if tables:
                cur.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                    sql.SQL(", ").join(tables), name))
            cur.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                sql.Identifier(schema), name))
    finally:
        conn.close()


def drop_database_roles(server_dsn, roles):
    """Drop ``roles`` (after the databases they had rights in are gone)."""
    import psycopg2
    conn = psycopg2.connect(server_dsn, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for role in roles:
                cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    finally:
        conn.close()
