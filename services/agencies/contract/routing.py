"""Routing (分派): the rule the agencies service and the requests service apply alike.

The agencies service owns the hierarchy and this rule; the requests service applies it to its own
copy of the hierarchy, so both give the same answer with the same explanation. The candidates for
a place are the agencies whose coverage prefix is one of :func:`covering_prefixes` of its region,
stations only in the park named. The deepest candidate that offers the area answers; deeper ones
that are inactive or do not offer it are skipped, and the search falls back up the hierarchy to
the national agency. Ties at one depth (several stations in a park) go to the lowest id.
"""
from reference import regions
from reference.validators import NATIONWIDE
from services.agencies.schemas import LEVELS, SERVICE_AREAS


def depth_of(level):
    """How deep an agency of ``level`` sits: 0 national … 4 station."""
    return LEVELS.index(level)


def coverage_prefix(region_code):
    """The code prefix an agency at ``region_code`` covers ('' for the whole country)."""
    return regions.coverage_prefix(region_code)


def covering_prefixes(region_code):
    """The coverage prefixes of every agency that may serve ``region_code``, widest first."""
    if region_code == NATIONWIDE:
        return [""]
    code = str(region_code)
    level = regions.level_of(code)
    prefixes = ["", code[:2]]
    if level in (regions.CITY, regions.COUNTY):
        prefixes.append(code[:4])
    if level == regions.COUNTY:
        prefixes.append(code)
    return prefixes


def route_among(candidates, service_area, region_code, park=None):
    """``(agency or None, explanation)``: which of the candidates covering the place answers, and why
    each deeper one does not (``[{"agency_id", "name", "level", "skipped", "reason"}]``)."""
    area = f"{service_area} ({SERVICE_AREAS.get(service_area, service_area)})"
    place = f"region {region_code}" + (f", park {park}" if park else "")
    explanation = []
    for agency in sorted(candidates, key=lambda agency: (-agency["depth"], agency["id"])):
        if not agency["active"]:
            reason = "inactive"
        elif service_area not in agency["service_areas"]:
            reason = f"does not offer {area}"
        else:
            explanation.append(_routing_step(agency, False, f"deepest agency covering {place} that offers {area}"))
            return agency, explanation
        explanation.append(_routing_step(agency, True, reason))
    return None, explanation


def _routing_step(agency, skipped, reason):
    return {"agency_id": agency["id"], "name": agency["name"], "level": agency["level"],
            "skipped": skipped, "reason": reason}
