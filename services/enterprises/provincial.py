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
from chassis.provinces import APPLIED, DUPLICATE, INVALID_PAYLOAD, STALE, Rejected, claim_version
from services.enterprises import announcements, domain, store

ENTITY = "enterprise"
REGISTRY_ROLE = "province_system"


def actor_of(event):
    return {"role": REGISTRY_ROLE, "subject": provinces.user_name(event.province)}


def upsert_enterprise(tx, outbox, inbox, event, on):
    """Register or update the enterprise in ``event`` (a :class:`chassis.provinces.ProvincialEvent`).

    Returns APPLIED, STALE or DUPLICATE; raises :class:`Rejected` for a profile
    outside the province or one that breaks the profile rules.
    """
    upsert = event.payload
    provinces.check_within(event.province, upsert["region_code"])
    if not inbox.first_delivery(tx, event.envelope):
        return DUPLICATE
    if not claim_version(tx, event, ENTITY, upsert["uscc"], upsert["source_version"]):
        return STALE
    stored = store.load_profile(tx, upsert["uscc"], lock=True)
    if stored is not None:
        provinces.check_within(event.province, stored["region_code"], "the enterprise's region")
    try:
        profile, changed = domain.provincial_profile(stored, upsert, on)
    except ValidationFailed as exc:
        raise Rejected(INVALID_PAYLOAD, f"{exc.message}: {exc.details}") from None
    if stored is None:
        store.insert_profile(tx, profile, on)
        outbox.add(tx, "enterprise.registered", domain.registered_event(profile, on), aggregate_id=profile["uscc"])
        return APPLIED
    if changed:
        store.save_profile(tx, profile, {name: pair for name, pair in changed.items() if name != "figures"}, on)
        for record in upsert["figures"]:
            store.save_figures(tx, profile["uscc"], record["year"], profile["figures"][record["year"]])
        store.add_change(tx, profile["uscc"], actor_of(event), f"provincial registry, event {event.event_id}",
                         changed)
        announcements.announce_changes(tx, outbox, stored, profile, changed, on, REGISTRY_ROLE)
    return APPLIED
