"""Helpers every layer of the suite shares: the real broker and database, events,
enterprise bodies and profiles, log files, and replicas racing in separate processes.

Test modules import helpers from here (or take fixtures), never from one another.
Imports that start eventlet or nameko are made inside the helpers that need
them, so pure unit tests that import this module stay fast.
"""
import itertools
import json
import os
import subprocess
import sys
import time
from datetime import date

import psycopg2
from stdnum.cn import uscc as uscc_standard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_serial = itertools.count(1)


# -- the real broker and database ---------------------------------------------------------

def amqp_uri():
    return os.environ["ONENET_AMQP_URI"]


def amqp_config():
    return {"AMQP_URI": amqp_uri()}


def rpc(service, timeout=30):
    """A standalone RPC proxy to ``service``: use it as a context manager, one per test."""
    from nameko.standalone.rpc import ServiceRpcProxy
    return ServiceRpcProxy(service, amqp_config(), timeout=timeout)


def connect(schema, **cursor_options):
    """A connection to the test database with ``schema`` first on the search path."""
    return psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options=f"-c search_path={schema},public",
                            **cursor_options)


def sql(schema, query, params=None):
    """Run ``query`` in a service's ``schema``; the rows as tuples (``None`` for no result set)."""
    conn = connect(schema)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def outbox_payloads(schema, event_type, aggregate_id):
    """The payloads of ``event_type`` events that ``schema``'s outbox holds for one aggregate."""
    return [row[0]["payload"] for row in sql(
        schema, "SELECT envelope FROM outbox WHERE event_type = %s AND aggregate_id = %s ORDER BY id",
        (event_type, str(aggregate_id)))]


def events_of_type(schema, event_type):
    """How many ``event_type`` events ``schema``'s outbox holds (sent or not)."""
    return sql(schema, "SELECT count(*) FROM outbox WHERE event_type = %s", (event_type,))[0][0]


def wait_for(fetch, timeout=10.0):
    """Poll ``fetch`` until it returns something truthy (or ``timeout`` passes); return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


# -- events on the broker -------------------------------------------------------------------

def new_event(event_type, payload, correlation_id="it-correlation", source="tests"):
    """A OneNet envelope around ``payload``, with a fresh ``event_id``."""
    from chassis import envelope
    return envelope.make(event_type, payload, source=source, correlation_id=correlation_id)


def publish(event, routing_key=None, body=None, content_type="application/json"):
    """Publish ``event`` (or a raw ``body``) to the events exchange, with confirms."""
    from kombu import Connection

    from chassis.events import EVENTS_EXCHANGE
    with Connection(amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        raw = body if body is not None else json.dumps(event).encode()
        producer.publish(raw, exchange=EVENTS_EXCHANGE, routing_key=routing_key or event["type"],
                         content_type=content_type, content_encoding="utf-8",
                         declare=[EVENTS_EXCHANGE])


def drain(queue_name):
    """Take every message now in ``queue_name``: a list of ``(headers, body bytes)``."""
    from kombu import Connection
    taken = []
    with Connection(amqp_uri()) as conn:
        channel = conn.default_channel
        while True:
            message = channel.basic_get(queue_name, no_ack=True)
            if message is None:
                return taken
            body = message.body
            taken.append((message.headers or {}, body if isinstance(body, bytes) else body.encode()))


def purge_backlog(service_cls, keeping=()):
    """Empty the event queues ``service_cls`` consumes, but those of the handlers named in ``keeping``
    (the copies it keeps of other services' data, which later modules read). A module whose containers
    owe nothing to what earlier modules published starts with this: a container works through its
    whole backlog before it stops, and one that handles one event at a time waits behind it."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    from chassis.events import queue_name as queue_of, reliable_handlers
    kept = {queue_of(service_cls.name, method) for method in keeping}
    with Connection(amqp_uri()) as conn:
        for queue_name, _ in reliable_handlers(service_cls):
            if queue_name in kept:
                continue
            channel = conn.channel()
            try:
                channel.queue_purge(queue_name)
            except NotFound:
                pass  # not declared yet: nothing waits in it
            finally:
                channel.close()


def depth(queue_name):
    """How many messages wait in ``queue_name`` now."""
    from kombu import Connection
    with Connection(amqp_uri()) as conn:
        return conn.default_channel.queue_declare(queue_name, passive=True).message_count


# -- enterprises -------------------------------------------------------------------------------

def new_uscc(region_code="110105"):
    """A fresh, valid unified social credit code for an SME in ``region_code``."""
    body = f"91{region_code}{os.getpid() % 100:02d}{next(_serial) % 10 ** 7:07d}"
    return body + uscc_standard.calc_check_digit(body)


def uscc_of(body17="91110105MA01B0001"):
    """The valid code whose first 17 characters are ``body17`` (its check character added)."""
    return body17 + uscc_standard.calc_check_digit(body17)


def registration(uscc=None, **overrides):
    """The registration body of a small Beijing manufacturer (40 staff, 12 million yuan revenue)."""
    uscc = uscc or uscc_of()
    body = {"uscc": uscc, "name": "北京示例科技有限公司", "region_code": uscc[2:8],
            "industry_code": "C39", "employees": 40, "revenue": 1200}
    body.update(overrides)
    return body


def register_over_http(api, token, uscc, region="110105", **fields):
    """Register :func:`registration` through the gateway: by the county admin, or with tiers by the
    province, which awards them; the created profile."""
    body = registration(uscc, region_code=region, **fields)
    registrar = token("province_admin", region[:2] + "0000") if fields.get("tiers") else token("county_admin", region)
    answer = api.post("/api/v1/enterprises", registrar, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# The day the unit tests of enterprise rules take as today.
PROFILE_DAY = date(2025, 6, 15)


def award(kind="specialized_sme", awarded="2024-01-01", expires="2026-12-31", level="province", no="ZJTX-1"):
    """A tier award (专精特新 and the like) as a registration carries it."""
    return {"tier": kind, "certificate_no": no, "level": level, "awarded_on": awarded, "expires_on": expires}


def profile_of(**overrides):
    """The stored profile of :func:`registration` (with ``overrides``) registered on :data:`PROFILE_DAY`."""
    from services.enterprises import domain, schemas
    return domain.new_profile(schemas.EnterpriseRegistration().load(registration(**overrides)), PROFILE_DAY)


# -- requests over HTTP -----------------------------------------------------------------------

def take_action(api, who, request_id, action, **extra):
    """``who`` (a token) takes ``action`` on a request through the gateway; the request after it."""
    answer = api.post(f"/api/v1/requests/{request_id}/transitions", who, json={"action": action, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def rate_request(api, who, request_id, score, solved, comment):
    """The enterprise (``who``) rates a resolved request through the gateway; the request after it."""
    answer = api.post(f"/api/v1/requests/{request_id}/rating", who,
                      json={"score": score, "solved": solved, "comment": comment})
    assert answer.status_code == 201, answer.text
    return answer.json()


# -- agencies and providers ------------------------------------------------------------------

# A county agency's published service guide (办事指南): one item, supervision and contact.
SERVICE_GUIDE = {
    "items": [{"service_area": "rights", "title": "拖欠账款投诉受理", "content": "受理并协调拖欠中小企业账款投诉",
               "process": ["提交投诉", "受理", "协调", "反馈"], "accept_days": 1, "resolve_days": 10}],
    "supervision": {"phone": "0871-12345", "email": "jiandu@example.cn"},
    "contact": {"address": "昆明市五华区示例路1号", "phone": "0871-00000000", "hours": "工作日 9:00-17:00"},
}


def provider_registration(uscc, **overrides):
    """A service provider's registration (a Lanzhou finance and tax firm, 40 SMEs served)."""
    body = {"name": "兰州陇原企业服务有限公司", "uscc": uscc, "region_code": "620102",
            "established_on": "2016-05-01", "served_enterprises": 40, "description": "融资对接与财税咨询",
            "qualifications": [{"name": "代理记账许可证", "number": "DLJZ-62-001", "issuer": "兰州市财政局"}]}
    body.update(overrides)
    return body


def evaluation_quarters():
    """``[previous, current]`` quarters of today, as ``YYYY-Qn`` (what a provider may be evaluated for)."""
    today = date.today()
    current = (today.year, (today.month - 1) // 3 + 1)
    previous = (current[0] - 1, 4) if current[1] == 1 else (current[0], current[1] - 1)
    return [f"{year}-Q{quarter}" for year, quarter in (previous, current)]


# -- service activities and matchmaking ------------------------------------------------------------

def activity_body(agency_id, starts_at, **overrides):
    """An activity an agency publishes: two hours from ``starts_at`` (an aware datetime), registration
    open from thirty days before until it starts, 50 places, nobody targeted but a test tag."""
    from datetime import timedelta
    body = {"agency_id": agency_id, "kind": "training", "title": "中小企业数字化转型培训", "venue": "服务站会议室",
            "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            "registration_opens_at": (starts_at - timedelta(days=30)).isoformat(),
            "registration_closes_at": starts_at.isoformat(), "capacity": 50,
            "criteria": {"tags": ["activities-tests-no-enterprise"]}, "on_rest_day": "keep"}
    body.update(overrides)
    return body


def known_to_activities(table, key_column, key, timeout=90.0):
    """Wait until the activities service's read model holds the row (fed by the owner's event; behind
    the national skeleton's 3,212 ``agency.created`` it may take its time)."""
    return wait_for(lambda: sql("activities", f"SELECT 1 FROM {table} WHERE {key_column} = %s", (key,)), timeout)


def known_to_requests(agency_id, timeout=30.0, **columns):
    """Wait until the requests service's copy of the hierarchy holds the agency (with ``columns``
    as given, e.g. ``active=False``): it routes over that copy. Fails when it does not."""
    condition = "".join(f" AND {column} = %({column})s" for column in columns)
    found = wait_for(lambda: sql("requests", f"SELECT 1 FROM agency WHERE id = %(id)s{condition}",
                                 {"id": agency_id, **columns}), timeout)
    assert found, f"the requests service has not copied agency {agency_id} {columns or ''}"


def admission_known_to_requests(provider_id, service_area, timeout=30.0):
    """Wait until the requests service's copy of the providers holds the provider admitted in
    ``service_area``: a step naming it is checked against that copy. Fails when it does not."""
    found = wait_for(lambda: sql("requests", "SELECT 1 FROM provider_admission WHERE provider_id = %s "
                                             "AND service_area = %s AND admitted", (provider_id, service_area)), timeout)
    assert found, f"the requests service has not copied provider {provider_id}'s admission in {service_area}"


def skeleton_known_to_requests(total, timeout=120.0):
    """Wait until the requests service has copied the national skeleton (``total`` agencies); behind
    its 3,212 ``agency.created`` it may take its time."""
    found = wait_for(lambda: sql("requests", "SELECT count(*) >= %s FROM agency", (total,))[0][0], timeout)
    assert found, f"the requests service has not copied the {total} agencies of the skeleton"


# -- servers a test starts ------------------------------------------------------------------

def free_port():
    """A TCP port nothing listens on now (for a server a test starts)."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) in its own process, keeping each message in a Maildir
    (``maildir``: a folder that does not exist yet)."""

    def __init__(self, maildir):
        import subprocess
        import sys
        self.maildir, self.port = str(maildir), free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket
        if not wait_for(lambda: _answers(socket, self.port), timeout=15):
            self.stop()
            raise RuntimeError("the test SMTP server did not start")

    def messages(self):
        import mailbox
        if not os.path.isdir(os.path.join(self.maildir, "cur")):
            return []  # made with the first message
        return [message for _, message in sorted(mailbox.Maildir(self.maildir, create=False).items())]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def _answers(socket, port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# -- processes --------------------------------------------------------------------------------

def log_lines(log_dir, process):
    """The JSON log lines one process of the network has written so far, as text lines."""
    with open(os.path.join(log_dir, f"{process}.log"), encoding="utf-8") as handle:
        return handle.read().splitlines()


_REPLICA = """
import chassis, eventlet
eventlet.monkey_patch()
from tests.stack import run_replica_call
run_replica_call()
"""


def race_in_processes(config_path, method, processes=2, timeout=60, **config_overrides):
    """Call the RPC ``method`` of the service that ``config_path`` runs in ``processes``
    separate OS processes at once, as replicas do; their results, in process order.

    Each process starts its own service container (its own database pool and broker
    connection) with ``config_overrides`` applied, reports ready, and calls ``method``
    once every process is ready.
    """
    request = json.dumps({"config": config_path, "method": method, "overrides": config_overrides})
    children = [subprocess.Popen([sys.executable, "-c", _REPLICA], cwd=ROOT, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for _ in range(processes)]
    try:
        for child in children:
            child.stdin.write(request + "\n")
            child.stdin.flush()
        for child in children:
            if _reply(child, timeout) != "ready":
                raise RuntimeError(f"a replica of {config_path} did not start")
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [json.loads(_reply(child, timeout)) for child in children]
        for child in children:
            child.stdin.close()
            child.wait(timeout)
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def _reply(child, timeout):
    """The next line a replica writes that is meant for us (``replica: ...``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"replica exited with {child.wait()}")
        if line.startswith("replica: "):
            return line[len("replica: "):].strip()
    raise TimeoutError("replica did not answer")


def run_replica_call():
    """The replica side of :func:`race_in_processes` (runs in the child process)."""
    from nameko.containers import ServiceContainer
    from nameko.testing.services import entrypoint_hook

    from chassis import config as process_config
    from chassis.serve import service_class

    request = json.loads(sys.stdin.readline())
    config = process_config.load(request["config"])
    config.update(request["overrides"])
    container = ServiceContainer(service_class(config["SERVICE"]), config)
    container.start()
    try:
        print("replica: ready", flush=True)
        sys.stdin.readline()
        with entrypoint_hook(container, request["method"]) as call:
            result = call()
        print("replica: " + json.dumps(result, default=str), flush=True)
        sys.stdin.readline()
    finally:
        container.stop()
