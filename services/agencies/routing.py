"""Routing (分派): which agency answers for a region, park and service area.

The deepest agency covering the place that offers the area answers; deeper
candidates that are inactive or do not offer the area are skipped, and the
search falls back up the hierarchy to the national agency. Ties at one depth
(several stations in a park) go to the lowest id, so the answer is the same
every time.
"""
from services.agencies.schemas import SERVICE_AREAS


def ordered(candidates):
    """Candidates deepest first, then by id."""
    return sorted(candidates, key=lambda agency: (-agency["depth"], agency["id"]))


def choose(candidates, service_area, region_code, park=None):
    """``(agency or None, explanation)`` for the candidates covering the place."""
    area = f"{service_area} ({SERVICE_AREAS.get(service_area, service_area)})"
    place = f"region {region_code}" + (f", park {park}" if park else "")
    explanation = []
    for agency in ordered(candidates):
        if not agency["active"]:
            reason = "inactive"
        elif service_area not in agency["service_areas"]:
            reason = f"does not offer {area}"
        else:
            explanation.append(_step(agency, False, f"deepest agency covering {place} that offers {area}"))
            return agency, explanation
        explanation.append(_step(agency, True, reason))
    return None, explanation


def _step(agency, skipped, reason):
    return {"agency_id": agency["id"], "name": agency["name"], "level": agency["level"],
            "skipped": skipped, "reason": reason}
