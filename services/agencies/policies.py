"""Policy rules (政策): scope, eligibility and the lifecycle, free of I/O.

A policy is drafted, then published (``policy.published`` tells the network,
whose notifications service pushes it to every eligible SME), and ends expired
(past its expiry date) or withdrawn. Only drafts are edited; a published policy
is changed by withdrawing it and issuing a new one.
"""
from chassis.errors import Conflict, ValidationFailed
from services.agencies import domain
from services.agencies.schemas import NATIONWIDE, PolicyClosed, PolicyPublished

# One instance of each event schema: making one costs about ten dumps.
_POLICY_PUBLISHED = PolicyPublished()
_POLICY_CLOSED = PolicyClosed()

# action: (states it applies to, resulting state)
TRANSITIONS = {
    "publish": (("draft",), "published"),
    "withdraw": (("draft", "published"), "withdrawn"),
    "expire": (("published",), "expired"),
}
PAST = {"publish": "published", "withdraw": "withdrawn", "expire": "expired"}


def next_state(policy, action):
    """The state ``action`` leads to; ``Conflict`` naming the state when it is not allowed."""
    allowed, target = TRANSITIONS[action]
    if policy["state"] not in allowed:
        message = (f"policy {policy['id']} is {policy['state']}; a {policy['state']} policy "
                   f"cannot be {PAST[action]}")
        raise Conflict(message, {"state": [message]})
    return target


def check_editable(policy):
    if policy["state"] != "draft":
        message = (f"policy {policy['id']} is {policy['state']}; only drafts can be edited "
                   "(withdraw it and issue a new one)")
        raise Conflict(message, {"state": [message]})


def check_publishable(policy, today):
    if policy["expires_on"] is not None and policy["expires_on"] < today:
        message = f"the policy expired on {policy['expires_on']}; it cannot be published"
        raise ValidationFailed(message, {"expires_on": [message]})


def scope_problems(policy, agency):
    """Why the policy's scope or eligibility reaches beyond where it may apply."""
    problems = {}
    region_code = policy["region_code"]
    if not domain.covers(agency["region_prefix"], region_code):
        problems["region_code"] = [
            f"scope {region_code} exceeds the region {agency['region_code']} of the publishing "
            f"agency {agency['id']} ({agency['name']})"]
    scope = domain.coverage_prefix(region_code)
    outside = [prefix for prefix in policy["criteria"].get("region_prefixes", [])
               if not prefix.startswith(scope)]
    if outside:
        problems["criteria.region_prefixes"] = [
            f"{', '.join(outside)} lie outside the policy's scope {region_code}"]
    return problems


def check_scope(policy, agency):
    problems = scope_problems(policy, agency)
    if problems:
        raise ValidationFailed("the policy reaches beyond its publisher's region", problems)


def effective_criteria(policy):
    """The eligibility with the scope applied: no region prefixes means the whole scope."""
    criteria = dict(policy["criteria"])
    if policy["region_code"] != NATIONWIDE and not criteria.get("region_prefixes"):
        criteria["region_prefixes"] = [domain.coverage_prefix(policy["region_code"])]
    return criteria


def published_event(policy):
    """Payload of ``policy.published``."""
    return _POLICY_PUBLISHED.dump({
        "policy_id": policy["id"], "agency_id": policy["agency_id"], "title": policy["title"],
        "document_number": policy["document_number"], "service_area": policy["service_area"],
        "region_code": policy["region_code"], "issued_on": policy["issued_on"],
        "expires_on": policy["expires_on"], "benefits": policy["benefits"],
        "criteria": effective_criteria(policy),
    })


def closed_event(policy, reason):
    """Payload of ``policy.withdrawn`` and ``policy.expired``."""
    return _POLICY_CLOSED.dump({"policy_id": policy["id"], "agency_id": policy["agency_id"],
                                "title": policy["title"], "region_code": policy["region_code"], "reason": reason})


def search_document(policy):
    """What the library search reads of a policy; only published ones are found."""
    body = " ".join(filter(None, (policy["issuer"], policy["document_number"],
                                  policy["benefits"], policy["full_text"])))
    return {"title": policy["title"], "body": body, "service_areas": [policy["service_area"]],
            "region_code": policy["region_code"], "visible": policy["state"] == "published"}
