"""Rules of service activities (服务活动), free of I/O: targeting, registration, the waitlist,
check-in and ratings.

An occurrence has a number of places. While registration is open an
enterprise takes a place if one is free and joins the waitlist otherwise;
when a registered enterprise cancels, the first on the waitlist moves up.
The service applies these rules under the occurrence's row lock, so the count
of places is exact however many register at once. Staff check in registered
enterprises; after the occurrence has ended, those checked in rate it once.
"""
from datetime import timedelta

from chassis.errors import Conflict, ValidationFailed
from reference import regions
from services.activities.schemas import CANCELLED, KIND_AREAS, NATIONWIDE, REGISTERED, WAITLISTED

# Staff may record a check-in until a day after the occurrence has ended.
CHECK_IN_GRACE = timedelta(days=1)


def coverage_prefix(region_code):
    """The region prefix an agency at ``region_code`` serves ('' for the whole country)."""
    return "" if region_code == NATIONWIDE else regions.prefix(region_code)


def target_criteria(criteria, agency):
    """The activity's target narrowed to the publishing agency's region: without region
    prefixes, the agency's whole region; prefixes outside it are refused (422)."""
    scope = coverage_prefix(agency["region_code"])
    outside = [prefix for prefix in criteria.get("region_prefixes", []) if not prefix.startswith(scope)]
    if outside:
        message = (f"{', '.join(outside)} lie outside the region {agency['region_code']} of agency "
                   f"{agency['id']} ({agency['name']})")
        raise ValidationFailed("the activity targets enterprises beyond its agency's region",
                               {"criteria.region_prefixes": [message]})
    narrowed = dict(criteria)
    if scope and not narrowed.get("region_prefixes"):
        narrowed["region_prefixes"] = [scope]
    return narrowed


def service_area_of(publication):
    return publication.get("service_area") or KIND_AREAS[publication["kind"]]


def station_problems(publisher, stations):
    """Why some stations cannot hold the publisher's activity: unknown, inactive, or outside its region.

    ``stations`` maps each requested id to its agency row (None when unknown).
    """
    scope = coverage_prefix(publisher["region_code"])
    problems = []
    for station_id, station in stations.items():
        if station is None:
            problems.append(f"no agency with id {station_id}")
        elif not station["active"]:
            problems.append(f"agency {station_id} ({station['name']}) is not active")
        elif not station["region_code"].startswith(scope):
            problems.append(f"agency {station_id} ({station['name']}) lies outside the region "
                            f"{publisher['region_code']} of agency {publisher['id']}")
    return problems


def admission(occurrence, now):
    """``registered`` when a place is free, else ``waitlisted``; ``Conflict`` outside the window."""
    if now < occurrence["registration_opens_at"]:
        message = f"registration opens at {occurrence['registration_opens_at'].isoformat()}"
        raise Conflict(message, {"registration_opens_at": [message]})
    if now > occurrence["registration_closes_at"]:
        message = f"registration closed at {occurrence['registration_closes_at'].isoformat()}"
        raise Conflict(message, {"registration_closes_at": [message]})
    return REGISTERED if occurrence["registered"] < occurrence["capacity"] else WAITLISTED


def check_not_registered(existing, occurrence_id, uscc):
    """``Conflict`` when the enterprise already holds a place or waits for one."""
    if existing is not None:
        message = f"{uscc} is already {existing['state']} for occurrence {occurrence_id}"
        raise Conflict(message, {"uscc": [message]})


def check_cancellable(registration, occurrence, now, uscc):
    if registration is None:
        message = f"{uscc} holds no registration for occurrence {occurrence['id']}"
        raise Conflict(message, {"uscc": [message]})
    if now >= occurrence["starts_at"]:
        message = f"occurrence {occurrence['id']} has started; its registrations can no longer be cancelled"
        raise Conflict(message, {"starts_at": [message]})


def counts_after_cancel(state, promoted):
    """``(registered delta, waitlisted delta)`` when a registration in ``state`` is cancelled and
    ``promoted`` (whether someone moved up from the waitlist)."""
    if state == WAITLISTED:
        return 0, -1
    return (0, -1) if promoted else (-1, 0)


def check_in_problem(registration, occurrence, now, uscc):
    """``Conflict`` unless the enterprise holds a place and the occurrence has not long ended."""
    if registration is None or registration["state"] != REGISTERED:
        held = "no registration" if registration is None else f"a {registration['state']} registration"
        message = f"{uscc} is not registered for occurrence {occurrence['id']} (it has {held})"
        raise Conflict(message, {"uscc": [message]})
    if registration["checked_in_at"] is not None:
        message = f"{uscc} was checked in at {registration['checked_in_at'].isoformat()}"
        raise Conflict(message, {"uscc": [message]})
    if now > occurrence["ends_at"] + CHECK_IN_GRACE:
        message = f"occurrence {occurrence['id']} ended on {occurrence['ends_at'].date().isoformat()}"
        raise Conflict(message, {"ends_at": [message]})


def rating_problem(registration, occurrence, now, uscc, already_rated):
    """``Conflict`` unless the enterprise took part (was checked in), the occurrence has ended and
    it has not rated it yet."""
    if registration is None or registration["checked_in_at"] is None:
        message = f"only participants rate: {uscc} was not checked in at occurrence {occurrence['id']}"
        raise Conflict(message, {"uscc": [message]})
    if now < occurrence["ends_at"]:
        message = f"occurrence {occurrence['id']} ends at {occurrence['ends_at'].isoformat()}; rate it after"
        raise Conflict(message, {"ends_at": [message]})
    if already_rated:
        message = f"{uscc} has already rated occurrence {occurrence['id']}"
        raise Conflict(message, {"uscc": [message]})


def registration_event(occurrence, uscc, state, previous_state=None):
    return {"occurrence_id": occurrence["id"], "activity_id": occurrence["activity_id"],
            "agency_id": occurrence["agency_id"], "uscc": uscc, "state": state,
            "previous_state": previous_state, "starts_at": occurrence["starts_at"]}


def promoted_event(occurrence, uscc):
    """``activity.promoted``: ``uscc`` moved up from the waitlist to a place at ``occurrence`` (a row
    with its activity's title, venue and link, and its holding agency's name)."""
    return {**registration_event(occurrence, uscc, REGISTERED, WAITLISTED), "title": occurrence["title"],
            "ends_at": occurrence["ends_at"], "agency_name": occurrence.get("agency_name"),
            "venue": occurrence.get("venue"), "online_url": occurrence.get("online_url")}


EVENT_OF_STATE = {REGISTERED: "activity.registered", WAITLISTED: "activity.waitlisted",
                  CANCELLED: "activity.registration_cancelled"}


def published_event(activity, occurrences, agency):
    starts = sorted(occurrence["starts_at"] for occurrence in occurrences)
    return {"activity_id": activity["id"], "agency_id": activity["agency_id"], "agency_name": agency["name"],
            "region_code": activity["region_code"], "kind": activity["kind"], "title": activity["title"],
            "service_area": activity["service_area"], "venue": activity["venue"],
            "online_url": activity["online_url"], "first_starts_at": starts[0],
            "last_starts_at": starts[-1], "occurrences": len(occurrences),
            "capacity": activity["capacity"], "criteria": activity["criteria"]}
