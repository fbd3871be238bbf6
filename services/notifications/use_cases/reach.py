"""Who a policy's push reached (应知尽知), within a region prefix (None: everywhere)."""
from chassis import keyset
from services.notifications import schemas, store
from services.notifications.store import MATCHES_ORDER


def policy_matches(tx, policy_id, within, query):
    """The enterprises a policy was pushed to, a page at a time, with the count and the push's progress."""
    filters = {"policy_id": int(policy_id), "within": within}
    start = keyset.decode(query.get("cursor"), MATCHES_ORDER, filters)
    items = store.policy_matches(tx, policy_id, within, start.position, query["page_size"] + 1)
    reach = store.policy_reach(tx, policy_id, within)
    # A policy never pushed answers its progress as the document says: every field, null.
    progress = store.push_state(tx, "policy", policy_id) or {"state": None, "started_at": None, "finished_at": None}
    items, cursor = keyset.page_of(MATCHES_ORDER, items, query["page_size"], filters, start)
    return schemas.PolicyMatches().dump({
        "policy_id": policy_id, "within": within, "count": reach["notified"], "push": progress,
        "items": items, "page_size": query["page_size"], "next_cursor": cursor})


def policy_reach(tx, policy_id, within):
    """Of the enterprises a policy was pushed to, how many read it and how many raised a request about it."""
    return schemas.PushReach().dump(store.policy_reach(tx, policy_id, within))
