"""Who a policy's push reached (应知尽知), within a region prefix (None: everywhere)."""
from services.notifications import schemas, store


def policy_matches(tx, policy_id, within, query):
    """The enterprises a policy was pushed to, a page at a time, with the count and the push's progress."""
    after = schemas.decode_cursor(query["cursor"], 1)[0] if query.get("cursor") else None
    items = store.policy_matches(tx, policy_id, within, after, query["page_size"] + 1)
    reach = store.policy_reach(tx, policy_id, within)
    progress = store.push_state(tx, "policy", policy_id) or {}
    more = len(items) > query["page_size"]
    items = items[:query["page_size"]]
    return schemas.PolicyMatches().dump({
        "policy_id": policy_id, "within": within, "count": reach["notified"], "push": progress,
        "items": items, "page_size": query["page_size"],
        "next_cursor": schemas.encode_cursor(items[-1]["uscc"]) if more else None})


def policy_reach(tx, policy_id, within):
    """Of the enterprises a policy was pushed to, how many read it and how many raised a request about it."""
    return schemas.PushReach().dump(store.policy_reach(tx, policy_id, within))
