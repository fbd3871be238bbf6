"""The Chinese working-day calendar (工作日), shared by every service that counts in working days.

Request deadlines (办理时限), payment terms and the dates of recurring service
activities all follow it: public holidays are days off even on weekdays, and
make-up working days (调休上班) are working days even on weekends.

The holiday data comes from the ``chinese-calendar`` library, which carries
each year the State Council has announced (国务院办公厅关于部分节假日安排的
通知) and raises ``NotImplementedError`` for any other year.  Operators load
the schedule of a newly announced year as data (:class:`YearSchedule`, kept by
the requests service and announced as ``holiday_schedule.loaded``); loaded
years take precedence over the library.

A day after the library's last year that no loaded schedule covers is counted
by the statutory holidays alone (:func:`statutory_holidays`: the days off that
《全国年节及纪念日放假办法》 itself fixes) and weekends, and the answer is
marked *provisional*: only the announced schedule says which weekend days are
worked (调休) and where a holiday falling on a weekend is made up (补假, 第六条).

Pure functions and values; no I/O.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from tyme4py.lunar import LunarDay
from tyme4py.solar import SolarTerm

from reference.china_time import CHINA_TIME, local_day, moment_of  # noqa: F401  (days are days in China)

LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

# 《全国年节及纪念日放假办法》 as revised by 国务院令第795号, in force from 2025-01-01.
HOLIDAY_RULES_SINCE = 2025


def _gregorian(solar_day):
    return date(solar_day.get_year(), solar_day.get_month(), solar_day.get_day())


def _lunar(year, month, day):
    """The Gregorian day of a lunar date (农历) of lunar year ``year`` (ordinary, not leap, month)."""
    return _gregorian(LunarDay.from_ymd(year, month, day).get_solar_day())


@lru_cache(maxsize=256)
def statutory_holidays(year):
    """The days off 《全国年节及纪念日放假办法》 (2024 revision) 第二条 fixes in ``year``: {day: name}.

    元旦 1 January; 春节 除夕 and 正月初一 to 初三; 清明 the day of the solar
    term; 劳动节 1–2 May; 端午 五月初五; 中秋 八月十五; 国庆 1–3 October.
    Lunar dates come from the tyme4py calendar, 清明 from its solar-term
    computation.  The 调休 weekend days and 补假 for a holiday on a weekend are
    not fixed by the rules; only the State Council's yearly schedule sets them.
    """
    if year < HOLIDAY_RULES_SINCE:
        raise ValueError(f"the 2024 holiday rules apply from {HOLIDAY_RULES_SINCE}, not to {year}")
    new_year = _lunar(year, 1, 1)
    days = {date(year, 1, 1): "元旦",
            new_year - timedelta(days=1): "春节",
            _gregorian(SolarTerm.from_name(year, "清明").get_solar_day()): "清明节",
            date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节",
            _lunar(year, 5, 5): "端午节",
            _lunar(year, 8, 15): "中秋节",
            date(year, 10, 1): "国庆节", date(year, 10, 2): "国庆节", date(year, 10, 3): "国庆节"}
    days.update({new_year + timedelta(days=n): "春节" for n in range(3)})
    return days


@dataclass(frozen=True)
class YearSchedule:
    """One year's announced schedule: days off and make-up working days."""

    year: int
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()

    def __post_init__(self):
        for day in self.holidays | self.workdays:
            if day.year != self.year:
                raise ValueError(f"{day.isoformat()} is not in {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} cannot be both a holiday and a working day")


@dataclass(frozen=True)
class WorkingDayCalendar:
    """The Chinese working-day calendar: the library's years plus operator-loaded ones."""

    loaded: dict = field(default_factory=dict)  # year -> YearSchedule

    def covers(self, year):
        """Whether holidays and make-up days are known for ``year``."""
        return year in self.loaded or year in LIBRARY_YEARS

    def is_working_day(self, day):
        """``(working, known)``: whether ``day`` is a working day and whether that is certain."""
        schedule = self.loaded.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True, True
            return day.weekday() < 5 and day not in schedule.holidays, True
        return library_working_day(day)


@lru_cache(maxsize=8192)
def library_working_day(day):
    """``(working, known)`` for ``day`` by the library's years alone (see the module), remembered per
    day: the library looks through its whole table of holidays on every call to check the year, and
    answers a year it does not carry with an exception, the two costing more than a deadline's
    own arithmetic when it counts its days one by one."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        if day.year > LIBRARY_YEARS[-1]:
            return day.weekday() < 5 and day not in statutory_holidays(day.year), False
        return day.weekday() < 5, False


@dataclass(frozen=True)
class Deadline:
    """A due day (inclusive) and whether it rests on a year without holiday data."""

    due: date
    provisional: bool


def add_working_days(start, days, calendar):
    """The :class:`Deadline` ``days`` working days after the day ``start``."""
    if days < 1:
        raise ValueError("a time limit is at least one working day")
    day, counted, provisional = start, 0, False
    while counted < days:
        day += timedelta(days=1)
        working, known = calendar.is_working_day(day)
        provisional = provisional or not known
        counted += working
    return Deadline(day, provisional)


def first_working_day(day, calendar):
    """The :class:`Deadline` of a period whose last day is ``day``: that day, or the next working day
    when it is a rest day or statutory holiday (民法典 第二百零三条)."""
    provisional = False
    while True:
        working, known = calendar.is_working_day(day)
        provisional = provisional or not known
        if working:
            return Deadline(day, provisional)
        day += timedelta(days=1)


def expand_ranges(ranges):
    """The days of ``[(first, last), ...]`` inclusive ranges, as a frozenset."""
    days = set()
    for first, last in ranges:
        if last < first:
            raise ValueError(f"range {first.isoformat()}..{last.isoformat()} ends before it starts")
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(days)


def calendar_of(days):
    """The :class:`WorkingDayCalendar` of operator-loaded years, from ``(year, day, working)`` rows
    (``day`` None for a loaded year without listed days), as a service stores them."""
    years = {}
    for year, day, working in days:
        holidays, workdays = years.setdefault(year, (set(), set()))
        if day is not None:
            (workdays if working else holidays).add(day)
    return WorkingDayCalendar({
        year: YearSchedule(year, frozenset(holidays), frozenset(workdays))
        for year, (holidays, workdays) in years.items()})
