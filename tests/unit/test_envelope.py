import uuid
from datetime import datetime

import pytest

from chassis import envelope


def test_new_envelope_has_every_field_with_a_zoned_timestamp():
    event = envelope.make("enterprise.registered", {"uscc": "x"}, source="enterprises",
                          correlation_id="c-1")
    assert set(event) == set(envelope.FIELDS)
    uuid.UUID(event["event_id"])
    assert datetime.fromisoformat(event["occurred_at"]).tzinfo is not None
    assert envelope.check(event) is event


def good(**changes):
    event = envelope.make("t.x", {}, source="s", correlation_id="c")
    event.update(changes)
    return event


@pytest.mark.parametrize("body, problem", [
    ([1, 2], "JSON object"),
    ({"type": "x"}, "lacks"),
    (good(event_id="nope"), "not a UUID"),
    (good(occurred_at="yesterday"), "ISO 8601"),
    (good(occurred_at="2026-01-01T00:00:00"), "time zone"),
    (good(payload=[1]), "payload"),
])
def test_malformed_envelopes_are_rejected_with_the_reason(body, problem):
    with pytest.raises(envelope.MalformedEvent, match=problem):
        envelope.check(body)
