"""Awards (专精特新 and the like) that expire: each expiry is announced once."""
from services.enterprises import domain, store


def announce_expired(tx, outbox, on):
    """Claim a batch of the awards expired before ``on`` and announce each enterprise whose active
    tiers they change (``enterprise.tier_changed``, reason ``expired``): ``(claimed, announced)``;
    nothing claimed means nothing is left. Safe in several replicas (claims skip locked rows)."""
    expired = store.claim_expired_tiers(tx, on)
    found = store.tiers_and_regions(tx, expired) if expired else {}
    items = []
    for uscc, (region_code, tiers) in found.items():
        after = domain.active_tiers(tiers, on)
        before = sorted(set(after) | expired[uscc])
        if before != after:
            event = domain.tier_changed_event({"uscc": uscc, "region_code": region_code},
                                              before, after, "expired", "system")
            items.append((event, uscc))
    outbox.add_many(tx, "enterprise.tier_changed", items)
    return len(expired), len(items)
