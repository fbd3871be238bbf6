"""Failing handlers are retried with backoff a bounded number of times, then parked;
the queue keeps flowing; a message that is not an envelope is parked at once."""
import json
import os
import time

import eventlet

from chassis.events import (H_ATTEMPTS, H_ERROR, H_ORIGINAL_ROUTING_KEY, H_QUEUE,
                            dead_letter_queue_name, handles)
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from tests.integration.events import depth, drain, new_event, publish

HANDLED = []
ATTEMPTS = []


class Flaky:
    """A consumer whose handler always fails for payloads marked ``explode``."""

    name = "flaky"
    fixed = False
    correlation_id = CorrelationId()
    instrumentation = Instrumentation()

    @handles("test.work")
    def work(self, event):
        ATTEMPTS.append((event["event_id"], time.monotonic()))
        if event["payload"].get("explode") and not Flaky.fixed:
            raise RuntimeError(f"cannot do {event['payload']['n']}")
        HANDLED.append(event["payload"]["n"])


QUEUE = "flaky.work"

def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        eventlet.sleep(0.05)
    return True


def start(container_for):
    return container_for(Flaky, os.path.join("services", "notifications", "config.yml"),
                         AMQP_URI=os.environ["ONENET_AMQP_URI"], EVENT_RETRY_DELAYS=[0.2, 0.4])


def test_always_failing_handler_is_retried_then_parked_with_its_error(container_for):
    HANDLED.clear(), ATTEMPTS.clear()
    start(container_for)
    drain(dead_letter_queue_name(QUEUE))
    bad = new_event("test.work", {"n": 0, "explode": True})

    publish(bad)
    for n in range(1, 4):
        publish(new_event("test.work", {"n": n}))

    assert wait_until(lambda: HANDLED == [1, 2, 3], timeout=5), HANDLED
    assert wait_until(lambda: depth(dead_letter_queue_name(QUEUE)) == 1)
    [(headers, body)] = drain(dead_letter_queue_name(QUEUE))
    assert json.loads(body)["event_id"] == bad["event_id"]
    assert headers[H_ATTEMPTS] == 3
    assert "RuntimeError: cannot do 0" in headers[H_ERROR]
    assert headers[H_ORIGINAL_ROUTING_KEY] == "test.work"
    assert headers[H_QUEUE] == QUEUE
    times = [at for event_id, at in ATTEMPTS if event_id == bad["event_id"]]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.18 and times[2] - times[1] >= 0.38  # backoff, not a hot loop
    eventlet.sleep(1)
    assert len([1 for event_id, _ in ATTEMPTS if event_id == bad["event_id"]]) == 3


def test_messages_that_are_not_envelopes_are_parked_at_once_and_the_queue_flows(container_for):
    HANDLED.clear(), ATTEMPTS.clear()
    start(container_for)
    drain(dead_letter_queue_name(QUEUE))

    publish(None, routing_key="test.work", body=b"{not json")
    publish(None, routing_key="test.work", body=json.dumps({"type": "test.work"}).encode())
    publish(new_event("test.work", {"n": 7}))

    assert wait_until(lambda: HANDLED == [7])
    assert wait_until(lambda: depth(dead_letter_queue_name(QUEUE)) == 2)
    parked = drain(dead_letter_queue_name(QUEUE))
    reasons = sorted(headers[H_ERROR] for headers, _ in parked)
    assert "could not be decoded" in reasons[1]
    assert "lacks" in reasons[0]
    assert {body for _, body in parked} == {b"{not json", json.dumps({"type": "test.work"}).encode()}
    assert ATTEMPTS and len(ATTEMPTS) == 1


def test_parked_event_can_be_listed_and_replayed_once_the_cause_is_fixed(container_for):
    from chassis import deadletters
    HANDLED.clear(), ATTEMPTS.clear()
    start(container_for)
    drain(dead_letter_queue_name(QUEUE))
    event = new_event("test.work", {"n": 42, "explode": True})
    publish(event)
    assert wait_until(lambda: depth(dead_letter_queue_name(QUEUE)) == 1)

    [entry] = deadletters.list_parked(os.environ["ONENET_AMQP_URI"], QUEUE)
    assert entry["attempts"] == 3 and "cannot do 42" in entry["error"]
    assert depth(dead_letter_queue_name(QUEUE)) == 1  # listing leaves it parked

    Flaky.fixed = True
    try:
        assert deadletters.replay(os.environ["ONENET_AMQP_URI"], QUEUE) == 1
        assert wait_until(lambda: HANDLED == [42])
    finally:
        Flaky.fixed = False
    assert depth(dead_letter_queue_name(QUEUE)) == 0
