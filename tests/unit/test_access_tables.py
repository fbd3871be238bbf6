"""Access tables (gateway.access): how a route's declared outcomes read."""
import pytest

from gateway import access


def test_a_table_names_each_caller_with_its_three_outcomes_and_groups_expand():
    table = access.table("""
        national_admin  ok  ok      ok
        region_admins   ok  hidden  ok
        enterprise      ok  hidden  hidden""")
    assert table.roles == {"national_admin", "province_admin", "city_admin", "county_admin", "enterprise"}
    assert not table.public
    assert table.outcome("city_admin", "other_region") == "hidden"
    assert table.outcome("enterprise", "other_enterprise") == "hidden"
    assert table.outcome("agency_staff", "own") == "denied"
    assert table.outcome("anonymous", "own") == "unauthenticated"


@pytest.mark.parametrize("text, public, roles", [
    ("everyone ok ok -", True, 8),   # every role, lead firms included
    ("signed_in ok ok -", False, 8),
    ("anonymous hidden hidden -\nnational_admin ok ok -", True, 1),
])
def test_a_route_is_public_when_its_table_answers_anonymous_callers(text, public, roles):
    table = access.table(text)
    assert (table.public, len(table.roles)) == (public, roles)


def test_callers_of_a_route_about_no_object_are_answered_in_their_own_scope_only():
    table = access.callers("enterprise")
    assert table == {"enterprise": {"own": "ok", "other_region": "-", "other_enterprise": "-"}}


@pytest.mark.parametrize("text, problem", [
    ("county_admin ok hidden", "3 outcomes"),
    ("county_admin ok forbidden ok", "unknown"),
    ("mayor ok ok ok", "unknown"),
    ("admins ok ok ok\ncounty_admin ok hidden ok", "two access lines"),
])
def test_a_table_that_cannot_be_read_is_refused_when_the_route_is_declared(text, problem):
    with pytest.raises(ValueError, match=problem):
        access.table(text)
