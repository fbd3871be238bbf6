"""考核评价: the provinces' and the nation's scoring models, and reproducible runs of them.

A *model* belongs to a scope and a year: a province's (``330000``) scores its
county-level divisions, the national one (``000000``, the national admin's)
scores the provinces. It chooses indicators from the fixed catalogue
(``schemas.SCORING_INDICATORS``), each with a weight (the weights sum to 100 %)
and a target value. Every change of a model is a new version; the old versions
stay as they were.

A *run* applies one model version to the facts as they stood at a cut-off
(default: the moment of the run): coverage, capacity and training from this
service's own dated records, timeliness and satisfaction from the requests
service's assessment figures recorded by the cut-off, activities held and
attended from the activities service's, policy notices written and read from
the notifications service's (each its ``region_figures``). Per region and
indicator:

    attainment = min(100, 100 × value / target)
    score      = Σ weight × attainment / Σ weight   (over the indicators with a value)

An indicator without a value (no SMEs to divide by, no requests raised) is left
out and the other weights count in its place, as the provider evaluation does
for missing satisfaction; a region with no value at all has no score and no
rank. Ranks: the highest score first, equal scores share a rank (1, 2, 2, 4).

Runs and their results are never changed (the database refuses it). A changed
model makes a new run; re-computing an old run from its cut-off and its model
version gives its numbers again, which :func:`recompute` shows.
"""
from chassis.errors import NotFound, ValidationFailed
from reference import regions
from services.agencies import coverage, scoring_store
from services.agencies.schemas import NATIONWIDE, SCORING_INDICATORS, UNIT_LEVEL, ScoringRunCompleted

# What each indicator's value is, from a region's coverage figures and its assessment figures.
VALUE_OF = {
    "county_coverage": ("coverage", "county_coverage_pct"),
    "park_coverage": ("coverage", "park_coverage_pct"),
    "staff_per_1000_smes": ("coverage", "staff_per_1000_smes"),
    "funding_per_sme": ("coverage", "funding_per_sme_yuan"),
    "accepted_on_time": ("requests", "accepted_on_time_pct"),
    "resolved_on_time": ("requests", "resolved_on_time_pct"),
    "satisfaction": ("requests", "average_satisfaction"),
    "training_hours_per_staff": ("coverage", "training_hours_per_staff"),
    "activities_held": ("activities", "activities_held"),
    "activity_participation": ("activities", "activity_participation_per_100_smes"),
    "policy_reach": ("policies", "policy_reach_per_100_smes"),
    "policy_read": ("policies", "policy_notices_read_pct"),
}
assert set(VALUE_OF) == set(SCORING_INDICATORS)
# The assessment figures a run keeps among its facts.
REQUEST_FACTS = ("received", "accepted", "accepted_on_time", "accepted_on_time_pct", "resolved",
                 "resolved_on_time", "resolved_on_time_pct", "ratings", "average_satisfaction")
COVERAGE_FACTS = ("counties", "counties_with_agency", "county_coverage_pct", "parks", "parks_with_station",
                  "park_coverage_pct", "smes", "full_time_staff", "part_time_staff", "staff",
                  "staff_per_1000_smes", "funding_wan_yuan", "funding_per_sme_yuan", "training_hours",
                  "training_hours_per_staff")


# -- rules -----------------------------------------------------------------------------

def scope_level(scope):
    return "national" if scope == NATIONWIDE else "province"


def unit_level(scope):
    """The level of the regions a model of ``scope`` scores."""
    return UNIT_LEVEL[scope_level(scope)]


def stored_indicators(chosen):
    """A model's indicators as stored: catalogue order, weights and targets as numbers."""
    order = list(SCORING_INDICATORS)
    return [{"indicator": item["indicator"], "weight": float(item["weight"]), "target": float(item["target"])}
            for item in sorted(chosen, key=lambda item: order.index(item["indicator"]))]


def unit_facts(coverage_figures, request_figures, activity_figures, policy_figures):
    """The facts a run keeps for one region."""
    held, attended = activity_figures
    reached, notices, read = policy_figures
    smes = coverage_figures.get("smes")
    return {**{key: coverage_figures.get(key) for key in COVERAGE_FACTS},
            **{f"requests_{key}": (request_figures or {}).get(key) for key in REQUEST_FACTS},
            "activities_held": held, "activity_attendances": attended,
            "activity_participation_per_100_smes": round(100.0 * attended / smes, 2) if smes else None,
            "policy_enterprises_reached": reached, "policy_notices": notices, "policy_notices_read": read,
            "policy_reach_per_100_smes": round(100.0 * reached / smes, 2) if smes else None,
            "policy_notices_read_pct": round(100.0 * read / notices, 2) if notices else None}


def totals_by_unit(rows, level, keys):
    """``{unit: (total of each of keys)}`` from another service's rows per region code."""
    found = {}
    for row in rows:
        unit = coverage.unit_of(row["region_code"], level)
        if unit is not None:
            found[unit] = tuple(total + row[key] for total, key in zip(found.get(unit, (0,) * len(keys)), keys))
    return found


def value_of(indicator, facts):
    source, key = VALUE_OF[indicator]
    return facts[f"requests_{key}"] if source == "requests" else facts[key]


def attainment(value, target):
    return None if value is None else round(min(100.0, 100.0 * float(value) / float(target)), 2)


def score_region(indicators, facts):
    """``(score, [indicator scores])`` of one region under a model's ``indicators``."""
    scores = []
    for item in indicators:
        value = value_of(item["indicator"], facts)
        scores.append({**item, "value": value, "attainment": attainment(value, item["target"])})
    counted = [each for each in scores if each["attainment"] is not None]
    weight = sum(each["weight"] for each in counted)
    if not counted or not weight:
        return None, scores
    return round(sum(each["weight"] * each["attainment"] for each in counted) / weight, 2), scores


def ranked(results):
    """``results`` ordered by score (highest first, then region code), each with its rank;
    equal scores share a rank, regions without a score come last without one."""
    scored = sorted((each for each in results if each["score"] is not None),
                    key=lambda each: (-each["score"], each["region_code"]))
    for position, each in enumerate(scored, start=1):
        each["rank"] = scored[position - 2]["rank"] if position > 1 and \
            scored[position - 2]["score"] == each["score"] else position
    rest = sorted((each for each in results if each["score"] is None), key=lambda each: each["region_code"])
    for each in rest:
        each["rank"] = None
    return scored + rest


def compute(indicators, facts_by_region):
    """The ranked results of a model over ``{region_code: facts}``."""
    results = []
    for region_code, facts in facts_by_region.items():
        score, scores = score_region(indicators, facts)
        division = regions.lookup(region_code)
        results.append({"region_code": region_code, "region_name": division.name if division else None,
                        "score": score, "indicators": scores, "facts": facts})
    return ranked(results)


def differences(stored, recomputed):
    """What differs between two runs' results, one line per region and field."""
    found = []
    before = {each["region_code"]: each for each in stored}
    after = {each["region_code"]: each for each in recomputed}
    for region_code in sorted(set(before) | set(after)):
        old, new = before.get(region_code), after.get(region_code)
        if old is None or new is None:
            found.append(f"{region_code}: {'only now' if old is None else 'only then'}")
            continue
        for key in ("rank", "score", "indicators", "facts"):
            if _comparable(old[key]) != _comparable(_kept(new, key, old)):
                found.append(f"{region_code}: {key} {old[key]} then, {new[key]} now")
    return found


def _kept(new, key, old):
    """``new[key]``, its facts only those ``old`` kept: a run made before a fact joined the catalogue
    does not differ for lack of it."""
    if key != "facts" or old["facts"] is None or new["facts"] is None:
        return new[key]
    return {name: value for name, value in new["facts"].items() if name in old["facts"]}


def _comparable(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def check_cutoff(cutoff, now):
    if cutoff > now:
        message = "the facts' cut-off may not lie in the future: facts after now are not settled"
        raise ValidationFailed(message, {"facts_cutoff": [message]})


# -- use cases -------------------------------------------------------------------------

def model_view(row):
    return {**row, "level": unit_level(row["scope"])}


def define_model(tx, data, actor, now):
    """A new version of the scope's model for the year, unless it equals the latest one
    (then the latest is the answer)."""
    indicators = stored_indicators(data["indicators"])
    latest = scoring_store.latest_model(tx, data["scope"], data["year"], lock=True)
    if latest is not None and latest["indicators"] == indicators:
        return model_view(latest)
    row = scoring_store.insert_model(tx, {
        "scope": data["scope"], "year": data["year"], "version": (latest["version"] if latest else 0) + 1,
        "indicators": indicators, "created_by": actor, "created_at": now})
    return model_view(row)


def model(tx, model_id):
    row = scoring_store.get_model(tx, model_id)
    if row is None:
        raise NotFound(f"no scoring model with id {model_id}", {"model_id": model_id})
    return model_view(row)


def models(tx, scope, year):
    """Every version of the scope's model for the year, newest first."""
    return [model_view(row) for row in scoring_store.models(tx, scope, year)]


def runs(tx, scope, year, limit, offset):
    """``(rows, total)``: a page of the scope's runs, newest first."""
    return scoring_store.runs(tx, scope, year, limit, offset)


def gather(tx, elsewhere, scope, year, cutoff):
    """``{region_code: facts}`` for every region a model of ``scope`` scores, as of ``cutoff``;
    ``elsewhere`` holds the requests service's assessment rows (``requests``), the activities
    service's rows (``activities``) and the notifications service's (``notifications``) under the
    scope, read as of the same cut-off."""
    level = unit_level(scope)
    local = coverage.facts_as_of(tx, scope, year, cutoff)
    by_region = {row["region"]: row for row in elsewhere["requests"]}
    activities = totals_by_unit(elsewhere["activities"], level, ("held", "attended"))
    policies = totals_by_unit(elsewhere["notifications"], level, ("reached", "notices", "read"))
    return {figures["region"]: unit_facts(figures, by_region.get(figures["region"]),
                                          activities.get(figures["region"], (0, 0)),
                                          policies.get(figures["region"], (0, 0, 0)))
            for figures in coverage.figures_of_units(local, scope, level)}


def start_run(db, read_elsewhere, outbox, model_id, cutoff, actor, now):
    """Run model ``model_id`` over the facts as they stood at ``cutoff`` (default ``now``) and
    store the run; emits ``scoring.run_completed``.

    ``read_elsewhere(prefix, period, cutoff_iso)`` answers the requests, activities and
    notifications services' ``region_figures`` (``{"requests": rows, "activities": rows,
    "notifications": rows}``): called between two local transactions, never inside one.
    """
    cutoff = cutoff or now
    check_cutoff(cutoff, now)
    with db.transaction() as tx:
        chosen = model(tx, model_id)
    figures = read_elsewhere(scope_prefix(chosen["scope"]), str(chosen["year"]), cutoff.isoformat())
    with db.transaction() as tx:
        facts = gather(tx, figures, chosen["scope"], chosen["year"], cutoff)
        results = compute(chosen["indicators"], facts)
        run = scoring_store.insert_run(tx, {
            "model_id": chosen["id"], "scope": chosen["scope"], "year": chosen["year"],
            "level": chosen["level"], "facts_cutoff": cutoff, "created_by": actor, "created_at": now}, results)
        shown = run_view(run, chosen, results)
        outbox.add(tx, "scoring.run_completed", ScoringRunCompleted().dump({
            **shown, "run_id": run["id"], "facts_cutoff": cutoff.isoformat()}), aggregate_id=run["id"])
    return shown


def scope_prefix(scope):
    return "" if scope == NATIONWIDE else scope[:2]


def run_view(run, chosen, results):
    return {**run, "model_version": chosen["version"], "results": results}


def run(tx, run_id):
    """A stored run with its results, best first."""
    row = scoring_store.get_run(tx, run_id)
    if row is None:
        raise NotFound(f"no scoring run with id {run_id}", {"run_id": run_id})
    return run_view(row, scoring_store.get_model(tx, row["model_id"]), scoring_store.results(tx, run_id))


def recompute(db, read_elsewhere, run_id):
    """The run computed again from the facts as they stood at its cut-off with its model version,
    beside what was stored; nothing is written."""
    with db.transaction() as tx:
        stored = run(tx, run_id)
        chosen = model(tx, stored["model_id"])
    cutoff = stored["facts_cutoff"]
    figures = read_elsewhere(scope_prefix(stored["scope"]), str(stored["year"]), cutoff.isoformat())
    with db.transaction() as tx:
        results = compute(chosen["indicators"], gather(tx, figures, stored["scope"], stored["year"], cutoff))
    found = differences(stored["results"], results)
    return {"run_id": run_id, "identical": not found, "differences": found, "results": results}
