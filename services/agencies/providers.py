"""The quality service-provider library (优质服务机构库): admission, evaluation, exit.

A market provider applies per service area; the admission criteria are
checked (a valid qualification document, years of operation, a service
record) before an admin admits or rejects it. Each quarter an evaluator
scores capability, management and service quality; satisfaction comes from
the ratings enterprises gave the provider's work in that quarter. Dynamic
management (有进有出): two consecutive quarters below the threshold and the
provider exits that area automatically; it may apply again later.
"""
from datetime import date

from chassis.errors import Conflict, ValidationFailed
from services.agencies.schemas import SERVICE_AREAS, ProviderAdmitted, ProviderEvaluated, ProviderExited

# One instance of each event schema: making one costs about ten dumps.
_PROVIDER_ADMITTED = ProviderAdmitted()
_PROVIDER_EXITED = ProviderExited()
_PROVIDER_EVALUATED = ProviderEvaluated()

MIN_YEARS_OF_OPERATION = 2
MIN_SERVED_ENTERPRISES = 10
WEIGHTS = {"capability": 0.25, "management": 0.20, "service_quality": 0.30, "satisfaction": 0.25}
THRESHOLD = 60.0

# decision: (membership states it applies to, resulting state)
DECISIONS = {
    "apply": ((None, "rejected", "exited"), "applied"),
    "admit": (("applied",), "admitted"),
    "reject": (("applied",), "rejected"),
    "exit": (("admitted",), "exited"),
}


def years_between(start, end):
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def admission_problems(provider, today):
    """The admission criteria the provider fails, by field (empty when it qualifies)."""
    problems = {}
    valid = [document for document in provider["qualifications"]
             if document.get("valid_until") is None or _as_date(document["valid_until"]) >= today]
    if not valid:
        problems["qualifications"] = ["at least one qualification document still valid is required"]
    years = years_between(provider["established_on"], today)
    if years < MIN_YEARS_OF_OPERATION:
        problems["established_on"] = [
            f"{years} years of operation; at least {MIN_YEARS_OF_OPERATION} are required"]
    if provider["served_enterprises"] < MIN_SERVED_ENTERPRISES:
        problems["served_enterprises"] = [
            f"{provider['served_enterprises']} SMEs served; a record of at least "
            f"{MIN_SERVED_ENTERPRISES} is required"]
    return problems


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)


def next_membership_state(current, decision, provider_id, service_area):
    """The membership state after ``decision``; ``Conflict`` when it does not apply."""
    allowed, target = DECISIONS[decision]
    if current not in allowed:
        state = current or "not a member"
        message = f"provider {provider_id} is {state} in {service_area}; cannot {decision}"
        raise Conflict(message, {"service_area": [message]})
    return target


def satisfaction(average_rating):
    """Enterprises' average rating (1–5) on the 0–100 scale; None without ratings."""
    if average_rating is None:
        return None
    return round((float(average_rating) - 1) * 25, 1)


def score(capability, management, service_quality, satisfaction_score):
    """The weighted score (0–100); without ratings the other weights are rescaled."""
    parts = {"capability": capability, "management": management,
             "service_quality": service_quality, "satisfaction": satisfaction_score}
    present = {name: value for name, value in parts.items() if value is not None}
    weight = sum(WEIGHTS[name] for name in present)
    return round(sum(WEIGHTS[name] * float(value) for name, value in present.items()) / weight, 1)


def period_of(day):
    """The quarter a day falls in, as ``2026-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_bounds(period):
    """``(first day, first day of the next quarter)`` of a ``YYYY-Qn`` period."""
    year, quarter = int(period[:4]), int(period[-1])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end


def previous_period(period):
    year, quarter = int(period[:4]), int(period[-1])
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def check_period(period, today):
    if period > period_of(today):
        message = f"period {period} has not begun; the current period is {period_of(today)}"
        raise ValidationFailed(message, {"period": [message]})


def evaluation(data, average_rating, ratings, previous_score):
    """The evaluation record for validated input, and whether it triggers the exit."""
    satisfaction_score = satisfaction(average_rating)
    total = score(data["capability"], data["management"], data["service_quality"], satisfaction_score)
    below = total < THRESHOLD
    exits = below and previous_score is not None and float(previous_score) < THRESHOLD
    record = {**data, "satisfaction": satisfaction_score, "ratings": ratings, "score": total,
              "below_threshold": below, "exited": exits}
    reason = None
    if exits:
        reason = (f"score {total} in {data['period']} and {float(previous_score)} in "
                  f"{previous_period(data['period'])}: two consecutive periods below {THRESHOLD:g}")
    return record, reason


def rating_from_event(payload):
    """The provider rating in a ``request.rated`` payload; None when no provider did the work.

    Raises ValueError for a payload that can never be used.
    """
    provider_id = payload.get("provider_id")
    if provider_id is None:
        return None
    score_given = payload.get("score")
    if not isinstance(provider_id, int) or isinstance(provider_id, bool):
        raise ValueError(f"provider_id {provider_id!r} is not an integer")
    if not isinstance(score_given, int) or isinstance(score_given, bool) or not 1 <= score_given <= 5:
        raise ValueError(f"score {score_given!r} is not an integer from 1 to 5")
    if payload.get("service_area") not in SERVICE_AREAS:
        raise ValueError(f"service_area {payload.get('service_area')!r} is unknown")
    if not payload.get("request_id"):
        raise ValueError("request_id is missing")
    return {"request_id": str(payload["request_id"]), "provider_id": provider_id,
            "service_area": payload["service_area"], "score": score_given,
            "solved": bool(payload.get("solved"))}


def admitted_event(provider, service_area, readmission, reason):
    """Payload of ``provider.admitted``."""
    return _PROVIDER_ADMITTED.dump({"provider_id": provider["id"], "name": provider["name"],
                                    "uscc": provider["uscc"], "region_code": provider["region_code"],
                                    "service_area": service_area, "readmission": readmission, "reason": reason})


def exited_event(provider, service_area, automatic, reason):
    """Payload of ``provider.exited``."""
    return _PROVIDER_EXITED.dump({"provider_id": provider["id"], "name": provider["name"],
                                  "uscc": provider["uscc"], "region_code": provider["region_code"],
                                  "service_area": service_area, "automatic": automatic, "reason": reason})


def evaluated_event(provider, record):
    """Payload of ``provider.evaluated``; name and USCC let the provider be told without a lookup."""
    return _PROVIDER_EVALUATED.dump({
        "provider_id": provider["id"], "name": provider["name"], "uscc": provider["uscc"],
        "threshold": THRESHOLD,
        **{key: record[key] for key in ("service_area", "period", "capability", "management",
                                        "service_quality", "satisfaction", "ratings", "score",
                                        "below_threshold", "exited")}})


def search_document(provider, admitted_areas):
    """What the library search reads of a provider; only admitted providers are found."""
    areas = " ".join(SERVICE_AREAS[area] for area in admitted_areas)
    return {"title": provider["name"], "body": f"{provider['description']} {areas}",
            "service_areas": list(admitted_areas), "region_code": provider["region_code"],
            "visible": bool(admitted_areas)}
