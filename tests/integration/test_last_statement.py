"""A transaction's last statement (chassis.db.Transaction.execute(last=True)), on a real PostgreSQL:
alone, it is a transaction of its own, committed when it returns, in one round trip."""
import os

import psycopg2.errors
import psycopg2.extensions
import pytest

from chassis.db import ConnectionPool, Prepared, transaction

IDLE, IN_TRANSACTION = psycopg2.extensions.TRANSACTION_STATUS_IDLE, psycopg2.extensions.TRANSACTION_STATUS_INTRANS
WRITE = Prepared("WITH a AS (INSERT INTO last_statement_probe (n) VALUES (%(n)s) RETURNING n), "
                 "b AS (INSERT INTO last_statement_probe (n) SELECT n + 1 FROM a) SELECT n FROM a")


@pytest.fixture
def connections(prepared_stack):
    pool = ConnectionPool(os.environ["ONENET_DATABASE_URL"], "public", size=2)
    with pool.connection() as conn:
        with transaction(conn) as tx:
            tx.execute("DROP TABLE IF EXISTS last_statement_probe")
            tx.execute("CREATE TABLE last_statement_probe (n integer PRIMARY KEY CHECK (n < 100))")
    yield pool
    with pool.connection() as conn:
        with transaction(conn) as tx:
            tx.execute("DROP TABLE last_statement_probe")
    pool.close()


def stored(pool):
    with pool.connection() as conn:
        with transaction(conn) as tx:
            return [row["n"] for row in tx.all("SELECT n FROM last_statement_probe ORDER BY n")]


def test_a_lone_last_statement_has_committed_when_it_returns_with_its_rows(connections):
    with connections.connection() as conn:
        # the first run prepares the statement, in a transaction of the usual kind; the second goes alone
        for n, status in ((1, IN_TRANSACTION), (10, IDLE)):
            with transaction(conn) as tx:
                assert tx.one(WRITE, {"n": n}, last=True) == {"n": n}
                assert conn.info.transaction_status == status
                if status == IDLE:
                    assert stored(connections) == [1, 2, 10, 11]   # seen by another connection already
                    with pytest.raises(RuntimeError):
                        tx.execute("SELECT 1")


def test_a_lone_last_statement_that_fails_writes_nothing_and_leaves_the_connection_usable(connections):
    with connections.connection() as conn:
        with transaction(conn) as tx:
            tx.one(WRITE, {"n": 1}, last=True)   # prepared
        with pytest.raises(psycopg2.errors.CheckViolation):
            with transaction(conn) as tx:
                tx.one(WRITE, {"n": 99}, last=True)   # its second row breaks the check: neither is kept
        assert conn.info.transaction_status == IDLE
        with transaction(conn) as tx:
            assert tx.one(WRITE, {"n": 50}, last=True) == {"n": 50}
    assert stored(connections) == [1, 2, 50, 51]


def test_a_last_statement_after_others_commits_with_the_transaction(connections):
    with pytest.raises(ZeroDivisionError):
        with connections.connection() as conn:
            with transaction(conn) as tx:
                tx.execute("INSERT INTO last_statement_probe (n) VALUES (5)")
                tx.execute("INSERT INTO last_statement_probe (n) VALUES (6)", last=True)
                assert conn.info.transaction_status == IN_TRANSACTION
                raise ZeroDivisionError
    assert stored(connections) == []
