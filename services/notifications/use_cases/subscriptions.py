"""A recipient's webhook subscriptions and their delivery log. Whether a URL may be delivered to
(:func:`services.notifications.webhooks.resolve`, a DNS look-up) and a test request (a network call)
are the entrypoints', made outside any transaction."""
from chassis import keyset
from chassis.errors import Conflict, NotFound
from services.notifications import schemas, store
from services.notifications.store import DELIVERIES_ORDER


def subscribe(tx, recipient, owner_subject, data, secret, seal):
    """A new subscription to the recipient's notices (at most ``MAX_SUBSCRIPTIONS``); the answer alone
    carries the secret, which is stored as ``seal(secret)`` (:mod:`services.notifications.signing_secrets`)."""
    if store.count_subscriptions(tx, recipient) >= schemas.MAX_SUBSCRIPTIONS:
        raise Conflict(f"at most {schemas.MAX_SUBSCRIPTIONS} webhook subscriptions per recipient",
                       {"url": ["delete a subscription first"]})
    row = store.add_subscription(tx, recipient, str(owner_subject), data["url"], seal(secret), data["description"])
    return schemas.WebhookCreated().dump({**row, "secret": secret})


def listed(tx, recipient):
    return {"items": schemas.WebhookSubscription(many=True).dump(store.subscriptions(tx, recipient))}


def subscription(tx, recipient, subscription_id, lock=False, with_secret=False):
    """One of the recipient's subscriptions, or ``NotFound`` (also for another recipient's)."""
    row = None
    if str(subscription_id).isdigit():
        row = store.subscription(tx, int(subscription_id), recipient, lock, with_secret)
    if row is None:
        raise NotFound(f"no webhook subscription with id {subscription_id}",
                       {"subscription_id": str(subscription_id)})
    return row


def delete(tx, recipient, subscription_id):
    """End a subscription; its deliveries not yet made are cancelled (the log stays)."""
    row = subscription(tx, recipient, subscription_id, lock=True)
    store.delete_subscription(tx, row["id"])
    return {"id": row["id"], "state": "deleted"}


def deliveries(tx, recipient, subscription_id, query):
    """The delivery log of one subscription, newest first, for a loaded :class:`schemas.DeliveryQuery`."""
    filters = {"subscription_id": str(subscription_id)}
    start = keyset.decode(query.get("cursor"), DELIVERIES_ORDER, filters)
    row = subscription(tx, recipient, subscription_id)
    items = store.deliveries_of(tx, row["id"], start.position, query["page_size"] + 1)
    items, cursor = keyset.page_of(DELIVERIES_ORDER, items, query["page_size"], filters, start)
    return {"items": schemas.Delivery(many=True).dump(items), "page_size": query["page_size"],
            "next_cursor": cursor}
