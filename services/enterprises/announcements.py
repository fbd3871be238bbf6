"""What a changed profile announces: ``enterprise.updated``, ``.tier_changed``, ``.size_class_changed``.

One place for every path that changes a profile (the gateway's edits, the
provinces' registries), so each announces a change the same way.
"""
from services.enterprises import domain


def announce_changes(tx, outbox, stored, profile, changed, on, decided_by):
    """Add to ``outbox`` the events of ``changed`` (field → (old, new)) between ``stored`` and ``profile``."""
    uscc = profile["uscc"]
    updated = domain.updated_event(profile, changed)
    if updated:
        outbox.add(tx, "enterprise.updated", updated, aggregate_id=uscc)
    if "tiers" in changed:
        outbox.add(tx, "enterprise.tier_changed", domain.tier_changed_event(
            profile, domain.active_tiers(stored["tiers"], on), domain.active_tiers(profile["tiers"], on),
            "edited", decided_by), aggregate_id=uscc)
    resized = domain.size_class_changed_event(profile, stored["size_class"])
    if resized:
        outbox.add(tx, "enterprise.size_class_changed", resized, aggregate_id=uscc)
