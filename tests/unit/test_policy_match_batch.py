"""Matching a batch of registered or changed enterprises against the policies in force
(:func:`services.notifications.push.match_enterprises`), with fakes for the store, the
enterprises service's judgement and the inbox."""
from contextlib import contextmanager
from datetime import date

import pytest

from services.notifications import push

NANJING, URUMQI = "320102", "650102"
IN_FORCE = [{"id": 1, "title": "全国研发补助", "criteria": {"industry_codes": ["C"]}},
            {"id": 2, "title": "新疆人才补贴", "criteria": {"region_prefixes": ["65"]}}]


class FakeStore:
    def __init__(self):
        self.written = []   # (policy id, [(uscc, region_code)]) per statement

    def policies_in_force(self, tx, on):
        return IN_FORCE

    def add_pushed_notices(self, tx, pushed, usccs, region_codes):
        page = list(zip(usccs, region_codes))
        self.written.append((pushed.about_id, page))
        return {"notices": len(page), "deliveries": 0}


class Session:
    def __init__(self):
        self.transactions = 0

    @contextmanager
    def transaction(self):
        self.transactions += 1
        yield self

    def deliveries_waiting(self):
        pass


def event(event_id, uscc, region_code, kind="enterprise.registered"):
    return {"event_id": event_id, "type": kind, "payload": {"uscc": uscc, "region_code": region_code}}


@pytest.fixture
def fake(monkeypatch):
    store = FakeStore()
    monkeypatch.setattr(push, "store", store)
    return store


def test_a_batch_is_judged_once_and_each_policy_written_in_one_statement(fake):
    asked = []

    def matches(usccs, criteria_by_id):
        asked.append((usccs, sorted(criteria_by_id)))
        return {uscc: ["1", "2"] for uscc in usccs}

    session, batch = Session(), [event("e1", "A", NANJING), event("e2", "B", URUMQI), event("e3", "C", URUMQI)]
    written, unknown = push.match_enterprises(session, matches, batch, lambda tx, events: events, date(2026, 6, 1))
    assert asked == [(["A", "B", "C"], ["1", "2"])]
    # The Nanjing enterprise is not told of the Xinjiang policy: its region cannot cover it.
    assert fake.written == [(1, [("A", NANJING), ("B", URUMQI), ("C", URUMQI)]), (2, [("B", URUMQI), ("C", URUMQI)])]
    assert (written, unknown, session.transactions) == (5, [], 2)


def test_events_seen_before_tell_nothing_and_an_enterprise_twice_in_a_batch_is_told_once(fake):
    batch = [event("e1", "A", URUMQI), event("e2", "B", URUMQI), event("e3", "A", URUMQI, "enterprise.updated")]
    seen_before = {"e2"}
    written, _ = push.match_enterprises(Session(), lambda usccs, criteria: {uscc: ["2"] for uscc in usccs}, batch,
                                        lambda tx, events: [e for e in events if e["event_id"] not in seen_before],
                                        date(2026, 6, 1))
    assert fake.written == [(2, [("A", URUMQI)])] and written == 1


def test_an_enterprise_the_judgement_does_not_know_fails_alone_and_is_not_recorded(fake):
    recorded = []

    def first_seen(tx, events):
        recorded.extend(e["event_id"] for e in events)
        return events

    batch = [event("e1", "A", NANJING), event("e2", "GONE", NANJING)]
    _, unknown = push.match_enterprises(Session(), lambda usccs, criteria: {"A": ["1"]}, batch, first_seen,
                                        date(2026, 6, 1))
    assert [e["event_id"] for e in unknown] == ["e2"] and recorded == ["e1"]
    assert fake.written == [(1, [("A", NANJING)])]


def test_without_a_policy_to_judge_nobody_is_asked_and_the_batch_takes_one_transaction(fake, monkeypatch):
    monkeypatch.setattr(fake, "policies_in_force", lambda tx, on: [])
    recorded, welcomed, session = [], [], Session()

    def matches(usccs, criteria_by_id):
        raise AssertionError("the enterprises service was asked with nothing to judge")

    written, unknown = push.match_enterprises(session, matches, [event("e1", "A", NANJING)],
                                              lambda tx, events: recorded.extend(events) or events, date(2026, 6, 1),
                                              also=lambda tx, events: welcomed.extend(e["event_id"] for e in events))
    assert (written, unknown, fake.written, len(recorded), welcomed) == (0, [], [], 1, ["e1"])
    assert session.transactions == 1


def test_what_else_a_batch_writes_is_written_for_the_events_not_seen_before_only(fake):
    welcomed = []
    batch = [event("e1", "A", URUMQI), event("e2", "B", URUMQI)]
    push.match_enterprises(Session(), lambda usccs, criteria: {uscc: [] for uscc in usccs}, batch,
                           lambda tx, events: [e for e in events if e["event_id"] != "e1"], date(2026, 6, 1),
                           also=lambda tx, events: welcomed.extend(e["event_id"] for e in events))
    assert welcomed == ["e2"]
