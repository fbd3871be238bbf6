"""Pure rules of service activities: recurrence off rest days, targeting, registration, the
waitlist, check-in, ratings, and the iCalendar feed."""
from datetime import date, datetime, timedelta

import icalendar
import pytest

from chassis.errors import Conflict, ValidationFailed
from reference import workdays
from services.activities import calendar_feed, domain, recurrence
from services.activities.schemas import CHINA, ActivityPublication

LIBRARY = workdays.WorkingDayCalendar()
WITH_2027_NATIONAL_DAY = workdays.WorkingDayCalendar({2027: workdays.YearSchedule(
    2027, holidays=workdays.expand_ranges([(date(2027, 10, 1), date(2027, 10, 7))]),
    workdays=frozenset({date(2027, 10, 9)}))})


def slot(year, month, day, hour=9, minute=30):
    start = datetime(year, month, day, hour, minute, tzinfo=CHINA)
    return recurrence.Slot(start, start + timedelta(hours=2), start - timedelta(days=14), start - timedelta(hours=1))


def days(planned):
    return [each.slot.starts_at.date().isoformat() for each in planned]


@pytest.mark.parametrize("first, rule, calendar, on_rest_day, expected", [
    # every second Tuesday of 2026's first quarter: no holiday in the way
    (slot(2026, 1, 13), "FREQ=MONTHLY;BYDAY=2TU;COUNT=3", LIBRARY, "next_working_day",
     ["2026-01-13", "2026-02-10", "2026-03-10"]),
    # the 1st of each month in 2026 by the State Council's schedule: 元旦 1-1..1-3 off, Sunday 1-4 worked;
    # 劳动节 5-1..5-5; 国庆 10-1..10-7, Thursday 10-8 worked
    (slot(2026, 1, 1), "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12", LIBRARY, "next_working_day",
     ["2026-01-04", "2026-02-02", "2026-03-02", "2026-04-01", "2026-05-06", "2026-06-01", "2026-07-01",
      "2026-08-03", "2026-09-01", "2026-10-08", "2026-11-02", "2026-12-01"]),
    # skipped instead of moved
    (slot(2026, 1, 1), "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=4", LIBRARY, "skip", ["2026-04-01"]),
    # kept where the rule puts them
    (slot(2026, 1, 1), "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=2", LIBRARY, "keep", ["2026-01-01", "2026-02-01"]),
    # 2027 without a loaded schedule: the statutory 国庆 1-3 October only, so Monday 10-4
    (slot(2027, 10, 1), "FREQ=YEARLY;COUNT=1", LIBRARY, "next_working_day", ["2027-10-04"]),
    # ... and with the schedule loaded: the whole week off, Friday 10-8
    (slot(2027, 10, 1), "FREQ=YEARLY;COUNT=1", WITH_2027_NATIONAL_DAY, "next_working_day", ["2027-10-08"]),
    # a daily rule over a weekend: Saturday and Sunday move onto Monday, which already has one
    (slot(2026, 3, 6), "FREQ=DAILY;COUNT=4", LIBRARY, "next_working_day", ["2026-03-06", "2026-03-09"]),
    # UNTIL in UTC, as RFC 5545 asks with a zoned start: 2026-03-31T01:30Z is 09:30 in China, included
    (slot(2026, 3, 3), "RRULE:FREQ=WEEKLY;UNTIL=20260331T013000Z", LIBRARY, "next_working_day",
     ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"]),
])
def test_rule_gives_working_day_occurrences(first, rule, calendar, on_rest_day, expected):
    assert days(recurrence.plan(first, rule, [1], calendar, on_rest_day)) == expected


def test_moved_occurrence_keeps_its_times_and_window_and_names_the_rules_day():
    [moved] = recurrence.plan(slot(2026, 10, 1), None, [7], LIBRARY)
    assert moved.slot == slot(2026, 10, 8)
    assert (moved.station, moved.sequence, moved.planned_on, moved.moved_from, moved.provisional) == (
        7, 1, date(2026, 10, 1), date(2026, 10, 1), False)


@pytest.mark.parametrize("planned_on, calendar, expected", [
    (date(2027, 10, 1), LIBRARY, (date(2027, 10, 4), True)),               # statutory 国庆 1-3 only
    (date(2027, 10, 1), WITH_2027_NATIONAL_DAY, (date(2027, 10, 8), False)),
    (date(2027, 10, 9), WITH_2027_NATIONAL_DAY, (date(2027, 10, 9), False)),  # a 调休 Saturday is worked
])
def test_a_provisional_occurrence_is_replanned_by_the_loaded_schedule(planned_on, calendar, expected):
    assert recurrence.replanned_day(planned_on, calendar) == expected


def test_each_station_gets_every_date():
    planned = recurrence.plan(slot(2026, 3, 3), "FREQ=WEEKLY;COUNT=2", [11, 12, 13], LIBRARY)
    assert [(each.station, each.sequence) for each in planned] == [
        (11, 1), (11, 2), (12, 1), (12, 2), (13, 1), (13, 2)]


@pytest.mark.parametrize("rule, problem", [
    ("FREQ=DAILY;COUNT=121", "more than 120 occurrences"),
    ("FREQ=WEEKLY;UNTIL=20991231T000000Z", "more than 120 occurrences"),
    ("FREQ=MONTHLY;BYDAY=XX;COUNT=3", "not an RFC 5545 RRULE"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "gives no occurrence"),
])
def test_unusable_rules_are_refused(rule, problem):
    with pytest.raises(ValidationFailed) as refused:
        recurrence.plan(slot(2026, 3, 3), rule, [1], LIBRARY)
    assert problem in refused.value.details["recurrence"][0]


@pytest.mark.parametrize("rule, problem", [
    ("FREQ=WEEKLY;BYDAY=TU", "COUNT or UNTIL"),
    ("FREQ=HOURLY;COUNT=3", "at most daily"),
    ("BYDAY=TU;COUNT=3", "needs FREQ"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY;COUNT=2", "one RRULE"),
])
def test_publication_refuses_rules_that_do_not_end_or_recur_too_often(rule, problem):
    body = {"agency_id": 1, "kind": "training", "title": "数字化转型培训", "venue": "会议室",
            "starts_at": "2027-01-05T09:00:00", "ends_at": "2027-01-05T11:00:00",
            "registration_opens_at": "2026-12-20T09:00:00", "registration_closes_at": "2027-01-05T09:00:00",
            "capacity": 10, "recurrence": rule}
    errors = ActivityPublication().validate(body)
    assert problem in " ".join(errors["recurrence"])


def test_publication_needs_a_place_and_a_window_inside_the_activity():
    body = {"agency_id": 1, "kind": "exhibition", "title": "中小企业博览会", "capacity": 10,
            "starts_at": "2027-01-05T09:00:00+08:00", "ends_at": "2027-01-05T08:00:00+08:00",
            "registration_opens_at": "2027-01-06T09:00:00+08:00", "registration_closes_at": "2027-01-07T09:00:00+08:00"}
    errors = ActivityPublication().validate(body)
    assert set(errors) == {"venue"}
    errors = ActivityPublication().validate({**body, "venue": "国际博览中心"})
    assert set(errors) == {"ends_at"}


AGENCY = {"id": 5, "name": "无锡市中小企业服务中心", "region_code": "320200"}


@pytest.mark.parametrize("criteria, expected", [
    ({}, {"region_prefixes": ["3202"]}),
    ({"tiers": ["little_giant"]}, {"tiers": ["little_giant"], "region_prefixes": ["3202"]}),
    ({"region_prefixes": ["320214"]}, {"region_prefixes": ["320214"]}),
])
def test_target_is_narrowed_to_the_agencys_region(criteria, expected):
    assert domain.target_criteria(criteria, AGENCY) == expected


def test_target_beyond_the_agencys_region_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        domain.target_criteria({"region_prefixes": ["3202", "44"]}, AGENCY)
    assert "44 lie outside the region 320200" in refused.value.details["criteria.region_prefixes"][0]


def test_national_agency_targets_the_whole_country():
    assert domain.target_criteria({}, {"id": 1, "name": "国家", "region_code": "000000"}) == {}


NOW = datetime(2026, 12, 1, 10, 0, tzinfo=CHINA)


def occurrence(**overrides):
    row = {"id": 9, "activity_id": 3, "agency_id": 5, "capacity": 2, "registered": 0,
           "registration_opens_at": NOW - timedelta(days=1), "registration_closes_at": NOW + timedelta(days=1),
           "starts_at": NOW + timedelta(days=2), "ends_at": NOW + timedelta(days=2, hours=2)}
    row.update(overrides)
    return row


@pytest.mark.parametrize("registered, expected", [(0, "registered"), (1, "registered"), (2, "waitlisted")])
def test_a_free_place_is_taken_else_the_waitlist(registered, expected):
    assert domain.admission(occurrence(registered=registered), NOW) == expected


@pytest.mark.parametrize("moment, message", [
    (NOW - timedelta(days=2), "registration opens at"),
    (NOW + timedelta(days=1, seconds=1), "registration closed at"),
])
def test_registration_outside_the_window_is_a_conflict(moment, message):
    with pytest.raises(Conflict, match=message):
        domain.admission(occurrence(), moment)


@pytest.mark.parametrize("state, promoted, deltas", [
    ("registered", True, (0, -1)),    # the freed place goes to the first waiting
    ("registered", False, (-1, 0)),   # nobody waits: one place fewer taken
    ("waitlisted", False, (0, -1)),
])
def test_counts_after_a_cancellation(state, promoted, deltas):
    assert domain.counts_after_cancel(state, promoted) == deltas


@pytest.mark.parametrize("registration, moment, message", [
    (None, NOW, "not registered"),
    ({"state": "waitlisted", "checked_in_at": None}, NOW, "waitlisted registration"),
    ({"state": "registered", "checked_in_at": NOW}, NOW, "was checked in"),
    ({"state": "registered", "checked_in_at": None}, NOW + timedelta(days=4), "ended on"),
])
def test_only_registered_enterprises_are_checked_in_once(registration, moment, message):
    with pytest.raises(Conflict, match=message):
        domain.check_in_problem(registration, occurrence(), moment, "91320214MA00000010")


@pytest.mark.parametrize("registration, moment, rated, message", [
    ({"checked_in_at": None}, NOW + timedelta(days=3), False, "only participants rate"),
    ({"checked_in_at": NOW}, NOW + timedelta(days=2, hours=1), False, "rate it after"),
    ({"checked_in_at": NOW}, NOW + timedelta(days=3), True, "already rated"),
])
def test_participants_rate_once_after_the_end(registration, moment, rated, message):
    with pytest.raises(Conflict, match=message):
        domain.rating_problem(registration, occurrence(), moment, "91320214MA00000010", rated)


def test_feed_holds_one_event_per_occurrence_with_a_stable_uid():
    rows = [{"id": 41, "title": "送法进园区", "kind": "law_outreach", "description": "知识产权保护",
             "agency_name": "新吴区科技园服务站", "capacity": 80, "registered": 12, "venue": "科技园报告厅",
             "online_url": "https://meeting.example.cn/41", "moved_from": date(2027, 1, 1),
             "starts_at": datetime(2027, 1, 4, 9, 30, tzinfo=CHINA), "ends_at": datetime(2027, 1, 4, 11, 30, tzinfo=CHINA)}]
    parsed = icalendar.Calendar.from_ical(calendar_feed.feed("新吴区 服务活动", rows))
    [event] = parsed.walk("VEVENT")
    assert str(event["UID"]) == "occurrence-41@activities.onenet"
    assert event.decoded("DTSTART") == datetime(2027, 1, 4, 9, 30, tzinfo=CHINA)
    assert (str(event["LOCATION"]), str(event["URL"])) == ("科技园报告厅", "https://meeting.example.cn/41")
    assert "原定 2027-01-01" in str(event["DESCRIPTION"])
    assert str(parsed["X-WR-CALNAME"]) == "新吴区 服务活动"
