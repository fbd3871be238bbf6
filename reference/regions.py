"""Administrative division codes (行政区划代码, GB/T 2260), with history.

Every enterprise and service agency on the network is anchored to a region.
A region code has six digits: two for the province (省级), two for the
prefecture-level city (地级), two for the county-level division (县级), so
``110105`` is 北京市 / 市辖区 / 朝阳区.

The table is not maintained here: it is read once from python-stdnum's
bundled ``stdnum/cn/loc.dat``, which records every code issued since 1980
together with the years it was in use; when a code was renamed or reused,
every name is kept with its years.  Retired codes (e.g. 110103 崇文区,
merged into 东城区 in 2010) stay resolvable for old records.

Two kinds of codes in the data are not places of their own:

* city-level slots such as ``110100`` 市辖区 (the districts of a
  municipality) or ``429000`` 省直辖县级行政单位 (county-level cities
  governed directly by the province, e.g. ``429004`` 仙桃市).  They are
  kept as the city tier so that every county has a city above it;
* county-level summary codes (统计汇总码) ``xxxx01`` named 市辖区 under an
  ordinary city (e.g. ``420101`` under 武汉市).  They stand for "all the
  districts of this city", see :attr:`Division.is_summary`.

A few cities have no counties at all (不设区的地级市: 东莞 441900, 中山
442000, 儋州 460400, 嘉峪关 620200); for them the city code is the most
precise code an address can carry.

The upstream data is taken as is, except for the lines of
:data:`CORRECTIONS`: codes the data still shows in use although they were
replaced, each with its last year, its successor and the source that shows it.
A test checks that each correction still changes the upstream data, so a line
is removed once python-stdnum carries the fix itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Iterator, NamedTuple

PROVINCE = "province"
CITY = "city"
COUNTY = "county"
LEVELS = (PROVINCE, CITY, COUNTY)

# Name the data gives to a county-level code that sums up the districts of
# a city rather than naming a district (统计汇总码).
_SUMMARY_NAME = "市辖区"

_CODE = re.compile(r"\d{6}")
_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.*)$")


class Correction(NamedTuple):
    """A code the upstream data shows in use although it was replaced."""

    code: str
    valid_to: int          # last year the code was in use
    successor: str         # the code that replaced it
    source: str


# The annual code lists of the Ministry of Civil Affairs (民政部《县级以上行政区划代码》,
# year-end editions 1983–2024) are the source of every line.
CORRECTIONS = (
    Correction("429001", 1999, "421300",
               "民政部 县级以上行政区划代码: 429001 随州市 (省直辖县级市) listed up to the 1999 year-end "
               "edition; from the 2000 edition 随州市 is the prefecture-level city 421300 "
               "(县级随州市撤销, 地级随州市设立, 2000)"),
    Correction("422900", 1983, "429021",
               "民政部 县级以上行政区划代码: no edition lists a prefecture-level 422900; 神农架林区 is "
               "422921 in the 1983 year-end edition and 429021 (省直辖县级行政单位) from the 1984 edition on"),
    Correction("422921", 1983, "429021",
               "民政部 县级以上行政区划代码: 422921 神农架林区 in the 1983 year-end edition only; "
               "429021 神农架林区 from the 1984 edition on"),
)


class NameSpan(NamedTuple):
    """One name a code carried, with the years (inclusive) it was in use."""

    name: str
    valid_from: int | None
    valid_to: int | None


@dataclass(frozen=True)
class Division:
    """An administrative division (行政区划) identified by a GB/T 2260 code.

    ``name`` is the latest name; ``valid_from`` is the first year the code
    was in use (None: since before the data starts, 1980) and ``valid_to``
    the last year (None: still in use).  Codes that were renamed keep one
    entry per name in ``history``, oldest first (e.g. 130502 桥东区 →
    襄都区 in 2020).
    """

    code: str
    name: str
    level: str
    valid_from: int | None
    valid_to: int | None
    history: tuple[NameSpan, ...] = ()
    successor: str | None = None

    @property
    def active(self) -> bool:
        """Whether the code is in use today (现行)."""
        return self.valid_to is None

    @property
    def is_summary(self) -> bool:
        """Whether this is a county-level summary code (统计汇总码 "市辖区").

        Such a code stands for all districts of its city, not for a county.
        """
        return self.level == COUNTY and self.name == _SUMMARY_NAME

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        spans = self.history or (NameSpan(self.name, self.valid_from, self.valid_to),)
        return any(
            (span.valid_from is None or span.valid_from <= year)
            and (span.valid_to is None or year <= span.valid_to)
            for span in spans
        )


def _parse_spans(text: str) -> tuple[NameSpan, ...]:
    """Parse ``[1983-2019]桥东区,[2020-]襄都区`` into name spans."""
    spans = []
    for part in text.split(","):
        match = _SPAN.match(part)
        if match:
            start, end, name = match.groups()
            spans.append(NameSpan(name, int(start) if start else None, int(end) if end else None))
        else:
            spans.append(NameSpan(part, None, None))
    return tuple(spans)


def _level(code: str) -> str:
    if code.endswith("0000"):
        return PROVINCE
    if code.endswith("00"):
        return CITY
    return COUNTY


def _division(code: str, text: str) -> Division:
    spans = _parse_spans(text)
    first, last = spans[0], spans[-1]
    return Division(
        code=code,
        name=last.name,
        level=_level(code),
        valid_from=first.valid_from,
        valid_to=last.valid_to,
        history=spans if len(spans) > 1 else (),
    )


@cache
def _upstream_table() -> dict[str, Division]:
    """Load ``stdnum/cn/loc.dat`` once into a code-ordered dict, as the data has it."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    table: dict[str, Division] = {}
    province = ""
    province_names: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            # "11 province="北京市"": a 2-digit province prefix line.
            province, _, rest = line.partition(" ")
            province_names[province] = rest.split('"')[1]
            continue
        # "  0105 county="朝阳区"": a 4-digit suffix under the current province.
        suffix, _, rest = line.strip().partition(" ")
        code = province + suffix
        table[code] = _division(code, rest.split('"')[1])
    # Every province has a "0000" line carrying its dates; keep a fallback
    # in case a future data file drops it.
    for province, name in province_names.items():
        table.setdefault(province + "0000", Division(province + "0000", name, PROVINCE, None, None))
    return dict(sorted(table.items()))


@cache
def _table() -> dict[str, Division]:
    """The division table: python-stdnum's data with :data:`CORRECTIONS` applied."""
    table = dict(_upstream_table())
    for correction in CORRECTIONS:
        if correction.code in table:
            table[correction.code] = corrected(table[correction.code], correction)
    return table


def upstream(code: str) -> Division | None:
    """The division as python-stdnum's data gives it, before :data:`CORRECTIONS`."""
    return _upstream_table().get(code)


def corrected(division: Division, correction: Correction) -> Division:
    """``division`` ending in ``correction.valid_to``, with its successor."""
    history = division.history
    if history:
        last = history[-1]
        history = history[:-1] + (NameSpan(last.name, last.valid_from, correction.valid_to),)
    return replace(division, valid_to=correction.valid_to, history=history, successor=correction.successor)


def _normalise(code: str) -> str:
    """Return the code as a 6-digit string or raise ValueError."""
    text = str(code).strip()
    if not _CODE.fullmatch(text):
        raise ValueError(f"region code {code!r} is not a 6-digit GB/T 2260 code")
    return text


def lookup(code: str) -> Division | None:
    """The division with this code, retired ones included; None if unknown."""
    try:
        return _table().get(_normalise(code))
    except ValueError:
        return None


def is_known(code: str) -> bool:
    """Whether the code was ever issued (现行 or 已撤销)."""
    return lookup(code) is not None


def is_active(code: str) -> bool:
    """Whether the code is issued and still in use."""
    division = lookup(code)
    return division is not None and division.active


def level_of(code: str) -> str:
    """'province', 'city' or 'county', from the shape of the code alone."""
    return _level(_normalise(code))


def province_of(code: str) -> str:
    """The province-level code (省级代码) above a code, e.g. '110000'."""
    return _normalise(code)[:2] + "0000"


def city_of(code: str) -> str | None:
    """The city-level code (地级代码) of a city or county code.

    For a county of a municipality (北京 110105) this is the 市辖区 slot
    ``110100``; for a county-level city under direct provincial rule
    (仙桃 429004) it is ``429000``.  None for a province, or when the data
    has no city-level entry above the county.
    """
    text = _normalise(code)
    if _level(text) == PROVINCE:
        return None
    city = text[:4] + "00"
    return city if city in _table() else None


def chain(code: str) -> list[Division]:
    """Province, city and county divisions from the top down.

    Only levels present in the data are included; an unknown code yields
    an empty list.
    """
    division = lookup(code)
    if division is None:
        return []
    table = _table()
    codes = [province_of(division.code), city_of(division.code), division.code]
    result: list[Division] = []
    for each in codes:
        if each is not None and each in table and table[each] not in result:
            result.append(table[each])
    return result


def prefix(code: str) -> str:
    """The significant prefix used to match a region and everything below it.

    '11' for a province, '1101' for a city, the full six digits for a county.
    """
    text = _normalise(code)
    return {PROVINCE: text[:2], CITY: text[:4], COUNTY: text}[_level(text)]


def coverage_prefix(code: str) -> str:
    """The prefix of everything an agency or provider at ``code`` covers: :func:`prefix`,
    and '' for ``000000``, the whole country."""
    return "" if str(code) == "000000" else prefix(code)


def active_divisions(level: str | None = None) -> Iterator[Division]:
    """Divisions in use today, in code order, optionally of one level.

    County-level summary codes (``is_summary``) are left out: they are not
    counties, so no agency is generated for them.  The city-level slots
    (110100 市辖区, 429000 省直辖县级行政单位) are included as cities.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown region level {level!r}, expected one of {', '.join(LEVELS)}")
    for division in _table().values():
        if division.active and not division.is_summary and (level is None or division.level == level):
            yield division


@cache
def _cities_with_counties() -> frozenset[str]:
    return frozenset(division.code[:4] for division in active_divisions(COUNTY))


def _is_undistricted_city(division: Division) -> bool:
    """Whether this is a city without counties (不设区的地级市, e.g. 东莞 441900).

    Such a city is itself the lowest division an address can name.
    """
    return division.level == CITY and division.active and division.code[:4] not in _cities_with_counties()


def county_level_divisions(prefix: str = "") -> Iterator[Division]:
    """County-level divisions (县级) in use today under ``prefix``, in code order: the counties,
    and the cities without counties (东莞 441900), which are their own lowest division."""
    for division in active_divisions():
        if division.code.startswith(prefix) and (
                division.level == COUNTY or _is_undistricted_city(division)):
            yield division


def is_county_level(code: str) -> bool:
    """Whether ``code`` names a county-level division in use today (see :func:`county_level_divisions`)."""
    division = _table().get(_normalise(code))
    return division is not None and division.active and not division.is_summary and (
        division.level == COUNTY or _is_undistricted_city(division))


def validate_county(code: str, allow_retired: bool = False) -> Division:
    """Check that a code names a county-level division (县级行政区) and return it.

    Raises ValueError with a message fit for an API error when the code is
    malformed, unknown, retired (unless ``allow_retired``), not at county
    level, or a summary code.  A city without counties (不设区的地级市:
    东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200) is accepted, since
    no county-level code exists below it.
    """
    text = _normalise(code)
    division = _table().get(text)
    if division is None:
        raise ValueError(f"unknown region code {text}")
    if division.level != COUNTY and not _is_undistricted_city(division):
        raise ValueError(f"{text} is a {division.level}, a county-level code is required")
    if division.is_summary:
        raise ValueError(
            f"region code {text} is a summary code for the districts of {text[:4]}00, "
            "a county-level code is required"
        )
    if not division.active and not allow_retired:
        successor = f"; it is now {division.successor}" if division.successor else ""
        raise ValueError(f"region code {text} was retired in {division.valid_to}{successor}")
    return division
