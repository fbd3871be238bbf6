"""Use cases of activities: publishing one, and registering, cancelling, checking in and rating.

Each is a function of the transaction, ``announce`` (the outbox's ``add``:
``announce(tx, type, payload, aggregate_id)``) and "now", so that it can run
without a broker; the service's entrypoints only open the transaction.
Registration and cancellation hold the occurrence's row lock for their whole
transaction: concurrent registrations queue on it, and the number of places
taken never passes the capacity.
"""
from datetime import timedelta

from chassis.errors import NotFound, ValidationFailed
from services.activities import domain, recurrence, schemas, store
from services.activities.schemas import CANCELLED, REGISTERED, WAITLISTED


def no_occurrence(occurrence_id):
    return NotFound(f"no occurrence with id {occurrence_id}", {"occurrence_id": str(occurrence_id)})


def publish(tx, announce, publication, publisher):
    """An agency publishes an activity: its occurrences are planned and ``activity.published``
    invites the target enterprises. Returns the activity with its occurrences."""
    agency_id = publication["agency_id"]
    station_ids = list(dict.fromkeys(publication.get("stations") or [agency_id]))
    known = store.agencies(tx, {agency_id, *station_ids})
    agency = known.get(agency_id)
    if agency is None:
        raise ValidationFailed(f"no agency with id {agency_id}", {"agency_id": [f"no agency with id {agency_id}"]})
    problems = domain.station_problems(agency, {station: known.get(station) for station in station_ids})
    if problems:
        raise ValidationFailed("some stations cannot hold this activity", {"stations": problems})
    criteria = domain.target_criteria(publication["criteria"], agency)
    first = recurrence.Slot(publication["starts_at"], publication["ends_at"],
                            publication["registration_opens_at"], publication["registration_closes_at"])
    planned = recurrence.plan(first, publication.get("recurrence"), station_ids, store.load_calendar(tx),
                              publication["on_rest_day"])
    if not planned:
        message = "every date the rule gives falls on a rest day or holiday and on_rest_day is skip"
        raise ValidationFailed(message, {"on_rest_day": [message]})
    row = store.insert_activity(tx, {
        **{key: publication.get(key) for key in ("agency_id", "kind", "title", "description", "venue",
                                                 "online_url", "capacity", "partners", "recurrence",
                                                 "on_rest_day")},
        "region_code": agency["region_code"], "service_area": domain.service_area_of(publication),
        "criteria": criteria, "stations": station_ids, "published_by": publisher})
    occurrences = store.insert_occurrences(tx, [
        {"activity_id": row["id"], "agency_id": each.station, "region_code": known[each.station]["region_code"],
         "sequence": each.sequence, "starts_at": each.slot.starts_at, "ends_at": each.slot.ends_at,
         "registration_opens_at": each.slot.opens_at, "registration_closes_at": each.slot.closes_at,
         "capacity": row["capacity"], "planned_on": each.planned_on, "moved_from": each.moved_from,
         "provisional": each.provisional} for each in planned])
    announce(tx, "activity.published", schemas.ActivityPublished().dump(
        domain.published_event(row, occurrences, agency)), row["id"])
    return activity_view(tx, row["id"])


def activity_view(tx, activity_id):
    row = store.activity(tx, activity_id)
    if row is None:
        raise NotFound(f"no activity with id {activity_id}", {"activity_id": str(activity_id)})
    return {**row, "occurrences": store.occurrences_of(tx, activity_id)}


def changed(occurrence, uscc, state, previous_state=None):
    """The payload of a registration's change (:class:`schemas.RegistrationChanged`)."""
    return schemas.RegistrationChanged().dump(domain.registration_event(occurrence, uscc, state, previous_state))


def _locked(tx, occurrence_id):
    occurrence = store.occurrence(tx, occurrence_id, lock=True)
    if occurrence is None:
        raise no_occurrence(occurrence_id)
    return occurrence


def register(tx, announce, occurrence_id, uscc, now):
    """The enterprise takes a place, or joins the waitlist when none is free (报名)."""
    occurrence = _locked(tx, occurrence_id)
    domain.check_not_registered(store.live_registration(tx, occurrence_id, uscc), occurrence_id, uscc)
    state = domain.admission(occurrence, now)
    registration = store.add_registration(tx, occurrence, uscc, state)
    announce(tx, domain.EVENT_OF_STATE[state], changed(occurrence, uscc, state), occurrence_id)
    return registration


def cancel(tx, announce, occurrence_id, uscc, now):
    """The enterprise gives up its place (or its waitlist spot); the first waiting moves up."""
    occurrence = _locked(tx, occurrence_id)
    registration = store.live_registration(tx, occurrence_id, uscc)
    domain.check_cancellable(registration, occurrence, now, uscc)
    store.cancel_registration(tx, registration["id"])
    announce(tx, domain.EVENT_OF_STATE[CANCELLED], changed(occurrence, uscc, CANCELLED, registration["state"]),
             occurrence_id)
    promoted = store.promote_first_waiting(tx, occurrence_id) if registration["state"] == REGISTERED else None
    store.adjust_counts(tx, occurrence_id, *domain.counts_after_cancel(registration["state"], promoted is not None))
    if promoted is not None:
        announce(tx, "activity.promoted", schemas.Promoted().dump(domain.promoted_event(occurrence, promoted)),
                 occurrence_id)
    return store.registration_view(tx, occurrence_id, uscc)


def check_in(tx, announce, occurrence_id, uscc, by, now):
    """Staff check in an enterprise that holds a place (签到)."""
    occurrence = store.occurrence(tx, occurrence_id)
    if occurrence is None:
        raise no_occurrence(occurrence_id)
    registration = store.live_registration(tx, occurrence_id, uscc)
    domain.check_in_problem(registration, occurrence, now, uscc)
    store.check_in(tx, registration["id"], by)
    announce(tx, "activity.checked_in", schemas.CheckedIn().dump(
        {"occurrence_id": occurrence_id, "activity_id": occurrence["activity_id"],
         "agency_id": occurrence["agency_id"], "uscc": uscc, "by": by}), occurrence_id)
    return store.registration_view(tx, occurrence_id, uscc)


def rate(tx, announce, occurrence_id, uscc, rating, now):
    """A participant rates the occurrence after it has ended, once (1–5, with a comment)."""
    occurrence = store.occurrence(tx, occurrence_id)
    if occurrence is None:
        raise no_occurrence(occurrence_id)
    domain.rating_problem(store.last_registration(tx, occurrence_id, uscc), occurrence, now, uscc,
                          store.has_rated(tx, occurrence_id, uscc))
    row = store.add_rating(tx, occurrence_id, uscc, rating["score"], rating["comment"])
    announce(tx, "activity.rated", schemas.ActivityRated().dump(
        {"occurrence_id": occurrence_id, "activity_id": occurrence["activity_id"],
         "agency_id": occurrence["agency_id"], "uscc": uscc, "score": rating["score"]}), occurrence_id)
    return row


def replan_year(tx, announce, year):
    """A year's holiday schedule was loaded: its provisional occurrences move to the day the
    calendar now gives (``activity.rescheduled`` for each that moves, naming the enterprises that
    registered or wait for it) and are no longer provisional. Returns how many moved."""
    calendar = store.load_calendar(tx)
    moved = 0
    for row in store.provisional_occurrences(tx, year):
        day, provisional = recurrence.replanned_day(row["planned_on"], calendar)
        current = row["starts_at"].astimezone(schemas.CHINA).date()
        shift = (day - current).days
        store.move_occurrence(tx, row["id"], shift, row["planned_on"] if day != row["planned_on"] else None,
                              provisional)
        if shift:
            moved += 1
            registrants = store.live_registrants(tx, row["id"])
            announce(tx, "activity.rescheduled", schemas.OccurrenceRescheduled().dump(
                {"occurrence_id": row["id"], "activity_id": row["activity_id"], "agency_id": row["agency_id"],
                 "title": row["title"], "planned_on": row["planned_on"], "from_day": current, "to_day": day,
                 "starts_at": row["starts_at"] + timedelta(days=shift),
                 "registered": registrants[REGISTERED], "waitlisted": registrants[WAITLISTED]}), row["id"])
    return moved
