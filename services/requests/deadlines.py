"""Working-day deadlines of requests (办理时限, in 工作日).

A deadline of *n* working days from a day is the *n*-th working day after
it (the day itself is not counted); the request is due by the end of that
day, China Standard Time.  The calendar itself (holidays, 调休 make-up days,
years without data) is the network's one working-day calendar,
:mod:`reference.workdays`; this module adds the time limits of requests.
"""
from reference.workdays import (  # noqa: F401  (the calendar, as request code names it)
    CHINA_TIME, HOLIDAY_RULES_SINCE, LIBRARY_YEARS, Deadline, WorkingDayCalendar, YearSchedule,
    add_working_days, expand_ranges, first_working_day, local_day, moment_of, statutory_holidays)


def is_overdue(due, today):
    """A deadline is missed once its due day has passed in China."""
    return due is not None and today > due


# Time limits (accept, resolve) in working days when an agency's published
# service guide (办事指南) gives none for the service area.
DEFAULT_TIME_LIMITS = {
    "policy": (2, 10),
    "cultivation": (3, 15),
    "chain": (3, 15),
    "finance_talent": (3, 15),
    "quality_brand": (3, 20),
    "international": (3, 20),
    "rights": (2, 10),
    "training": (3, 10),
}


def time_limits(guide, service_area):
    """``(accept_days, resolve_days)`` from an agency's guide, else the area's default."""
    if guide and guide.get("accept_days") and guide.get("resolve_days"):
        return int(guide["accept_days"]), int(guide["resolve_days"])
    return DEFAULT_TIME_LIMITS[service_area]


def deadlines_from(start_day, limits, calendar):
    """The acceptance and resolution :class:`Deadline` counted from ``start_day``."""
    accept_days, resolve_days = limits
    return (add_working_days(start_day, accept_days, calendar),
            add_working_days(start_day, max(resolve_days, accept_days), calendar))
