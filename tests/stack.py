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
