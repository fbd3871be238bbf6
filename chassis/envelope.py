"""The one event envelope every OneNet event travels in.

``event_id`` (UUID), ``type``, ``version``, ``occurred_at`` (ISO 8601 with zone),
``source`` (the owning service), ``correlation_id`` and ``payload``.
"""
import uuid
from datetime import datetime, timezone

FIELDS = ("event_id", "type", "version", "occurred_at", "source", "correlation_id", "payload")


class MalformedEvent(ValueError):
    """A message that is not a OneNet event envelope; it is parked, never retried."""


def make(event_type, payload, *, source, correlation_id, version=1):
    """A new envelope for ``payload``, stamped now."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "source": source,
        "correlation_id": correlation_id,
        "payload": payload,
    }


def check(body):
    """Return ``body`` if it is a well-formed envelope, else raise :class:`MalformedEvent`."""
    if not isinstance(body, dict):
        raise MalformedEvent(f"event body must be a JSON object, got {type(body).__name__}")
    missing = [name for name in FIELDS if name not in body]
    if missing:
        raise MalformedEvent(f"event envelope lacks {', '.join(missing)}")
    try:
        uuid.UUID(str(body["event_id"]))
    except ValueError:
        raise MalformedEvent(f"event_id {body['event_id']!r} is not a UUID") from None
    try:
        occurred = datetime.fromisoformat(str(body["occurred_at"]))
    except ValueError:
        raise MalformedEvent(f"occurred_at {body['occurred_at']!r} is not ISO 8601") from None
    if occurred.tzinfo is None:
        raise MalformedEvent("occurred_at must carry a time zone")
    if not isinstance(body["payload"], dict):
        raise MalformedEvent("payload must be a JSON object")
    return body
