"""Criteria (条件): which enterprises a policy or a search means, evaluated for one profile.

A criteria object (:class:`schemas.Criteria`) ANDs its fields and ORs the
values of each list. This module judges one profile against it, criterion by
criterion (the "explain" answer); :func:`services.enterprises.store.predicate`
is the same judgement written as SQL for counting and listing, and the two
must agree on every enterprise.

What each criterion reads:

* ``region_prefixes``: the region code starts with one prefix;
* ``industry_codes``: the industry code starts with one code (``C`` covers ``C39``);
* ``size_classes``: the stored size class is one of them;
* ``tiers``: the enterprise holds one of them today (unexpired);
* ``employees_min/max``, ``revenue_min/max``: the latest year's figures, bounds inclusive;
* ``rd_ratio_min``: R&D spend ≥ ratio × revenue (an enterprise with no R&D spend on
  file fails; with a ratio above 0 it must have spent something); with no revenue
  the ratio is undefined and meets no minimum, 0 included;
* ``registered_years_min``: founded at least that many full years ago (unknown founding
  date fails); a year is full on the anniversary, and a founding date of 29 February
  reaches it on 28 February in a common year (民法典 第二百零二条, :func:`domain.full_years`);
* ``tags``: carries one of the tags.
"""
from decimal import Decimal

from services.enterprises import domain
from services.enterprises.schemas import CRITERIA_ORDER

ORDER = CRITERIA_ORDER


def ratio(value):
    """A ratio as an exact decimal, so SQL and Python compare the same number."""
    return Decimal(str(value))


def rd_ratio_meets(spent, revenue, minimum):
    """Whether R&D spend over revenue (研发投入强度) reaches ``minimum``.

    The ratio is undefined without R&D spend on file or without revenue (0 or
    unknown), and an undefined ratio meets no minimum, not even 0.  Above 0 the
    enterprise must have spent something, which ``spent ≥ minimum × revenue``
    with a revenue above 0 already says.  Compared in exact decimals, as the SQL
    filter (:func:`store.predicate`) compares it.
    """
    if spent is None or not revenue:
        return False
    return spent >= ratio(minimum) * revenue


def _verdict(name, passed, required, actual):
    return {"criterion": name, "passed": bool(passed), "required": domain.jsonable(required),
            "actual": domain.jsonable(actual)}


def evaluate(criteria, profile, on):
    """One verdict per criterion present, in :data:`ORDER`: ``{criterion, passed, required, actual}``."""
    verdicts = []
    for name in ORDER:
        if name not in criteria:
            continue
        required = criteria[name]
        if name == "region_prefixes":
            actual = profile["region_code"]
            passed = any(actual.startswith(prefix) for prefix in required)
        elif name == "industry_codes":
            actual = profile["industry_code"]
            passed = any(actual.startswith(code) for code in required)
        elif name == "size_classes":
            actual = profile["size_class"]
            passed = actual in required
        elif name == "tiers":
            actual = domain.active_tiers(profile["tiers"], on)
            passed = bool(set(actual) & set(required))
        elif name in ("employees_min", "revenue_min"):
            actual = profile[name[:-4]]
            passed = actual is not None and actual >= required
        elif name in ("employees_max", "revenue_max"):
            actual = profile[name[:-4]]
            passed = actual is not None and actual <= required
        elif name == "rd_ratio_min":
            actual = domain.rd_ratio(profile)
            passed = rd_ratio_meets(profile.get("rd_expense"), profile.get("revenue"), required)
        elif name == "registered_years_min":
            founded = profile.get("registered_on")
            actual = None if founded is None else domain.full_years(founded, on)
            passed = founded is not None and founded <= domain.latest_founding_for(on, required)
        elif name == "tags":
            actual = profile["tags"]
            passed = bool(set(actual) & set(required))
        verdicts.append(_verdict(name, passed, required, actual))
    return verdicts


def explain(criteria, profile, on):
    """Whether the profile meets the criteria, with each criterion's verdict."""
    verdicts = evaluate(criteria, profile, on)
    return {"matches": all(v["passed"] for v in verdicts), "criteria": verdicts}


def meets(criteria, profile, on):
    return all(v["passed"] for v in evaluate(criteria, profile, on))


def met(criteria_by_id, profile, on):
    """The ids of the criteria (``{id: criteria}``) the profile meets."""
    return [key for key, criteria in criteria_by_id.items() if meets(criteria, profile, on)]


SEARCH_FILTERS = {"region_prefix": "region_prefixes", "industry_code": "industry_codes",
                  "size_class": "size_classes", "tier": "tiers", "tag": "tags"}


def from_search(filters):
    """The criteria a search's filters mean (each filter a one-value list)."""
    return {SEARCH_FILTERS[name]: [value] for name, value in filters.items() if name in SEARCH_FILTERS}
