"""A prepared statement's PREPARE and EXECUTE texts, from psycopg2-style SQL (chassis.db.Prepared)."""
import pytest

from chassis.db import Prepared


def test_named_parameters_are_numbered_once_each_in_order_of_first_use():
    statement = Prepared("SELECT * FROM t WHERE a = %(a)s AND b = %(b)s OR a > %(a)s")
    assert statement.prepare == f"PREPARE {statement.name} AS SELECT * FROM t WHERE a = $1 AND b = $2 OR a > $1"
    assert statement.run == f"EXECUTE {statement.name} (%(a)s, %(b)s)"


def test_positional_parameters_are_numbered_in_order():
    statement = Prepared("INSERT INTO t (a, b) VALUES (%s, %s)")
    assert statement.prepare.endswith("VALUES ($1, $2)")
    assert statement.run == f"EXECUTE {statement.name} (%s, %s)"


def test_a_cast_goes_with_the_argument_too():
    """EXECUTE converts an argument only as an assignment would: psycopg2's ARRAY['…'] of text would
    not become uuid[] without the cast."""
    statement = Prepared("SELECT * FROM unnest(%(ids)s::uuid[], %(n)s::integer) WHERE x = %(y)s")
    assert statement.prepare.endswith("unnest($1::uuid[], $2::integer) WHERE x = $3")
    assert statement.run == f"EXECUTE {statement.name} (%(ids)s::uuid[], %(n)s::integer, %(y)s)"


def test_a_literal_percent_sign_stays_one():
    statement = Prepared("SELECT * FROM t WHERE name LIKE %(prefix)s || '%%'")
    assert statement.prepare.endswith("LIKE $1 || '%'")
    assert statement.run == f"EXECUTE {statement.name} (%(prefix)s)"


def test_a_statement_without_parameters_is_executed_bare():
    statement = Prepared("SELECT 1")
    assert statement.run == f"EXECUTE {statement.name}"


def test_one_name_per_text():
    assert Prepared("SELECT 1").name == Prepared("SELECT 1").name != Prepared("SELECT 2").name


@pytest.mark.parametrize("sql", ["SELECT %(a)s, %s", "SELECT %(a)s, %d"])
def test_mixed_or_unknown_placeholders_are_refused(sql):
    with pytest.raises(ValueError):
        Prepared(sql)
