"""Hot statements prepared once per pooled connection (chassis.db.Prepared), on a real PostgreSQL."""
import os
import uuid

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
