"""The notifications service's business figures for Prometheus (notices written, deliveries)."""
from prometheus_client import Counter, Histogram

NOTICES_WRITTEN = Counter(
    "onenet_notices_written_total", "Notices written to inboxes, by kind.", ["kind"])
DELIVERIES = Counter(
    "onenet_deliveries_total", "Delivery attempts over webhook and e-mail, by outcome "
    "(delivered, failed, refused, given_up).", ["channel", "outcome"])
SUBSCRIPTIONS_PAUSED = Counter(
    "onenet_webhook_subscriptions_paused_total", "Webhook subscriptions paused after repeated failure.")
PUSH_DURATION = Histogram(
    "onenet_policy_push_duration_seconds", "Time from the start of a push (a policy, an activity invitation) to its last notice.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
