"""Dated occurrences of an activity from its RFC 5545 rule, kept off rest days and holidays.

"Every second Tuesday, in each park station" (体系化、定期化) is written as
an RRULE (``FREQ=MONTHLY;BYDAY=2TU;COUNT=12``) and expanded by python-dateutil's
``rrule`` from the first occurrence's start, on the China wall clock. Each date
the rule gives that is not a working day on the network's working-day calendar
(:mod:`reference.workdays`: public holidays, weekends that are not 调休 working
days) is moved to the next working day, left out, or kept, as the publisher
chose; a moved occurrence keeps its times of day, its length and its
registration window relative to its start. A moved occurrence that lands on a
day the rule already uses at that station is left out (it would repeat it).

An occurrence planned in a year whose holiday schedule is not yet announced is
*provisional* (the statutory holidays and weekends were avoided); when the
schedule is loaded, each provisional occurrence that moves to the next working
day is re-planned by it (:func:`replanned_day`).

A rule must end (COUNT or UNTIL) and give at most :data:`schemas.MAX_OCCURRENCES`
dates; the check stops counting at one past the bound, so an enormous rule
costs no more than a refused one.
"""
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from dateutil.rrule import rrulestr

from chassis.errors import ValidationFailed
from reference import workdays
from services.activities.schemas import CHINA, MAX_OCCURRENCES

_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


@dataclass(frozen=True)
class Slot:
    """The times of one occurrence: when it starts and ends, when registration opens and closes."""

    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    closes_at: datetime

    def shifted(self, delta):
        return Slot(self.starts_at + delta, self.ends_at + delta, self.opens_at + delta, self.closes_at + delta)

    def at(self, starts_at):
        """The same slot moved to start at ``starts_at``."""
        return self.shifted(starts_at - self.starts_at)


@dataclass(frozen=True)
class Planned:
    """One dated occurrence at one station."""

    station: int
    sequence: int
    slot: Slot
    planned_on: object
    moved_from: object = None
    provisional: bool = False


def _wall_clock(moment):
    return moment.astimezone(CHINA).replace(tzinfo=None)


def _until_in_china_time(rule):
    """UNTIL given in UTC (``…Z``, as RFC 5545 asks with a zoned start) as China wall-clock time."""
    def local(match):
        utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        return "UNTIL=" + _wall_clock(utc).strftime("%Y%m%dT%H%M%S")
    return _UNTIL_UTC.sub(local, rule)


def rule_starts(first_start, rule, bound=MAX_OCCURRENCES):
    """The starts the rule gives from ``first_start`` (aware), at most ``bound`` of them.

    ``ValidationFailed`` (``recurrence``) when the rule cannot be read or gives more.
    """
    if not rule:
        return [first_start]
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    try:
        dates = rrulestr(_until_in_china_time(text), dtstart=_wall_clock(first_start))
        starts = list(itertools.islice(iter(dates), bound + 1))
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationFailed(f"the recurrence rule cannot be read: {exc}",
                               {"recurrence": [f"not an RFC 5545 RRULE: {exc}"]}) from None
    if len(starts) > bound:
        message = f"the rule gives more than {bound} occurrences; end it sooner (COUNT or UNTIL)"
        raise ValidationFailed(message, {"recurrence": [message]})
    if not starts:
        message = "the rule gives no occurrence from starts_at on"
        raise ValidationFailed(message, {"recurrence": [message]})
    return [start.replace(tzinfo=CHINA) for start in starts]


def plan(first, rule, stations, calendar, on_rest_day="next_working_day"):
    """Every :class:`Planned` occurrence: the rule's dates at each station, off rest days as chosen.

    ``first`` is the first occurrence's :class:`Slot`; ``calendar`` a
    :class:`reference.workdays.WorkingDayCalendar`.
    """
    starts = rule_starts(first.starts_at, rule)
    planned = []
    for station in stations:
        taken = set()
        for sequence, start in enumerate(starts, 1):
            slot, day = first.at(start), start.date()
            if on_rest_day == "keep":
                occurrence = Planned(station, sequence, slot, day)
            else:
                working, known = calendar.is_working_day(day)
                if working:
                    occurrence = Planned(station, sequence, slot, day, provisional=not known)
                elif on_rest_day == "skip":
                    continue
                else:
                    moved = workdays.first_working_day(day, calendar)
                    occurrence = Planned(station, sequence, slot.shifted(timedelta(days=(moved.due - day).days)),
                                         day, moved_from=day, provisional=moved.provisional)
            on = occurrence.slot.starts_at.date()
            if on in taken:
                continue
            taken.add(on)
            planned.append(occurrence)
    return planned


def replanned_day(planned_on, calendar):
    """``(day, provisional)``: where an occurrence the rule put on ``planned_on`` belongs by the
    calendar as it is now (moved to the next working day when that day is not one).

    An occurrence planned in a year without an announced schedule is re-planned by this once the
    year's schedule is loaded (``holiday_schedule.loaded``).
    """
    moved = workdays.first_working_day(planned_on, calendar)
    return moved.due, moved.provisional
