"""Hot statements prepared once per pooled connection (chassis.db.Prepared), on a real PostgreSQL."""
import os
import uuid

import psycopg2.errors
import pytest

from chassis.db import ConnectionPool, Prepared, transaction

STATEMENT = Prepared("SELECT %(n)s::integer + 1 AS next, cardinality(%(ids)s::uuid[]) AS ids, "
                     "%(name)s AS name, %(name)s LIKE 'on%%' AS prefixed")
PARAMS = {"n": 41, "ids": [str(uuid.uuid4()), None], "name": "onenet"}
ANSWER = {"next": 42, "ids": 2, "name": "onenet", "prefixed": True}


@pytest.fixture
def pool(prepared_stack):
    opened = []

    def open_pool(**options):
        opened.append(ConnectionPool(os.environ["ONENET_DATABASE_URL"], "public", size=1, **options))
        return opened[-1]

    yield open_pool
    for each in opened:
        each.close()


def prepared_here(tx):
    return tx.one("SELECT count(*) AS n FROM pg_prepared_statements WHERE name = %s", (STATEMENT.name,))["n"]


def test_a_statement_is_prepared_once_per_connection_and_answers_as_its_text(pool):
    connections = pool()
    with connections.connection() as conn:
        for _ in range(3):
            with transaction(conn) as tx:
                assert tx.one(STATEMENT, PARAMS) == ANSWER
        with transaction(conn) as tx:
            assert prepared_here(tx) == 1
            assert tx.one("SELECT generic_plans FROM pg_prepared_statements WHERE name = %s",
                          (STATEMENT.name,))["generic_plans"] == 3


def test_a_statement_prepared_in_a_rolled_back_transaction_still_runs(pool):
    connections = pool()
    with connections.connection() as conn:
        with pytest.raises(ZeroDivisionError):
            with transaction(conn) as tx:
                tx.one(STATEMENT, PARAMS)
                raise ZeroDivisionError
        with transaction(conn) as tx:
            assert tx.one(STATEMENT, PARAMS) == ANSWER


def test_a_pool_without_prepared_statements_runs_the_text(pool):
    connections = pool(prepare=False)
    with connections.connection() as conn:
        with transaction(conn) as tx:
            assert tx.one(STATEMENT, PARAMS) == ANSWER
            assert prepared_here(tx) == 0


def test_a_statement_prepared_before_a_migration_runs_again_after_one_failure(pool):
    """A table changed under a prepared ``SELECT *`` fails the transaction that meets it; the
    connection prepares its statements anew and the next transaction sees the new column."""
    table = f"prepared_{uuid.uuid4().hex[:8]}"
    everything = Prepared(f"SELECT * FROM {table}")
    connections = pool()
    with connections.connection() as conn:
        with transaction(conn) as tx:
            tx.execute(f"CREATE TABLE {table} (a integer)")
            tx.execute(f"INSERT INTO {table} VALUES (1)")
        try:
            with transaction(conn) as tx:
                assert tx.all(everything) == [{"a": 1}]
                assert tx.one(STATEMENT, PARAMS) == ANSWER
            with transaction(conn) as tx:
                tx.execute(f"ALTER TABLE {table} ADD COLUMN b integer DEFAULT 2")
            with pytest.raises(psycopg2.errors.FeatureNotSupported):
                with transaction(conn) as tx:
                    tx.all(everything)
            with transaction(conn) as tx:
                assert tx.all(everything) == [{"a": 1, "b": 2}]
                assert tx.one(STATEMENT, PARAMS) == ANSWER
        finally:
            with transaction(conn) as tx:
                tx.execute(f"DROP TABLE {table}")
