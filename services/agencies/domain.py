"""Rules of the agency network (服务机构网络), free of I/O.

Every agency covers a region: the national agency the whole country, a
province, city or county agency its division and everything below it, a
service station (服务站点) one park or cluster inside its county. Coverage is
stored as a code prefix (``''``, 2, 4 or 6 digits), so "who covers region R"
is an equality lookup on at most four prefixes.
"""
from chassis import provinces
from chassis.errors import Conflict, ValidationFailed
from reference import regions
from services.agencies.contract import routing
from services.agencies.schemas import AREAS, LEVELS, NATIONWIDE, AgencyAnnounced

# One instance of each event schema: making one costs about ten dumps.
_AGENCY_ANNOUNCED = AgencyAnnounced()

LEVEL_DEPTH = {level: routing.depth_of(level) for level in LEVELS}

# The areas an agency offers unless it says otherwise. International
# co-operation (国际交流合作) is organised from city level up, so a county's
# request in that area goes to its city.
DEFAULT_AREAS = {
    "national": AREAS,
    "province": AREAS,
    "city": AREAS,
    "county": tuple(area for area in AREAS if area != "international"),
    "station": ("policy", "finance_talent", "training"),
}

# City-level codes that group counties but are no city of their own
# (北京 110100 市辖区, 湖北 429000 省直辖县级行政单位 ...): no city agency
# exists for them; their counties hang under the province agency.
CITY_SLOT_NAMES = frozenset({"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位"})

# Provinces outside the mainland SME network (台湾, 香港, 澳门): the same set the provinces'
# users and queues are generated without.
OUTSIDE_NETWORK = provinces.OUTSIDE_NETWORK


def is_city_slot(division):
    return division.level == regions.CITY and division.name in CITY_SLOT_NAMES


coverage_prefix = routing.coverage_prefix
covering_prefixes = routing.covering_prefixes


def covers(prefix, region_code):
    """Whether coverage ``prefix`` includes ``region_code`` (nationwide only for '')."""
    if region_code == NATIONWIDE:
        return prefix == ""
    return str(region_code).startswith(prefix)


def region_problem(level, region_code):
    """Why ``region_code`` cannot carry an agency of ``level`` (None when it can)."""
    if level == "national":
        return None if region_code == NATIONWIDE else "the national agency's region is 000000"
    division = regions.lookup(region_code)
    if division is None or not division.active:
        return f"{region_code} is not a division code in use"
    if region_code[:2] in OUTSIDE_NETWORK:
        return f"{division.name} ({region_code}) is outside the mainland SME network"
    if level == "station":
        try:
            regions.validate_county(region_code)
        except ValueError as exc:
            return f"a station sits in a county: {exc}"
        return None
    if division.level != level:
        return f"{region_code} ({division.name}) is a {division.level} code, a {level} agency needs a {level} code"
    if is_city_slot(division):
        return f"{region_code} ({division.name}) groups counties and is no city of its own"
    if division.is_summary:
        return f"{region_code} is a summary code, not a county"
    return None


def parent_problem(level, region_code, parent):
    """Why ``parent`` cannot be the parent of a ``level`` agency at ``region_code``."""
    if LEVEL_DEPTH[parent["level"]] >= LEVEL_DEPTH[level]:
        return (f"a {level} agency cannot sit under {parent['level']} agency "
                f"{parent['id']} ({parent['name']})")
    if not covers(parent["region_prefix"], region_code):
        return (f"parent agency {parent['id']} ({parent['name']}, region {parent['region_code']}) "
                f"does not cover region {region_code}")
    if parent["level"] == "station":
        return "a station cannot have agencies under it"
    return None


def new_agency(data, parent):
    """The stored row for a validated :class:`AgencyCreation`; raises on a broken rule."""
    level, region_code = data["level"], data["region_code"]
    problem = region_problem(level, region_code)
    if problem:
        raise ValidationFailed(problem, {"region_code": [problem]})
    problem = parent_problem(level, region_code, parent)
    if problem:
        raise ValidationFailed(problem, {"parent_id": [problem]})
    park = data.get("park")
    if (level == "station") != bool(park):
        message = "a station names its park" if level == "station" else "only a station has a park"
        raise ValidationFailed(message, {"park": [message]})
    return {
        "name": data["name"].strip(),
        "level": level,
        "region_code": region_code,
        "region_prefix": coverage_prefix(region_code),
        "depth": LEVEL_DEPTH[level],
        "parent_id": parent["id"],
        "park": park,
        "service_areas": sorted(set(data.get("service_areas") or DEFAULT_AREAS[level]), key=AREAS.index),
        "active": data.get("active", True),
    }


def changed_agency(agency, changes, new_parent=None, parent_chain=()):
    """The agency after ``changes`` (an :class:`AgencyChanges`), checked against the rules.

    ``parent_chain`` lists the ids from ``new_parent`` up to the national
    agency; when it contains the agency itself the move would make a cycle.
    """
    updated = dict(agency)
    if "parent_id" in changes and changes["parent_id"] != agency["parent_id"]:
        if agency["level"] == "national":
            raise ValidationFailed("the national agency has no parent", {"parent_id": ["must stay empty"]})
        if agency["id"] in parent_chain:
            loop = parent_chain[:list(parent_chain).index(agency["id"]) + 1]
            path = " → ".join(str(each) for each in [agency["id"], *loop])
            message = f"moving agency {agency['id']} under {new_parent['id']} makes a cycle: {path}"
            raise Conflict(message, {"parent_id": [message]})
        problem = parent_problem(agency["level"], agency["region_code"], new_parent)
        if problem:
            raise ValidationFailed(problem, {"parent_id": [problem]})
        updated["parent_id"] = new_parent["id"]
    if "park" in changes:
        if agency["level"] != "station":
            raise ValidationFailed("only a station has a park", {"park": ["only a station has a park"]})
        updated["park"] = changes["park"]
    if "name" in changes:
        updated["name"] = changes["name"].strip()
    if "service_areas" in changes:
        updated["service_areas"] = sorted(set(changes["service_areas"]), key=AREAS.index)
    if "active" in changes:
        if agency["level"] == "national" and not changes["active"]:
            raise Conflict("the national agency is the last resort and stays active",
                           {"active": ["the national agency stays active"]})
        updated["active"] = changes["active"]
    return updated


def view(row):
    """An agency as callers see it: its row plus the region's name."""
    agency = dict(row)
    if agency["region_code"] == NATIONWIDE:
        agency["region_name"] = "全国"
    else:
        division = regions.lookup(agency["region_code"])
        agency["region_name"] = division.name if division else None
    return agency


def event_payload(agency, changed=None):
    """Payload of ``agency.created``, or of ``agency.updated`` with the ``changed`` field names."""
    payload = {key: agency[key] for key in
               ("id", "name", "level", "region_code", "parent_id", "park", "service_areas", "active")}
    if changed is not None:
        payload["changed"] = sorted(changed)
    return _AGENCY_ANNOUNCED.dump(payload)
