"""A provincial registry's SME profiles (``enterprise.upserted``), applied in one transaction.

The province may file only enterprises in its own region: the profile's region
must lie in the province before and after. Each event has one effect (the
inbox), and an update older than the newest applied for that enterprise is
ignored (the source version). A new enterprise is registered as any other
(``enterprise.registered``); a known one is changed and announces what
changed, with an entry in its profile history naming the province.
"""
from chassis import provinces
from chassis.errors import ValidationFailed
from chassis.provinces import APPLIED, DUPLICATE, INVALID_PAYLOAD, STALE, Rejected
from services.enterprises import announcements, domain, store

ENTITY = "enterprise"
REGISTRY_ROLE = "province_system"


def actor_of(event):
    return {"role": REGISTRY_ROLE, "subject": provinces.user_name(event.province)}


def upsert_enterprises(tx, outbox, inbox, events, on):
    """Apply a batch of ``enterprise.upserted`` in one transaction, set-based: the outcome of each event,
    in order (a :class:`Rejected` for an event that is rejected).

    A rejected event leaves no trace; an event met twice has one effect; of several
    updates of one enterprise in the batch the newest is applied and the
    others are stale, as they would be after it; the newest is applied only if
    newer than what was applied before.
    """
    outcomes, candidates, first_seen = [None] * len(events), [], {}
    for index, event in enumerate(events):
        if event.event_id in first_seen:
            outcomes[index] = DUPLICATE
            continue
        first_seen[event.event_id] = index
        try:
            provinces.check_within(event.province, event.payload["region_code"])
        except Rejected as rejection:
            outcomes[index] = rejection
            continue
        candidates.append(event)
    stored = store.load_profiles(tx, {event.payload["uscc"] for event in candidates}, lock=True)
    chosen = {}
    for event in sorted(candidates, key=lambda event: -event.payload["source_version"]):
        key = (event.province, event.payload["uscc"])
        if key in chosen:
            outcomes[first_seen[event.event_id]] = STALE
            continue
        try:
            chosen[key] = (event, *_profile_of(event, stored.get(event.payload["uscc"]), on))
        except Rejected as rejection:
            outcomes[first_seen[event.event_id]] = rejection
    kept = [event.envelope for event in candidates if not isinstance(outcomes[first_seen[event.event_id]], Rejected)]
    recorded = inbox.first_deliveries(tx, kept)
    for envelope in kept:
        if envelope["event_id"] not in recorded:
            outcomes[first_seen[envelope["event_id"]]] = DUPLICATE
    claimed = provinces.claim_versions(tx, [(event, ENTITY, event.payload["uscc"], event.payload["source_version"])
                                            for event, *_ in chosen.values() if event.event_id in recorded])
    new = []
    for event, profile, changed in chosen.values():
        if event.event_id not in recorded:
            continue
        index = first_seen[event.event_id]
        if (event.province, ENTITY, profile["uscc"]) not in claimed:
            outcomes[index] = STALE
            continue
        outcomes[index] = APPLIED
        if changed is None:
            new.append((event, profile))
        else:
            _save_change(tx, outbox, event, stored[profile["uscc"]], profile, changed, on)
    store.insert_new_profiles(tx, [profile for _, profile in new])
    outbox.add_many(tx, "enterprise.registered", [
        (domain.registered_event(profile, on), profile["uscc"], event.correlation_id) for event, profile in new])
    return outcomes


def _profile_of(event, stored, on):
    """``(profile, changed)`` the event makes of the stored profile (None: a new one); Rejected."""
    if stored is not None:
        provinces.check_within(event.province, stored["region_code"], "the enterprise's region")
    try:
        return domain.provincial_profile(stored, event.payload, on)
    except ValidationFailed as exc:
        raise Rejected(INVALID_PAYLOAD, f"{exc.message}: {exc.details}") from None


def _save_change(tx, outbox, event, stored, profile, changed, on):
    """Write a changed profile, its history entry naming the province, and what it announces."""
    if not changed:
        return
    store.save_profile(tx, profile, {name: pair for name, pair in changed.items() if name != "figures"}, on)
    for record in event.payload["figures"]:
        store.save_figures(tx, profile["uscc"], record["year"], profile["figures"][record["year"]])
    store.add_change(tx, profile["uscc"], actor_of(event), f"provincial registry, event {event.event_id}", changed)
    announcements.announce_changes(tx, outbox, stored, profile, changed, on, REGISTRY_ROLE)
