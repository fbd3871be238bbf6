"""Requests from provincial portals: ``request.submitted`` and ``request.transitioned``.

A portal's request is filed, routed and escalated like any other, with the
province and the portal's reference (``origin_province``, ``origin_ref``) on
it, so that its every step goes back to that province. A portal acts on a
request as the holding agency (an agency of the province) or as the
enterprise (on a request of the province). Each event has one effect (the
inbox) and a step older than one applied for the request is ignored (the
source version, counted per request reference or id).
"""
from chassis import provinces
from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chassis.provinces import (DUPLICATE, INVALID_PAYLOAD, NOT_ALLOWED, STALE, UNKNOWN_REFERENCE, Rejected,
                               claim_version)
from services.requests import store
from services.requests.schemas import PORTAL_AGENCY_ACTIONS

ENTITY = "request"


def entity_key(payload):
    return f"ref:{payload['request_ref']}" if payload.get("request_ref") else f"id:{payload['request_id']}"


def claim(tx, inbox, event):
    """Record the event and its source version in ``tx``: None to go on, or DUPLICATE / STALE."""
    if not inbox.first_delivery(tx, event.envelope):
        return DUPLICATE
    if not claim_version(tx, event, ENTITY, entity_key(event.payload), event.payload["source_version"]):
        return STALE
    return None


def portal_actor(event, role, scope):
    return {"role": role, "scope": scope, "subject": provinces.user_name(event.province)}


def submission(event):
    """``(uscc, submission, actor)`` of a portal's new request, inside the province or Rejected."""
    data = event.payload
    provinces.check_within(event.province, data["region_code"])
    fields = {name: data.get(name) for name in ("service_area", "title", "description", "region_code", "park")}
    return data["uscc"], fields, portal_actor(event, "enterprise", data["uscc"])


def find_request(tx, event, lock=False):
    """The request a portal's step names; Rejected (retried first: its submission may be in flight)."""
    data = event.payload
    if data.get("request_ref"):
        row = store.request_of_origin(tx, event.province, data["request_ref"], lock)
        named = f"request_ref {data['request_ref']}"
    else:
        row = store.get_request(tx, data["request_id"], lock)
        named = f"request_id {data['request_id']}"
    if row is None:
        raise Rejected(UNKNOWN_REFERENCE, f"no request with {named} from province {event.province}", retry=True)
    return row


def transition_actor(event, row):
    """Who the portal acts as: the holding agency (of the province) or the enterprise."""
    data = event.payload
    if data["action"] in PORTAL_AGENCY_ACTIONS:
        provinces.check_within(event.province, row.get("agency_region_code") or "none",
                               "the holding agency's region")
        return portal_actor(event, "agency_staff", str(data["agency_id"]))
    provinces.check_within(event.province, row["region_code"], "the request's region")
    return portal_actor(event, "enterprise", row["uscc"])


def rejecting(step, *args):
    """``step(*args)``, with the service's refusals turned into a province's rejection."""
    try:
        return step(*args)
    except ValidationFailed as exc:
        raise Rejected(INVALID_PAYLOAD, f"{exc.message}: {exc.details}") from None
    except (Conflict, Forbidden, NotFound) as exc:
        raise Rejected(NOT_ALLOWED, f"{exc.message}: {exc.details}") from None
