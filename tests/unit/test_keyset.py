"""Keyset pagination's cursors and SQL (chassis.keyset), without a database."""
import base64
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from chassis import keyset
from chassis.errors import ValidationFailed

NEWEST_FIRST = keyset.Order("notes", keyset.Key("n.created_at", "created_at", keyset.TIMESTAMP, descending=True),
                            keyset.Key("n.id", "id", keyset.INTEGER, descending=True))
BY_DAY = keyset.Order("firms", keyset.Key("e.registered_on", "registered_on", keyset.DATE, nullable=True),
                      keyset.Key("e.uscc", "uscc"))
MIXED = keyset.Order("requests", keyset.Key("r.submitted_at", "submitted_at", keyset.TIMESTAMP, descending=True),
                     keyset.Key("r.id", "id", keyset.UUID))
AT = datetime(2026, 3, 31, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def test_a_cursor_names_the_row_after_which_the_next_page_starts():
    cursor = keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7, "title": "x"}, {"kind": "welcome"}, 2)
    assert keyset.decode(cursor, NEWEST_FIRST, {"kind": "welcome"}) == keyset.Start([AT.isoformat(), 7], 2)


def test_filters_left_out_or_null_are_the_same_filters():
    cursor = keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7}, {"kind": None}, 3)
    assert keyset.decode(cursor, NEWEST_FIRST, {}).page == 3


def test_a_cursor_with_other_filters_is_refused_naming_the_cursor():
    cursor = keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7}, {"kind": "welcome"}, 2)
    with pytest.raises(ValidationFailed) as refused:
        keyset.decode(cursor, NEWEST_FIRST, {"kind": "policy_match"})
    assert refused.value.details == {"cursor": [keyset.OTHER_FILTERS]}


def test_a_cursor_of_another_list_or_order_is_refused():
    cursor = keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7}, {}, 2)
    other = keyset.Order("other", *NEWEST_FIRST.keys)
    with pytest.raises(ValidationFailed):
        keyset.decode(cursor, other, {})


def _tampered(cursor, change):
    parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    change(parts)
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize("change", [
    lambda parts: parts[3].__setitem__(1, 8),            # another row
    lambda parts: parts.__setitem__(2, 9),               # another page number
    lambda parts: parts.__setitem__(0, "0" * 16),        # another fingerprint
])
def test_a_changed_cursor_is_refused(change):
    cursor = keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7}, {}, 2)
    with pytest.raises(ValidationFailed) as refused:
        keyset.decode(_tampered(cursor, change), NEWEST_FIRST, {})
    assert refused.value.details == {"cursor": [keyset.MALFORMED]}


@pytest.mark.parametrize("cursor", ["", "bm90LWEtY3Vyc29y", "!!!", "e30", "W10", "a" * 2000,
                                    base64.urlsafe_b64encode(b"\xff\xfe").decode()])
def test_what_is_not_a_cursor_is_refused(cursor):
    if cursor == "":
        assert keyset.decode(cursor, NEWEST_FIRST, {}) == keyset.Start()
        return
    with pytest.raises(ValidationFailed):
        keyset.decode(cursor, NEWEST_FIRST, {})


def test_a_well_made_cursor_whose_values_are_not_of_the_keys_kinds_is_refused():
    forged = keyset.encode_position("notes", ["yesterday", 7], {}, 2)
    with pytest.raises(ValidationFailed):
        keyset.decode(forged, NEWEST_FIRST, {})
    naive = keyset.encode_position("notes", ["2026-03-31T10:00:00", 7], {}, 2)
    with pytest.raises(ValidationFailed):
        keyset.decode(naive, NEWEST_FIRST, {})


def test_the_gateway_checks_only_the_alphabet_and_length():
    keyset.check_cursor(keyset.encode(NEWEST_FIRST, {"created_at": AT, "id": 7}, {}, 2))
    for bad in ("a b", "a/b", "x" * 1001):
        with pytest.raises(ValidationError):
            keyset.check_cursor(bad)


def test_values_travel_as_json_does():
    row = {"registered_on": date(2020, 1, 2), "uscc": "91110000600037341L", "revenue": Decimal("1200.50")}
    assert BY_DAY.position_of(row) == ["2020-01-02", "91110000600037341L"]
    assert keyset.plain(Decimal("1200.00")) == "1200" and keyset.plain(Decimal("1E+3")) == "1000"


def test_one_direction_without_nulls_is_a_row_comparison():
    params = ["scope"]
    assert NEWEST_FIRST.after(["2026-03-31T10:00:00+08:00", 7], params) == "(n.created_at, n.id) < (%s, %s)"
    assert params == ["scope", "2026-03-31T10:00:00+08:00", 7]
    assert NEWEST_FIRST.order_by() == "n.created_at DESC, n.id DESC"


def test_mixed_directions_spell_each_tie_out_with_named_parameters():
    params = {"today": 1}
    sql = MIXED.after(["2026-03-31T10:00:00+08:00", "3f8e1a52-5b8a-4c1e-9d55-0d8f3e0f6a11"], params)
    assert sql == ("(r.submitted_at < %(keyset_0)s OR "
                   "(r.submitted_at = %(keyset_1)s AND r.id > %(keyset_2)s))")
    assert params["keyset_0"] == params["keyset_1"] == "2026-03-31T10:00:00+08:00"


def test_nulls_sort_last_and_a_null_position_continues_among_the_nulls():
    assert BY_DAY.order_by() == "e.registered_on NULLS LAST, e.uscc"
    params = []
    assert BY_DAY.after(["2020-01-02", "A"], params) == (
        "((e.registered_on > %s OR e.registered_on IS NULL) OR (e.registered_on = %s AND e.uscc > %s))")
    params = []
    assert BY_DAY.after([None, "A"], params) == "((e.registered_on IS NULL AND e.uscc > %s))"
    assert params == ["A"]


def test_a_page_has_a_next_cursor_only_when_a_row_is_left_over():
    rows = [{"created_at": AT - timedelta(minutes=n), "id": n} for n in range(4)]
    page, cursor = keyset.page_of(NEWEST_FIRST, rows, 3, {}, keyset.Start())
    assert page == rows[:3] and keyset.decode(cursor, NEWEST_FIRST, {}) == keyset.Start(
        NEWEST_FIRST.position_of(rows[2]), 2)
    assert keyset.page_of(NEWEST_FIRST, rows[:3], 3, {}, keyset.Start()) == (rows[:3], None)


def test_the_documents_example_cursors_open_the_second_page_of_their_lists():
    from gateway.routes.enterprises import EnterpriseSearchQuery
    from gateway.routes.library import SearchQuery
    from gateway.routes.requests import RequestListQuery
    from services.agencies import store as agencies_store
    from services.enterprises import store as enterprises_store
    from services.notifications import schemas as notifications, store as notifications_store
    from services.requests import store as requests_store

    def example(query):
        return query._declared_fields["cursor"].metadata["example"]

    assert keyset.decode(example(EnterpriseSearchQuery), enterprises_store.ORDERS["name"], {"sort": "name"}).page == 2
    assert keyset.decode(example(RequestListQuery), requests_store.LIST_ORDER, {}).page == 2
    assert keyset.decode(example(SearchQuery), agencies_store.search_order(["专精特新"]), {"q": "专精特新"}).page == 2
    assert keyset.decode(notifications.INBOX_CURSOR_EXAMPLE, notifications_store.INBOX_ORDER,
                         {"kind": None, "unread": None}).page == 2
