"""Building and checking the network's envelope for the events a province publishes."""
import json
import re
import uuid
from datetime import datetime, timezone

from onenet_province.errors import InvalidEvent

FIELDS = ("event_id", "type", "version", "occurred_at", "source", "correlation_id", "payload")
TYPE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def new_event(event_type, payload, source, correlation_id=None, version=1, occurred_at=None):
    """An envelope for ``payload`` (a dict), stamped now unless ``occurred_at`` is given."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": (occurred_at or datetime.now(timezone.utc)).isoformat(),
        "source": source,
        "correlation_id": correlation_id or str(uuid.uuid4()),
        "payload": payload,
    }


def check(event):
    """``event`` if it has the envelope's fields in the right shape, else :class:`InvalidEvent`."""
    if not isinstance(event, dict):
        raise InvalidEvent(f"an event is a JSON object, got {type(event).__name__}")
    missing = [name for name in FIELDS if name not in event]
    if missing:
        raise InvalidEvent(f"event lacks {', '.join(missing)}")
    if not TYPE.match(str(event["type"])):
        raise InvalidEvent(f"type {event['type']!r} is not <entity>.<verb>")
    try:
        uuid.UUID(str(event["event_id"]))
    except ValueError:
        raise InvalidEvent(f"event_id {event['event_id']!r} is not a UUID") from None
    return event


def encode(event):
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def province_of_user(user):
    """The province code in a user name ``province-<code>`` (after any namespace)."""
    match = re.search(r"province-(\d{2})$", user or "")
    if not match:
        raise ValueError(f"user {user!r} is not a province's user (province-<code>)")
    return match.group(1)
