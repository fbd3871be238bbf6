"""Working-day deadlines on the Chinese calendar (holidays, 调休 make-up days, years without data)."""
from datetime import date

import pytest

from services.requests import deadlines
from services.requests.deadlines import Deadline, WorkingDayCalendar, YearSchedule, add_working_days

LIBRARY_ONLY = WorkingDayCalendar()
WITH_2027 = WorkingDayCalendar({2027: YearSchedule(
    2027,
    holidays=deadlines.expand_ranges([(date(2027, 1, 1), date(2027, 1, 3))]),
    workdays=frozenset({date(2027, 1, 9)}))})
WITH_2028 = WorkingDayCalendar({2028: YearSchedule(
    2028, holidays=deadlines.expand_ranges([(date(2028, 1, 1), date(2028, 1, 3))]))})


@pytest.mark.parametrize("start, days, calendar, expected", [
    # an ordinary week: Thursday + 3 working days skips the weekend
    (date(2026, 11, 26), 3, LIBRARY_ONLY, Deadline(date(2026, 12, 1), False)),
    # Saturday 2026-02-14 is a make-up working day (春节调休)
    (date(2026, 2, 13), 1, LIBRARY_ONLY, Deadline(date(2026, 2, 14), False)),
    # ... and the Spring Festival (2-15 .. 2-23) is not counted
    (date(2026, 2, 13), 2, LIBRARY_ONLY, Deadline(date(2026, 2, 24), False)),
    # National Day week off, then Saturday 10-10 is a make-up working day
    (date(2026, 9, 30), 1, LIBRARY_ONLY, Deadline(date(2026, 10, 8), False)),
    (date(2026, 9, 30), 3, LIBRARY_ONLY, Deadline(date(2026, 10, 10), False)),
    # New Year 2026: 1-1 .. 1-3 off, Sunday 1-4 worked
    (date(2025, 12, 31), 1, LIBRARY_ONLY, Deadline(date(2026, 1, 4), False)),
    # a deadline reaching 2027 (no data in the library): weekends and the statutory holidays
    # (元旦 1-1) off, provisional
    (date(2026, 12, 29), 5, LIBRARY_ONLY, Deadline(date(2027, 1, 6), True)),
    (date(2026, 12, 31), 1, LIBRARY_ONLY, Deadline(date(2027, 1, 4), True)),
    # the same with 2027 loaded by an operator: 1-1 .. 1-3 off, Saturday 1-9 worked
    (date(2026, 12, 29), 5, WITH_2027, Deadline(date(2027, 1, 6), False)),
    (date(2027, 1, 7), 2, WITH_2027, Deadline(date(2027, 1, 9), False)),
    # a deadline inside a year without data is provisional even if no holiday is near
    (date(2028, 3, 1), 2, WITH_2027, Deadline(date(2028, 3, 3), True)),
    # a count that passes through a year without data is provisional even if it ends in a known one
    (date(2027, 12, 30), 2, WITH_2028, Deadline(date(2028, 1, 4), True)),
])
def test_deadline_counts_chinese_working_days(start, days, calendar, expected):
    assert add_working_days(start, days, calendar) == expected


def test_library_raises_past_its_last_year_and_the_calendar_does_not():
    import chinese_calendar
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))
    assert LIBRARY_ONLY.is_working_day(date(2027, 3, 1)) == (True, False)
    assert LIBRARY_ONLY.is_working_day(date(2027, 3, 6)) == (False, False)


STATUTORY_2027 = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节", date(2027, 2, 6): "春节", date(2027, 2, 7): "春节", date(2027, 2, 8): "春节",
    date(2027, 4, 5): "清明节",
    date(2027, 5, 1): "劳动节", date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午节",
    date(2027, 9, 15): "中秋节",
    date(2027, 10, 1): "国庆节", date(2027, 10, 2): "国庆节", date(2027, 10, 3): "国庆节",
}


def test_statutory_holidays_of_the_2024_rules_in_2027():
    """《全国年节及纪念日放假办法》(2024) 第二条: 13 days; 除夕 2027-02-05, 初一 02-06 (lunar calendar),
    清明 04-05 (solar term), 端午 06-09, 中秋 09-15."""
    assert deadlines.statutory_holidays(2027) == STATUTORY_2027


@pytest.mark.parametrize("day, working", [
    (date(2027, 1, 1), False),    # 元旦, a Friday
    (date(2027, 2, 5), False),    # 除夕, a Friday
    (date(2027, 2, 8), False),    # 正月初三, a Monday
    (date(2027, 2, 9), True),     # the Tuesday after: no 调休 known yet
    (date(2027, 4, 5), False),    # 清明, a Monday
    (date(2027, 6, 9), False),    # 端午, a Wednesday
    (date(2027, 9, 15), False),   # 中秋, a Wednesday
    (date(2027, 10, 1), False),   # 国庆, a Friday
    (date(2027, 10, 4), True),    # a Monday: 补假 and 调休 come only with the schedule
])
def test_after_the_library_statutory_holidays_are_days_off_and_provisional(day, working):
    assert LIBRARY_ONLY.is_working_day(day) == (working, False)


def test_after_the_library_one_working_day_after_new_years_eve_is_the_monday_after_yuandan():
    """2026-12-31 + 1 working day: not 2027-01-01 (元旦), but Monday 2027-01-04, provisional."""
    assert add_working_days(date(2026, 12, 31), 1, LIBRARY_ONLY) == Deadline(date(2027, 1, 4), True)


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_are_days_off_in_every_announced_year_under_the_2024_rules(year):
    """The computed days agree with the State Council's schedules the library carries."""
    import chinese_calendar
    assert [day for day in deadlines.statutory_holidays(year) if chinese_calendar.is_workday(day)] == []


def test_qingming_is_the_day_of_the_solar_term_by_two_independent_computations():
    """清明 from tyme4py's astronomical solar terms equals chinese-calendar's formula, 2027–2099."""
    import chinese_calendar
    for year in range(2027, 2100):
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        qingming = next(day for day, name in terms if name == "清明")
        assert deadlines.statutory_holidays(year)[qingming] == "清明节", year


def test_statutory_holidays_apply_from_2025():
    with pytest.raises(ValueError, match="from 2025"):
        deadlines.statutory_holidays(2024)


def test_loaded_year_takes_precedence_over_the_library():
    correction = WorkingDayCalendar({2026: YearSchedule(2026, holidays=frozenset({date(2026, 11, 27)}))})
    assert add_working_days(date(2026, 11, 26), 1, correction) == Deadline(date(2026, 11, 30), False)


@pytest.mark.parametrize("holidays, workdays, problem", [
    ({date(2026, 1, 1)}, set(), "2026-01-01 is not in 2027"),
    ({date(2028, 1, 1)}, set(), "2028-01-01 is not in 2027"),
    (set(), {date(2026, 12, 27)}, "2026-12-27 is not in 2027"),
    ({date(2026, 12, 31)}, {date(2026, 12, 31)}, "2026-12-31 is not in 2027"),
    ({date(2027, 1, 1)}, {date(2027, 1, 1)}, "2027-01-01 cannot be both a holiday and a working day"),
])
def test_year_schedule_rejects_inconsistent_days(holidays, workdays, problem):
    with pytest.raises(ValueError, match=problem):
        YearSchedule(2027, frozenset(holidays), frozenset(workdays))


def test_time_limit_is_at_least_one_working_day():
    with pytest.raises(ValueError, match="at least one working day"):
        add_working_days(date(2026, 11, 26), 0, LIBRARY_ONLY)
    assert add_working_days(date(2026, 11, 26), 1, LIBRARY_ONLY) == Deadline(date(2026, 11, 27), False)


@pytest.mark.parametrize("guide, area, expected", [
    ({"accept_days": 1, "resolve_days": 5}, "policy", (1, 5)),
    ({"accept_days": "4", "resolve_days": "12"}, "policy", (4, 12)),
    (None, "policy", (2, 10)),
    ({"accept_days": None, "resolve_days": None}, "rights", (2, 10)),
    ({"accept_days": 1, "resolve_days": None}, "training", (3, 10)),   # half a guide is no guide
    ({"accept_days": None, "resolve_days": 5}, "chain", (3, 15)),
])
def test_time_limits_come_from_the_guide_else_the_area_default(guide, area, expected):
    assert deadlines.time_limits(guide, area) == expected


def test_every_service_area_has_the_documented_default_time_limits():
    """(accept, resolve) working days, as docs/requests.md lists them."""
    assert deadlines.DEFAULT_TIME_LIMITS == {
        "policy": (2, 10), "cultivation": (3, 15), "chain": (3, 15), "finance_talent": (3, 15),
        "quality_brand": (3, 20), "international": (3, 20), "rights": (2, 10), "training": (3, 10)}


@pytest.mark.parametrize("year, library_only, with_2027", [
    (2003, False, False), (2004, True, True), (2026, True, True), (2027, False, True), (2028, False, False)])
def test_calendar_covers_the_librarys_years_and_the_loaded_ones(year, library_only, with_2027):
    assert (LIBRARY_ONLY.covers(year), WITH_2027.covers(year)) == (library_only, with_2027)


@pytest.mark.parametrize("day, answer", [
    (date(2027, 1, 1), (False, True)),    # loaded holiday on a Friday
    (date(2027, 1, 4), (True, True)),     # an ordinary Monday
    (date(2027, 1, 9), (True, True)),     # loaded make-up Saturday
    (date(2027, 1, 10), (False, True)),   # an ordinary Sunday
    (date(2026, 10, 1), (False, True)),   # the library's National Day
    (date(2028, 3, 4), (False, False)),   # a Saturday in a year nobody knows
])
def test_a_day_is_a_working_day_by_the_loaded_year_else_the_library_else_the_weekday(day, answer):
    assert WITH_2027.is_working_day(day) == answer


@pytest.mark.parametrize("ranges, days", [
    ([(date(2027, 2, 6), date(2027, 2, 6))], {date(2027, 2, 6)}),
    ([(date(2027, 2, 6), date(2027, 2, 8))], {date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)}),
    ([(date(2027, 1, 1), date(2027, 1, 1)), (date(2027, 2, 6), date(2027, 2, 7))],
     {date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 7)}),
    ([], set()),
])
def test_ranges_expand_to_every_day_inclusive(ranges, days):
    assert deadlines.expand_ranges(ranges) == frozenset(days)


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="range 2027-02-08..2027-02-06 ends before it starts"):
        deadlines.expand_ranges([(date(2027, 2, 8), date(2027, 2, 6))])


def test_moment_of_a_day_is_its_first_instant_in_china():
    from datetime import datetime, timezone
    assert deadlines.moment_of(date(2026, 12, 1)) == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("due, today, overdue", [
    (date(2026, 12, 1), date(2026, 12, 1), False),
    (date(2026, 12, 1), date(2026, 12, 2), True),
    (None, date(2026, 12, 2), False),
])
def test_deadline_is_missed_only_after_its_day(due, today, overdue):
    assert deadlines.is_overdue(due, today) is overdue


def test_local_day_is_the_day_in_china():
    from datetime import datetime, timezone
    assert deadlines.local_day(datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)) == date(2026, 12, 1)


def test_resolution_deadline_is_never_before_acceptance():
    accept, resolve = deadlines.deadlines_from(date(2026, 11, 26), (5, 3), LIBRARY_ONLY)
    assert (accept, resolve) == (Deadline(date(2026, 12, 3), False), Deadline(date(2026, 12, 3), False))
    assert deadlines.deadlines_from(date(2026, 11, 26), (2, 10), LIBRARY_ONLY) == (
        Deadline(date(2026, 11, 30), False), Deadline(date(2026, 12, 10), False))


def test_schedules_calendars_and_deadlines_are_values_that_cannot_be_altered():
    import dataclasses
    for thing, field in ((WITH_2027.loaded[2027], "year"), (WITH_2027, "loaded"),
                         (Deadline(date(2027, 1, 4), False), "provisional")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(thing, field, None)


@pytest.mark.parametrize("day, expected", [
    (date(2026, 7, 1), Deadline(date(2026, 7, 1), False)),     # a working Wednesday: that day
    (date(2026, 1, 31), Deadline(date(2026, 2, 2), False)),    # Saturday: the next Monday
    (date(2026, 10, 1), Deadline(date(2026, 10, 8), False)),   # National Day week off
    (date(2027, 1, 1), Deadline(date(2027, 1, 4), True)),      # 元旦 by the 2024 rules, a year without data
])
def test_a_period_ending_on_a_rest_day_ends_on_the_next_working_day(day, expected):
    assert deadlines.first_working_day(day, LIBRARY_ONLY) == expected


@pytest.mark.parametrize("day, answer", [
    (date(2003, 1, 1), (True, False)),     # before the library's years: weekdays only, not 元旦
    (date(2003, 2, 28), (True, False)),    # Friday
    (date(2003, 3, 1), (False, False)),    # Saturday
    (date(2003, 3, 2), (False, False)),    # Sunday
    (date(2003, 3, 3), (True, False)),     # Monday
])
def test_a_day_before_the_librarys_years_is_counted_by_the_weekday_alone(day, answer):
    assert LIBRARY_ONLY.is_working_day(day) == answer


def test_a_calendar_is_made_from_the_days_a_service_stores():
    from reference.workdays import calendar_of
    calendar = calendar_of([(2027, date(2027, 1, 1), False), (2027, date(2027, 1, 9), True),
                            (2027, date(2027, 1, 2), False), (2028, None, None)])
    assert calendar.loaded == {
        2027: YearSchedule(2027, frozenset({date(2027, 1, 1), date(2027, 1, 2)}), frozenset({date(2027, 1, 9)})),
        2028: YearSchedule(2028, frozenset(), frozenset())}
    assert calendar_of([]) == WorkingDayCalendar()
