"""Reporting periods of the assessment (评估问效): a year ``2026``, a quarter ``2026-Q4`` or a
month ``2026-11``. Every service that reports figures per period reads them the same way."""
import re
from dataclasses import dataclass
from datetime import date, datetime

from chassis.errors import ValidationFailed

# Years 1900-2099: the network reports on no other (and year 0 or 9999 would leave the calendar).
PERIOD_FORMAT = re.compile(r"^(?P<year>(?:19|20)\d{2})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    """A year, quarter or month; ``end`` is the first day after it."""

    name: str
    start: date
    end: date

    @property
    def last_day(self):
        return date.fromordinal(self.end.toordinal() - 1)


def _next_month(year, month):
    return date(year + month // 12, month % 12 + 1, 1)


def parse_period(text):
    """The :class:`Period` named ``2026``, ``2026-Q4`` or ``2026-11``."""
    match = PERIOD_FORMAT.match(text or "")
    if not match:
        raise ValueError("period must be YYYY, YYYY-Qn or YYYY-MM")
    year = int(match["year"])
    if match["quarter"]:
        first = 3 * int(match["quarter"]) - 2
        return Period(text, date(year, first, 1), _next_month(year, first + 2))
    if match["month"]:
        month = int(match["month"])
        return Period(text, date(year, month, 1), _next_month(year, month))
    return Period(text, date(year, 1, 1), date(year + 1, 1, 1))


def cutoff_of(text):
    """The moment a figure is read as of: ISO 8601 text with its zone (a scoring run's cut-off)."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"a cut-off is an ISO 8601 time with its zone, not {text!r}")
    return moment


def figures_query(prefix, period, cutoff):
    """``(Period, cut-off moment)`` of a ``region_figures`` call: what a region prefix ('' the
    country, or 2, 4 or 6 digits) recorded in ``period`` by ``cutoff``. ValidationFailed (field
    ``region_figures``) says what is wrong."""
    try:
        if not (prefix == "" or (isinstance(prefix, str) and prefix.isdigit() and len(prefix) in (2, 4, 6))):
            raise ValueError("prefix must be '' or 2, 4 or 6 digits")
        return parse_period(period), cutoff_of(cutoff)
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"region_figures": [str(exc)]}) from None
