"""Who sees which requests: the one rule, and the requests service applies it.

An enterprise sees its own requests; agency staff those their agency holds and
those it escalated (提级: it stays answerable for what it passed up); region
administrators those raised in their region; the national administrator and
the service's own scheduler all. To anyone else a request answers exactly like
one that does not exist. Seeing is not acting: :func:`lifecycle.acts_within_scope`
lets agency staff act only on what their agency holds, so an agency that
escalated a request reads it and is refused (403) a step on it.
"""
from chassis.errors import Forbidden, NotFound
from reference import credit_codes, regions

NATIONAL_ADMIN = "national_admin"
REGION_ADMINS = frozenset({"province_admin", "city_admin", "county_admin"})


def scope_of(actor):
    """What ``actor`` sees, as the store filters lists: ``{"all": True}``, ``{"uscc": ...}``,
    ``{"agency_id": ...}`` or ``{"region_prefix": ...}``; ``Forbidden`` for a role that sees none."""
    role, scope = actor.get("role"), actor.get("scope")
    if role in (NATIONAL_ADMIN, "system"):
        return {"all": True}
    if role in REGION_ADMINS:
        return {"region_prefix": regions.prefix(str(scope))}
    if role == "agency_staff":
        return {"agency_id": int(scope)}
    if role == "enterprise":
        return {"uscc": credit_codes.compact(scope)}
    raise Forbidden(f"role {role} sees no requests", {"role": role})


def sees(actor, request, escalated_by=lambda agency_id: False):
    """Whether ``actor`` sees ``request``; ``escalated_by(agency_id)`` tells whether that agency
    escalated it (asked only of agency staff not holding it)."""
    scope = scope_of(actor)
    if scope.get("all"):
        return True
    if "uscc" in scope:
        return scope["uscc"] == request["uscc"].strip()
    if "agency_id" in scope:
        return scope["agency_id"] == request.get("agency_id") or escalated_by(scope["agency_id"])
    return request["region_code"].startswith(scope["region_prefix"])


def escalated_in(history):
    """``escalated_by`` over a request's history entries."""
    return lambda agency_id: any(entry["action"] == "escalate" and entry.get("from_agency_id") == agency_id
                                 for entry in history)


def missing(request_id):
    """The answer for a request that does not exist, or that the caller does not see."""
    return NotFound(f"no request with id {request_id}", {"request_id": str(request_id)})
