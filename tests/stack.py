"""Helpers for tests that talk to the real broker and database."""
import itertools
import os
import time

import psycopg2
from nameko.standalone.rpc import ServiceRpcProxy
from stdnum.cn import uscc as uscc_standard

_serial = itertools.count(1)


def amqp_config():
    return {"AMQP_URI": os.environ["ONENET_AMQP_URI"]}


def rpc(service, timeout=30):
    """A standalone RPC proxy to ``service``: use it as a context manager, one per test."""
    return ServiceRpcProxy(service, amqp_config(), timeout=timeout)


def sql(schema, query, params=None):
    """Run ``query`` in a service's ``schema``; the rows as tuples (``None`` for no result set)."""
    conn = psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options=f"-c search_path={schema},public")
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


def wait_for(fetch, timeout=10.0):
    """Poll ``fetch`` until it returns something truthy (or ``timeout`` passes); return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def new_uscc(region_code="110105"):
    """A fresh, valid unified social credit code for an SME in ``region_code``."""
    body = f"91{region_code}{os.getpid() % 100:02d}{next(_serial) % 10 ** 7:07d}"
    return body + uscc_standard.calc_check_digit(body)


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
