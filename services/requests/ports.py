"""What the requests use cases work through, and the writes they share.

A use case (:mod:`submission`, :mod:`transition`, :mod:`escalation`) is a plain
function of ``(tx, clock, ports)``: ``tx`` the one database transaction it runs
in, ``clock`` the service's clock (``now(tx)``), ``ports`` the :class:`Ports`
below. The nameko service wires the real ones; unit tests pass fakes, so a use
case runs without a broker or a database.
"""
from dataclasses import dataclass

from services.requests import changes, deadlines, lifecycle
from services.requests.gauges import DEADLINES_MISSED, PROVISIONAL_DEADLINES


@dataclass(frozen=True)
class Ports:
    """``requests``: this service's store (:mod:`services.requests.store`); ``agencies``: its copy
    of the agency hierarchy and guides (:mod:`services.requests.agency_copy`); ``outbox``: where
    events go, in the same transaction (``add(tx, type, payload, aggregate_id=...)``)."""

    requests: object
    agencies: object
    outbox: object


def handover(tx, ports, agency, service_area):
    """``agency`` taking a request in ``service_area``, with its guide's time limits."""
    guide = ports.agencies.time_limits(tx, [(agency["id"], service_area)]).get((agency["id"], service_area))
    return changes.Handover(agency, deadlines.time_limits(guide, service_area))


def handover_to_candidate(candidate, service_area):
    """A routing candidate (read with its ``guide_limits``) taking a request in ``service_area``."""
    agency = {key: value for key, value in candidate.items() if key != "guide_limits"}
    return changes.Handover(agency, deadlines.time_limits(candidate["guide_limits"], service_area))


def record(tx, ports, after, entry):
    """Append the history entry and emit its ``request.<transition>`` event."""
    record_all(tx, ports, [(after, entry)])


def record_all(tx, ports, steps):
    """Append the history entries of several ``(request after, entry)`` steps and emit their events,
    in one statement; the entries as stored."""
    events = ports.outbox.part(tx, [(lifecycle.EVENT_OF_ACTION[entry["action"]], changes.transition_event(after, entry),
                                     after["id"]) for after, entry in steps])
    return ports.requests.add_history(tx, [entry for _, entry in steps], events)


def record_breaches(tx, ports, rows, keys, now):
    """Record breaches; emit ``request.deadline_missed`` for each one new. Returns their ids."""
    new = ports.requests.record_breaches(tx, keys)
    for key in keys:
        request_id, kind, agency_id, due = key[:4]
        if request_id in new:
            DEADLINES_MISSED.labels(kind).inc()
            breach = changes.Breach(kind, agency_id, due)
            ports.outbox.add(tx, "request.deadline_missed",
                             changes.deadline_missed_event(rows[request_id], breach, now), aggregate_id=request_id)
    return new


def assign(tx, ports, row, route, now):
    """Put a submitted request with the agency ``route`` names (``(Handover, explanation)``)."""
    handover_, explanation = route
    step = lifecycle.step(row, "assign", changes.SYSTEM_ACTOR)
    changed = changes.apply(row, step, now, ports.requests.load_calendar(tx), handover_)
    count_provisional(changed)
    after = ports.requests.update_request(tx, row["id"], changed)
    record(tx, ports, after, changes.history_entry(row, step, changes.SYSTEM_ACTOR, now, explanation,
                                                   handover_.agency))
    return after


def count_provisional(columns):
    if columns.get("deadline_provisional"):
        PROVISIONAL_DEADLINES.inc()
