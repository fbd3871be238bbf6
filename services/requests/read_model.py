"""What a request looks like to its readers: stored facts plus what today makes of them.

Every read carries the expected answer time (``expected_answer_by``: the
resolution deadline while the request awaits its answer) and whether a
deadline has been missed, both judged by the service's clock.
"""
from datetime import date

from services.requests import arrears, deadlines, lifecycle


def current_deadline(request):
    """The deadline the request is running against now, if any."""
    if request["state"] in lifecycle.AWAITING_ACCEPTANCE:
        return request.get("accept_by")
    if request["state"] in lifecycle.BEING_HANDLED:
        return request.get("resolve_by")
    return None


def is_overdue(request, today):
    return deadlines.is_overdue(current_deadline(request), today)


def expected_answer_by(request):
    """The day the enterprise can expect its answer; None once it has one."""
    if request["state"] in lifecycle.AWAITING_ACCEPTANCE | lifecycle.BEING_HANDLED:
        return request.get("resolve_by")
    return None


ARREARS_DATES = ("contract_date", "delivery_date", "accepted_on", "settlement_confirmed_on")


def arrears_facts(claim, today, calendar):
    """An arrears claim as stored (JSON) with its payment due date and overdue status."""
    if not claim:
        return None
    parsed = dict(claim)
    for key in ARREARS_DATES:
        if claim.get(key):
            parsed[key] = date.fromisoformat(str(claim[key]))
    return {**parsed, **arrears.assess(parsed, today, calendar)}


def present(row, today, history=None, ratings=None, revisits=None, calendar=None):
    """The read model of a stored request row (full when its history is given).

    An arrears claim is judged (due date, overdue) with ``calendar``, the
    working-day calendar; without one (lists) the claim is left out.
    """
    request = dict(row)
    request["expected_answer_by"] = expected_answer_by(request)
    request["overdue"] = is_overdue(request, today)
    request["archived"] = request["state"] == lifecycle.CLOSED
    request["uscc"] = request["uscc"].strip()
    request["arrears"] = arrears_facts(request.get("arrears"), today, calendar) if calendar is not None else None
    if history is not None:
        request["history"] = history
        request["ratings"] = ratings or []
        request["revisits"] = revisits or []
    return request
