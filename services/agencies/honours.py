"""选树优秀: outstanding agencies and service workers, nominated from a scoring run and reviewed.

Admins nominate, from a run, an agency of the run's scope that lies in their own
region, or a member of its staff, with a title and the reason. A reviewer (the
admin of the run's scope: the province's admin for its run, the national admin
for the national run) approves or rejects each nomination with a reason, once.
Approved honours show on the agency's public page (its guide and
``/agencies/{id}/honours``) and are announced as ``honour.awarded``.
"""
from reference.china_time import CHINA_TIME

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.agencies import capacity_store, domain, scoring_store
from services.agencies.schemas import HonourAwarded

DECIDED = {"approve": "approved", "reject": "rejected"}


def check_nominee(run, agency, member):
    """The nominee must lie in the run's scope; a staff member must be on the agency's roster."""
    if not agency["region_code"].startswith(domain.coverage_prefix(run["scope"])):
        message = f"agency {agency['id']} lies outside the run's scope {run['scope']}"
        raise ValidationFailed(message, {"agency_id": [message]})
    if member is not None and member["agency_id"] != agency["id"]:
        message = f"staff member {member['id']} is not on agency {agency['id']}'s roster"
        raise ValidationFailed(message, {"staff_id": [message]})


def nominate(tx, run, agency, data, actor, now):
    member = None
    if data.get("staff_id") is not None:
        member = capacity_store.get_staff(tx, data["staff_id"])
        if member is None:
            message = f"no staff member with id {data['staff_id']}"
            raise ValidationFailed(message, {"staff_id": [message]})
    check_nominee(run, agency, member)
    return scoring_store.insert_nomination(tx, {
        "run_id": run["id"], "kind": data["kind"], "agency_id": agency["id"], "staff_id": data.get("staff_id"),
        "title": data["title"], "reason": data["reason"], "nominated_by": actor, "nominated_at": now})


def nomination(tx, nomination_id, lock=False):
    row = scoring_store.get_nomination(tx, nomination_id, lock)
    if row is None:
        raise NotFound(f"no nomination with id {nomination_id}", {"nomination_id": nomination_id})
    return row


def review(tx, outbox, nomination_id, decision, actor, now):
    """Approve or reject a nomination once; an approval emits ``honour.awarded``."""
    current = nomination(tx, nomination_id, lock=True)
    if current["state"] != "nominated":
        message = f"nomination {nomination_id} was already {current['state']}"
        raise Conflict(message, {"state": current["state"]})
    decided = scoring_store.decide_nomination(tx, nomination_id, DECIDED[decision["decision"]], actor,
                                              decision["reason"], now)
    if decided["state"] == "approved":
        outbox.add(tx, "honour.awarded", HonourAwarded().dump({**decided, "nomination_id": decided["id"]}),
                   aggregate_id=decided["agency_id"])
    return decided


def nominations(tx, run_id, limit, offset):
    return scoring_store.nominations(tx, run_id, limit, offset)


def honour_view(row):
    return {"title": row["title"], "kind": row["kind"], "staff_name": row["staff_name"], "year": row["year"],
            "scope": row["scope"], "awarded_on": row["decided_at"].astimezone(CHINA_TIME).date()}


def honours(tx, agency_id):
    return [honour_view(row) for row in scoring_store.honours(tx, agency_id)]
