"""Rules of the agency hierarchy, free of I/O."""

LEVEL_DEPTH = {"national": 0, "province": 1, "city": 2, "county": 3, "station": 4}


def escalation_target(agency):
    """The agency a stalled matter goes up to: the parent (``None`` at national level)."""
    return agency.get("parent_id")
