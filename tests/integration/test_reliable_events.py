"""Failing handlers are retried with backoff a bounded number of times, then parked;
the queue keeps flowing; a message that is not an envelope is parked at once."""
import json
import os
import time
from datetime import datetime, timezone

import pytest
from prometheus_client import REGISTRY

from chassis.events import PermanentFailure, handles, retry_queue_name
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from tests.stack import depth, drain, new_event, publish, wait_for

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
        if event["payload"].get("hopeless"):
            raise PermanentFailure(f"{event['payload']['n']} can never be done")
        if event["payload"].get("explode") and not Flaky.fixed:
            raise RuntimeError(f"cannot do {event['payload']['n']}")
        HANDLED.append(event["payload"]["n"])


QUEUE = "flaky.work"
PARKED = "flaky.work.dead-letter"


@pytest.fixture
def flaky(container_for):
    """The flaky consumer with nothing handled or parked yet; it handles one delivery at a
    time, so deliveries finish in queue order."""
    HANDLED.clear(), ATTEMPTS.clear()
    container_for(Flaky, os.path.join("services", "notifications", "config.yml"),
                  AMQP_URI=os.environ["ONENET_AMQP_URI"], EVENT_RETRY_DELAYS=[0.2, 0.4], max_workers=1)
    drain(PARKED)


def attempts_at(event):
    return [at for event_id, at in ATTEMPTS if event_id == event["event_id"]]


def handled_sentinel(n):
    """Publish a good event and wait until it is handled: whatever was queued before it is done."""
    publish(new_event("test.work", {"n": n}))
    return wait_for(lambda: n in HANDLED)


def dead_lettered():
    return REGISTRY.get_sample_value("onenet_dead_lettered_total", {"service": "flaky", "queue": QUEUE}) or 0.0


def test_always_failing_handler_is_retried_then_parked_with_every_header_and_counted(flaky):
    parked_before = dead_lettered()
    bad = new_event("test.work", {"n": 0, "explode": True})
    sent_at = datetime.now(timezone.utc).replace(microsecond=0)

    publish(bad)
    for n in range(1, 4):
        publish(new_event("test.work", {"n": n}))

    assert wait_for(lambda: HANDLED == [1, 2, 3], timeout=5), HANDLED
    assert wait_for(lambda: depth(PARKED) == 1)
    [(headers, body)] = drain(PARKED)
    assert json.loads(body)["event_id"] == bad["event_id"]
    parked_at = datetime.strptime(headers.pop("x-onenet-parked-at"), "%Y-%m-%dT%H:%M:%SZ")
    assert sent_at <= parked_at.replace(tzinfo=timezone.utc) <= datetime.now(timezone.utc)
    assert {key: value for key, value in headers.items() if key.startswith("x-onenet-")} == {
        "x-onenet-attempts": 3,
        "x-onenet-error": "RuntimeError: cannot do 0",
        "x-onenet-exception": "RuntimeError",
        "x-onenet-original-exchange": "onenet.events",
        "x-onenet-original-routing-key": "test.work",
        "x-onenet-queue": "flaky.work",
    }
    # the handler counts a parked event once its copy is confirmed in the queue: a moment after it is there
    assert wait_for(lambda: dead_lettered() == parked_before + 1, timeout=5), (dead_lettered(), parked_before)
    times = attempts_at(bad)
    assert len(times) == 3
    assert times[1] - times[0] >= 0.18 and times[2] - times[1] >= 0.38  # backoff, not a hot loop
    # No fourth attempt: no copy waits in a delay queue, and one published after the
    # parking is handled with none before it.
    assert (depth(retry_queue_name(QUEUE, 0.2)), depth(retry_queue_name(QUEUE, 0.4))) == (0, 0)
    assert handled_sentinel(99)
    assert len(attempts_at(bad)) == 3


def test_permanent_failure_is_parked_at_once_without_a_retry(flaky):
    parked_before = dead_lettered()
    hopeless = new_event("test.work", {"n": 5, "hopeless": True})

    publish(hopeless)

    assert wait_for(lambda: depth(PARKED) == 1)
    [(headers, body)] = drain(PARKED)
    assert json.loads(body)["event_id"] == hopeless["event_id"]
    assert (headers["x-onenet-attempts"], headers["x-onenet-exception"], headers["x-onenet-error"]) == (
        1, "PermanentFailure", "chassis.events.PermanentFailure: 5 can never be done")
    assert wait_for(lambda: dead_lettered() == parked_before + 1, timeout=5), (dead_lettered(), parked_before)
    assert (depth(retry_queue_name(QUEUE, 0.2)), depth(retry_queue_name(QUEUE, 0.4))) == (0, 0)
    assert handled_sentinel(6)
    assert len(attempts_at(hopeless)) == 1


def test_messages_that_are_not_envelopes_are_parked_at_once_and_the_queue_flows(flaky):

    publish(None, routing_key="test.work", body=b"{not json")
    publish(None, routing_key="test.work", body=json.dumps({"type": "test.work"}).encode())
    publish(new_event("test.work", {"n": 7}))

    assert wait_for(lambda: HANDLED == [7])
    assert wait_for(lambda: depth(PARKED) == 2)
    parked = drain(PARKED)
    reasons = sorted(headers["x-onenet-error"] for headers, _ in parked)
    assert "could not be decoded" in reasons[1]
    assert "lacks" in reasons[0]
    assert {body for _, body in parked} == {b"{not json", json.dumps({"type": "test.work"}).encode()}
    assert ATTEMPTS and len(ATTEMPTS) == 1


class Gatherer:
    """A batch consumer: it reads its deliveries in the consumer's thread (chassis.events)."""

    name = "gatherer"
    correlation_id = CorrelationId()
    instrumentation = Instrumentation()

    @handles("test.gathered", batch=True)
    def gather(self, events):
        HANDLED.extend(event["payload"]["n"] for event in events)


def test_a_batch_handler_parks_what_is_not_an_envelope_and_its_queue_flows(container_for):
    HANDLED.clear()
    container_for(Gatherer, os.path.join("services", "notifications", "config.yml"),
                  AMQP_URI=os.environ["ONENET_AMQP_URI"], EVENT_BATCH_WAIT=0.05)
    drain("gatherer.gather.dead-letter")
    publish(None, routing_key="test.gathered", body=json.dumps({"type": "test.gathered"}).encode())
    for n in range(3):
        publish(new_event("test.gathered", {"n": n}))

    assert wait_for(lambda: sorted(HANDLED) == [0, 1, 2])
    assert wait_for(lambda: depth("gatherer.gather.dead-letter") == 1)
    (headers, body), = drain("gatherer.gather.dead-letter")
    assert "lacks" in headers["x-onenet-error"] and body == json.dumps({"type": "test.gathered"}).encode()
    assert depth("gatherer.gather") == 0


def test_parked_event_can_be_listed_and_replayed_once_the_cause_is_fixed(flaky):
    from chassis import deadletters
    event = new_event("test.work", {"n": 42, "explode": True})
    publish(event)
    assert wait_for(lambda: depth(PARKED) == 1)

    [entry] = deadletters.list_parked(os.environ["ONENET_AMQP_URI"], QUEUE)
    assert entry["attempts"] == 3 and "cannot do 42" in entry["error"]
    assert depth(PARKED) == 1  # listing leaves it parked

    Flaky.fixed = True
    try:
        assert deadletters.replay(os.environ["ONENET_AMQP_URI"], QUEUE) == 1
        assert wait_for(lambda: HANDLED == [42])
    finally:
        Flaky.fixed = False
    assert depth(PARKED) == 0
