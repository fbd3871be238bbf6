"""The notifications service's region_figures on the real broker and database: 政策直享 per
region code as recorded by a cut-off, what the agencies service's scoring runs read.

The notices are written straight into the schema, dated in 2024 (a push writes its
notices at the moment it runs) in 喀什 (6531), where no other suite writes any.
"""
import os

import pytest

from chassis.errors import ValidationFailed
from services.notifications.service import NotificationsService
from tests.stack import new_uscc, rpc, sql

CONFIG = os.path.join("services", "notifications", "config.yml")
KASHI, SHUFU = "653101", "653121"   # 喀什市, 疏附县
CUTOFF = "2024-08-15T00:00:00+08:00"


@pytest.fixture
def notices(container_for):
    """Policy notices of 2024: A told twice in 喀什市, read once before the cut-off; B told in 喀什市,
    then (moved) in 疏附县, read before the cut-off; C told and read after it; D told just after
    midnight of 2024-01-01 China time (still 2023 in UTC); a welcome, which is no policy."""
    container_for(NotificationsService, CONFIG, DELIVERY_DISPATCH="off")
    a, b, c, d = (new_uscc(region) for region in (KASHI, KASHI, SHUFU, SHUFU))
    rows = [(a, "policy_match", "policy", "1", KASHI, "2024-03-01T10:00+08", "2024-03-05T10:00+08"),
            (a, "policy_match", "policy", "2", KASHI, "2024-06-01T10:00+08", None),
            (b, "policy_match", "policy", "1", KASHI, "2024-03-01T10:00+08", None),
            (b, "policy_match", "policy", "2", SHUFU, "2024-07-01T10:00+08", "2024-08-01T10:00+08"),
            (c, "policy_match", "policy", "2", SHUFU, "2024-09-01T10:00+08", "2024-09-02T10:00+08"),
            (d, "policy_match", "policy", "1", SHUFU, "2024-01-01T00:30+08", None),
            (a, "welcome", None, None, KASHI, "2024-03-01T09:00+08", None)]
    sql("notifications", "DELETE FROM notice WHERE region_code LIKE '6531%%' "
                         "AND created_at >= '2024-01-01T00:00+08' AND created_at < '2025-01-01T00:00+08'")
    for number, (uscc, kind, about_type, about_id, region, at, read_at) in enumerate(rows):
        sql("notifications", "INSERT INTO notice (recipient_kind, recipient_id, kind, title, about_type, about_id, "
                             "region_code, source_key, created_at, read_at) "
                             "VALUES ('enterprise', %s, %s, '政策直享', %s, %s, %s, %s, %s, %s)",
            (uscc, kind, about_type, about_id, region, f"test:{uscc}:{number}", at, read_at))
    yield
    sql("notifications", "DELETE FROM notice WHERE recipient_id = ANY(%s)", ([a, b, c, d],))


def figures(prefix, period, cutoff=CUTOFF):
    with rpc("notifications") as notifications:
        return {row["region_code"]: (row["reached"], row["notices"], row["read"])
                for row in notifications.region_figures(prefix, period, cutoff)}


def test_each_enterprise_counts_once_where_first_told_with_the_notices_written_and_read_by_the_cutoff(notices):
    # 喀什市: A and B reached; A's two notices and B's first; A's first read by the cut-off.
    # 疏附县: B's second notice (read 08-01) and D's; B counted where it was first told; C after the cut-off.
    assert figures("6531", "2024") == {KASHI: (2, 3, 1), SHUFU: (1, 2, 1)}
    assert figures("6531", "2024", "2024-12-31T00:00:00+08:00") == {KASHI: (2, 3, 1), SHUFU: (2, 3, 2)}
    assert figures("65", "2024-Q1") == {KASHI: (2, 2, 1), SHUFU: (1, 1, 0)}   # China days: D is in Q1
    assert figures(SHUFU, "2024-Q3") == {SHUFU: (1, 1, 1)}   # asked of 疏附县 alone, B was first told there


def test_a_cutoff_before_every_notice_gives_nothing(notices):
    assert figures("6531", "2024", "2024-01-01T00:00:00+08:00") == {}


@pytest.mark.parametrize("prefix, period, cutoff, problem", [
    ("65310", "2024", CUTOFF, "prefix must be"),
    (None, "2024", CUTOFF, "prefix must be"),
    ("6531", "2024-13", CUTOFF, "period must be"),
    ("6531", "2024", "2024-08-15T00:00:00", "with its zone"),
])
def test_a_malformed_question_is_refused(container_for, prefix, period, cutoff, problem):
    container_for(NotificationsService, CONFIG, DELIVERY_DISPATCH="off")
    with rpc("notifications") as notifications, pytest.raises(ValidationFailed, match=problem):
        notifications.region_figures(prefix, period, cutoff)
