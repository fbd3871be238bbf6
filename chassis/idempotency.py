"""Idempotency keys: a retried write gets the answer of the first, and is not done twice.

The gateway turns a caller's ``Idempotency-Key`` header into two entries of the worker
context, which nameko carries on every RPC it makes for that request: the key (made
the caller's own) and a fingerprint of the request. An RPC entrypoint that receives
them runs whole in one transaction of its service's database; when that transaction
wrote something, the answer is stored under ``(key, method)`` in the service's
``idempotency_key`` table before the commit, so the write and the record of its answer
commit together or not at all. The same key on the same method then answers the stored
answer without running again; with another fingerprint it is
:class:`~chassis.errors.IdempotencyKeyReused` (422). Two calls racing with one key
meet on the table's primary key: the second waits for the first to commit, rolls its
own work back and answers the first's answer (they take turns on an advisory lock of the
key first, so the second rarely gets that far). Keys are kept 24 hours.
"""
import functools
import inspect

import psycopg2.errors
from kombu.utils import json as kombu_json

from chassis.db import transaction
from chassis.errors import IdempotencyKeyReused

KEY = "idempotency_key"
FINGERPRINT = "idempotency_fingerprint"
RETENTION = "24 hours"


class _Raced(Exception):
    """Another call with the same key committed first."""


def _stored(tx, key, method):
    return tx.one(f"SELECT fingerprint, answer FROM idempotency_key WHERE key = %s AND method = %s "
                  f"AND created_at > now() - interval '{RETENTION}'", (key, method))


def _replay(row, fingerprint, method):
    if row["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with another request; use a new key for a new request",
            {"idempotency_key": ["already used with a different request"], "method": method})
    return kombu_json.loads(row["answer"])


def answer_once(session, method, key, fingerprint, run):
    """``run()``'s answer, computed at most once per ``key`` on ``method`` (see the module)."""
    try:
        with session.transaction() as tx:
            # Calls racing with one key take turns; a latecomer finds the first one's answer.
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{method}\n{key}",))
            row = _stored(tx, key, method)
            if row is not None:
                return _replay(row, fingerprint, method)
            answer = run()
            if tx.one("SELECT txid_current_if_assigned() IS NOT NULL AS wrote")["wrote"]:
                try:
                    with tx.savepoint():
                        tx.execute("INSERT INTO idempotency_key (key, method, fingerprint, answer) "
                                   "VALUES (%s, %s, %s, %s)",
                                   (key, method, fingerprint, kombu_json.dumps(answer)))
                except psycopg2.errors.UniqueViolation:
                    raise _Raced() from None
            return answer
    except _Raced:
        with session.transaction() as tx:
            return _replay(_stored(tx, key, method), fingerprint, method)


def honours_keys(fn):
    """Wrap an RPC entrypoint so that a call carrying an idempotency key is answered once.

    The service's ``self.db`` (:class:`chassis.db.WorkerSession`) holds the call's context;
    a call without a key, or a service without a database, runs as before."""
    @functools.wraps(fn)
    def entrypoint(service, *args, **kwargs):
        session = getattr(service, "db", None)
        context = getattr(session, "context_data", None) or {}
        key, fingerprint = context.get(KEY), context.get(FINGERPRINT)
        if not key or not fingerprint:
            return fn(service, *args, **kwargs)
        return answer_once(session, fn.__name__, key, fingerprint, lambda: fn(service, *args, **kwargs))

    entrypoint.__signature__ = inspect.signature(fn)
    return entrypoint


def prune(conn):
    """Forget keys older than the retention (the outbox relay calls it now and then)."""
    with transaction(conn) as tx:
        tx.execute(f"DELETE FROM idempotency_key WHERE created_at < now() - interval '{RETENTION}'")
