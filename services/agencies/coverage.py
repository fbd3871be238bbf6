"""覆盖情况: what a region has, computed from stored facts as they stood at a moment.

Per region and year:

* ``counties`` — county-level divisions in use today (GB/T 2260; cities without
  counties such as 东莞 count as one), and ``counties_with_agency`` — those
  with an active county-level agency (the agency of a city without counties
  serves as its own);
* ``parks`` — parks and clusters named by enterprises on record or by service
  stations, per county, and ``parks_with_station`` — those with an active
  station naming them in that county;
* ``smes`` — medium, small and micro enterprises on record (the SME register,
  fed by the enterprises service's events);
* ``staff`` and ``funding`` — the year's capacity records of the region's
  agencies (every level: a province's own agency counts for the province),
  with ``staff_per_1000_smes`` and ``funding_per_sme_yuan``;
* ``training_hours`` — training its agencies' staff took in the year, and
  ``training_hours_per_staff``.

A region's facts are the sum of those of every agency, enterprise and division
whose code lies in it. Ratios without a denominator are null.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from reference import regions
from services.agencies import capacity_store, domain
from services.agencies.schemas import NATIONWIDE

UNIT_LEVELS = ("national", "province", "city", "county")
CHILD_LEVEL = {"national": "province", "province": "city", "city": "county"}


def unit_of(code, level):
    """The region of ``level`` that ``code`` counts towards (None: it counts towards none)."""
    code = str(code)
    if level == "national":
        return NATIONWIDE
    if code == NATIONWIDE:
        return None
    if level == "province":
        return code[:2] + "0000"
    if level == "city":
        return None if code[2:4] == "00" else code[:4] + "00"
    return code if regions.is_county_level(code) else None


def level_of_region(code):
    return "national" if code == NATIONWIDE else regions.level_of(code)


def units_under(region, level):
    """The regions of ``level`` inside ``region`` (itself when it is of that level)."""
    prefix = domain.coverage_prefix(region)
    if level == "national":
        return [NATIONWIDE]
    if level == "county":
        codes = [division.code for division in regions.county_level_divisions(prefix)]
    else:
        codes = [division.code for division in regions.active_divisions(level) if division.code.startswith(prefix)]
    return [code for code in codes if code[:2] not in domain.OUTSIDE_NETWORK]


def _percent(part, whole):
    return None if not whole else round(100.0 * part / whole, 2)


def _per(amount, count, scale=1):
    return None if not count else round(float(amount) * scale / count, 2)


@dataclass
class Tally:
    """The facts of one region, summed."""

    counties: int = 0
    counties_with_agency: int = 0
    parks: int = 0
    parks_with_station: int = 0
    smes: int = 0
    full_time_staff: int = 0
    part_time_staff: int = 0
    funding: Decimal = Decimal(0)
    training_hours: Decimal = Decimal(0)
    counties_without_agency: list = field(default_factory=list)
    parks_without_station: list = field(default_factory=list)

    def figures(self, region):
        staff = self.full_time_staff + self.part_time_staff
        division = regions.lookup(region) if region != NATIONWIDE else None
        return {
            "region": region,
            "name": division.name if division else "全国",
            "level": level_of_region(region),
            "counties": self.counties,
            "counties_with_agency": self.counties_with_agency,
            "county_coverage_pct": _percent(self.counties_with_agency, self.counties),
            "parks": self.parks,
            "parks_with_station": self.parks_with_station,
            "park_coverage_pct": _percent(self.parks_with_station, self.parks),
            "smes": self.smes,
            "full_time_staff": self.full_time_staff,
            "part_time_staff": self.part_time_staff,
            "staff": staff,
            "staff_per_1000_smes": _per(staff, self.smes, 1000),
            "funding_wan_yuan": float(self.funding),
            "funding_per_sme_yuan": _per(self.funding, self.smes, 10_000),
            "training_hours": float(self.training_hours),
            "training_hours_per_staff": _per(self.training_hours, staff),
        }


@dataclass(frozen=True)
class Facts:
    """The stored facts of a region as of a moment (rows of :mod:`capacity_store`)."""

    agencies: list
    enterprises: list
    capacities: list
    trainings: list


def tally(units, level, facts):
    """``{unit: Tally}`` for each region in ``units`` (all of ``level``) from ``facts``."""
    tallies = {unit: Tally() for unit in units}

    def unit(code):
        return tallies.get(unit_of(code, level))

    served = {row["region_code"] for row in facts.agencies if row["active"] and (
        row["level"] == "county" or (row["level"] == "city" and regions.is_county_level(row["region_code"])))}
    for code in {code for each in units for code in _county_codes(each)}:
        target = unit(code)
        if target is not None:
            target.counties += 1
            if code in served:
                target.counties_with_agency += 1
            else:
                target.counties_without_agency.append(code)
    stations = {}
    for row in facts.agencies:
        if row["level"] == "station":
            key = (row["region_code"], row["park"])
            stations[key] = stations.get(key, False) or row["active"]
    parks = {(row["region_code"], row["park"]) for row in facts.enterprises if row["park"]} | set(stations)
    for region_code, park in sorted(parks):
        target = unit(region_code)
        if target is not None:
            target.parks += 1
            if stations.get((region_code, park)):
                target.parks_with_station += 1
            else:
                target.parks_without_station.append({"region_code": region_code, "park": park})
    for row in facts.enterprises:
        target = unit(row["region_code"])
        if target is not None:
            target.smes += row["smes"]
    for row in facts.capacities:
        target = unit(row["region_code"])
        if target is not None:
            target.full_time_staff += row["full_time_staff"]
            target.part_time_staff += row["part_time_staff"]
            target.funding += Decimal(row["funding"])
    for row in facts.trainings:
        target = unit(row["region_code"])
        if target is not None:
            target.training_hours += Decimal(row["hours"])
    for each in tallies.values():
        each.counties_without_agency.sort()
    return tallies


def _county_codes(region):
    prefix = domain.coverage_prefix(region)
    return [division.code for division in regions.county_level_divisions(prefix)
            if division.code[:2] not in domain.OUTSIDE_NETWORK]


# -- use cases --------------------------------------------------------------------------

def facts_as_of(tx, region, year, cutoff):
    """The stored facts of ``region`` for ``year`` as they stood at ``cutoff``."""
    prefix = domain.coverage_prefix(region)
    return Facts(agencies=capacity_store.agencies_as_of(tx, prefix, cutoff),
                 enterprises=capacity_store.enterprises_as_of(tx, prefix, cutoff),
                 capacities=capacity_store.capacities_as_of(tx, prefix, year, cutoff),
                 trainings=capacity_store.training_hours_as_of(tx, prefix, year, cutoff))


def figures_of_units(facts, region, level):
    """The figures of every region of ``level`` inside ``region``, in code order."""
    units = units_under(region, level)
    tallies = tally(units, level, facts)
    return [tallies[unit].figures(unit) for unit in units]


def coverage(tx, region, year, as_of):
    """The coverage of ``region`` for ``year`` as of ``as_of``, with its child regions."""
    facts = facts_as_of(tx, region, year, as_of)
    level = level_of_region(region)
    own = tally([region], level, facts)[region]
    children = figures_of_units(facts, region, CHILD_LEVEL[level]) if level in CHILD_LEVEL else []
    return {**own.figures(region), "year": year, "as_of": as_of,
            "counties_without_agency": own.counties_without_agency,
            "parks_without_station": own.parks_without_station, "children": children}
