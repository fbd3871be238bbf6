"""The notifications service's caller-side use cases (inbox, preferences, webhook subscriptions,
a policy's reach) run without a broker or a database: a small fake stands in for the store, as
cosmicpython's service-layer tests do (the real-broker tests stay)."""
import uuid
from datetime import datetime, time, timedelta, timezone

import pytest

from chassis.errors import Conflict, NotFound
from services.notifications import schemas
from services.notifications.use_cases import notices, preferences, reach, subscriptions

ENTERPRISE = ["enterprise", "91320102MA1XB0003L"]
OTHER = ["enterprise", "91110105MA01B0001X"]
START = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)


class FakeStore:
    """The store functions the use cases call, over lists and dicts."""

    def __init__(self):
        self.notices, self.rows, self.settings = [], {}, {}

    def add_notice(self, recipient, minutes, kind="welcome"):
        notice = {"id": str(uuid.uuid4()), "recipient": recipient, "kind": kind, "title": "欢迎", "body": "",
                  "about": None, "no_longer_applies": None, "created_at": START + timedelta(minutes=minutes),
                  "read_at": None}
        self.notices.append(notice)
        return notice

    def inbox_page(self, tx, recipients, kind, unread, after, limit):
        mine = sorted((n for n in self.notices if n["recipient"] in recipients
                       and (after is None
                            or (n["created_at"], n["id"]) < (datetime.fromisoformat(after[0]), after[1]))),
                      key=lambda n: (n["created_at"], n["id"]), reverse=True)
        return mine[:limit]

    def unread_counts(self, tx, recipients):
        counts = {}
        for notice in self.notices:
            if notice["recipient"] in recipients and notice["read_at"] is None:
                counts[notice["kind"]] = counts.get(notice["kind"], 0) + 1
        return counts

    def mark_read(self, tx, recipients, notice_id):
        for notice in self.notices:
            if notice["id"] == notice_id and notice["recipient"] in recipients:
                notice["read_at"] = START
                return notice
        return None

    def preferences(self, tx, recipient):
        return self.settings.get(tuple(recipient), ({}, None))

    def replace_preferences(self, tx, recipient, channels, email, quiet_hours):
        setting = {"email": email}
        if quiet_hours:
            setting.update(quiet_start=time.fromisoformat(quiet_hours["start"]),
                           quiet_end=time.fromisoformat(quiet_hours["end"]), time_zone=quiet_hours["time_zone"])
        self.settings[tuple(recipient)] = (channels, setting)

    def count_subscriptions(self, tx, recipient):
        return sum(1 for row in self.rows.values() if row["recipient"] == recipient)

    def add_subscription(self, tx, recipient, owner_subject, url, secret, description):
        row = {"id": len(self.rows) + 1, "recipient": recipient, "url": url, "secret": secret,
               "description": description, "state": "active", "consecutive_failures": 0, "paused_at": None,
               "paused_reason": None, "created_at": START}
        self.rows[row["id"]] = row
        return row

    def subscriptions(self, tx, recipient):
        return [row for row in self.rows.values() if row["recipient"] == recipient]

    def subscription(self, tx, subscription_id, recipient=None, lock=False, with_secret=False):
        row = self.rows.get(subscription_id)
        return row if row and row["recipient"] == recipient else None

    def delete_subscription(self, tx, subscription_id):
        self.rows[subscription_id]["state"] = "deleted"

    def policy_matches(self, tx, policy_id, within, after, limit):
        usccs = [f"9132010{n}MA1XB0003L" for n in range(5)]
        return [{"uscc": uscc, "region_code": "320102", "read": False, "requested": False}
                for uscc in usccs if after is None or uscc > after[0]][:limit]

    def policy_reach(self, tx, policy_id, within):
        return {"policy_id": policy_id, "within": within, "notified": 5, "read": 2, "requested": 1}

    def push_state(self, tx, about_type, about_id, lock=False):
        return None


@pytest.fixture
def fake(monkeypatch):
    store = FakeStore()
    for module in (notices, preferences, subscriptions, reach):
        monkeypatch.setattr(module, "store", store)
    return store


def test_the_inbox_pages_newest_first_and_the_cursor_takes_up_after_the_last_notice(fake):
    ids = [fake.add_notice(ENTERPRISE, minutes)["id"] for minutes in range(5)]
    fake.add_notice(OTHER, 10)
    first = notices.page(None, [ENTERPRISE], {"page_size": 2})
    second = notices.page(None, [ENTERPRISE], {"page_size": 2, "cursor": first["next_cursor"]})
    last = notices.page(None, [ENTERPRISE], {"page_size": 2, "cursor": second["next_cursor"]})
    assert [[n["id"] for n in page["items"]] for page in (first, second, last)] == [
        [ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    assert last["next_cursor"] is None and first["page_size"] == 2


def test_another_recipients_notice_and_a_malformed_id_are_not_found_alike(fake):
    theirs = fake.add_notice(OTHER, 0)
    with pytest.raises(NotFound) as other:
        notices.mark_read(None, [ENTERPRISE], theirs["id"])
    with pytest.raises(NotFound) as malformed:
        notices.mark_read(None, [ENTERPRISE], "not-a-notice")
    assert theirs["read_at"] is None
    assert (other.value.details, malformed.value.details) == ({"notice_id": theirs["id"]},
                                                               {"notice_id": "not-a-notice"})


def test_marking_one_notice_read_counts_it_out_of_the_unread(fake):
    mine = fake.add_notice(ENTERPRISE, 0)
    fake.add_notice(ENTERPRISE, 1, kind="policy_match")
    assert notices.unread(None, [ENTERPRISE]) == {"unread": 2, "by_kind": {"welcome": 1, "policy_match": 1}}
    notices.mark_read(None, [ENTERPRISE], mine["id"])
    assert notices.unread(None, [ENTERPRISE]) == {"unread": 1, "by_kind": {"policy_match": 1}}


def test_preferences_show_every_kind_with_the_inbox_first_and_the_quiet_hours(fake):
    shown = preferences.replace(None, ENTERPRISE, {
        "channels": {"policy_match": ["email"]}, "email": "ops@example.cn",
        "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Asia/Shanghai"}})
    assert set(shown["channels"]) == set(schemas.KINDS)
    assert shown["channels"]["policy_match"] == ["in_app", "email"]
    assert (shown["email"], shown["quiet_hours"]) == (
        "ops@example.cn", {"start": "22:00", "end": "07:00", "time_zone": "Asia/Shanghai"})
    assert preferences.preferences(None, OTHER)["quiet_hours"] is None


def sealed(secret):
    return f"sealed({secret})"


def test_a_recipient_has_at_most_the_maximum_of_subscriptions(fake):
    for n in range(schemas.MAX_SUBSCRIPTIONS):
        created = subscriptions.subscribe(None, ENTERPRISE, "user", {"url": f"https://example.cn/{n}",
                                                                      "description": ""}, f"whsec_{n}", sealed)
        assert created["secret"] == f"whsec_{n}"
    with pytest.raises(Conflict):
        subscriptions.subscribe(None, ENTERPRISE, "user", {"url": "https://example.cn/x", "description": ""}, "s",
                                sealed)
    assert len(fake.rows) == schemas.MAX_SUBSCRIPTIONS
    assert "secret" not in subscriptions.listed(None, ENTERPRISE)["items"][0]


def test_the_store_keeps_the_secret_sealed_and_only_the_answer_shows_it(fake):
    created = subscriptions.subscribe(None, ENTERPRISE, "user", {"url": "https://example.cn/in", "description": ""},
                                      "whsec_shown_once", sealed)
    assert created["secret"] == "whsec_shown_once"
    assert fake.rows[created["id"]]["secret"] == "sealed(whsec_shown_once)"


def test_another_recipients_subscription_is_not_found_and_stays(fake):
    theirs = subscriptions.subscribe(None, OTHER, "them", {"url": "https://example.cn/", "description": ""}, "s",
                                     sealed)
    for subscription_id in (theirs["id"], "x1", 999):
        with pytest.raises(NotFound):
            subscriptions.delete(None, ENTERPRISE, subscription_id)
    assert fake.rows[theirs["id"]]["state"] == "active"
    assert subscriptions.delete(None, OTHER, str(theirs["id"])) == {"id": theirs["id"], "state": "deleted"}


def test_a_policys_matches_page_by_credit_code_with_its_count(fake):
    first = reach.policy_matches(None, 7, "32", {"page_size": 3})
    rest = reach.policy_matches(None, 7, "32", {"page_size": 3, "cursor": first["next_cursor"]})
    assert (first["count"], len(first["items"]), len(rest["items"]), rest["next_cursor"]) == (5, 3, 2, None)
    assert reach.policy_reach(None, 7, "32")["requested"] == 1
