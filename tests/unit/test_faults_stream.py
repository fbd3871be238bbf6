"""The fault run's stream: journeys at a steady rate until stopped, and which attempts met a fault."""
import time

from tests.faults import stream
from tests.faults.check import answer_class, met


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_the_pacer_hands_out_slots_at_its_rate():
    clock = FakeClock()
    pacer = stream.Pacer(4, clock=clock, sleep=clock.sleep)
    slots = []
    for _ in range(5):
        pacer.wait()
        slots.append(clock.now)
    assert [round(b - a, 6) for a, b in zip(slots, slots[1:])] == [0.25] * 4


def test_the_pacer_makes_up_no_slot_after_a_pause():
    clock = FakeClock()
    pacer = stream.Pacer(4, clock=clock, sleep=clock.sleep)
    pacer.wait()
    clock.now += 10  # every client was busy (a fault): no burst of the slots missed
    pacer.wait()
    first = clock.now
    pacer.wait()
    assert first == 110.0 and clock.now == 110.25


def test_an_attempt_meets_a_fault_when_in_flight_at_some_moment_of_it():
    timeline = [("registration", 1.0, 2.0, 201),    # answered before the fault
                ("registration", 4.0, 11.0, 503),   # sent before, answered during
                ("request", 6.0, 7.0, 503),         # within
                ("rating", 9.0, 12.0, "no answer"),  # sent during, answered after
                ("registration", 3.0, 13.0, 201),   # spans the whole fault
                ("registration", 10.5, 10.6, 500),
                ("transition", 12.5, 13.0, 200)]    # after
    assert met(timeline, 5.0, 12.0) == {"503": 2, "no answer": 1, "2xx": 1, "500": 1}
    assert met(timeline, 20.0, 30.0) == {}


def test_answers_are_classed_as_the_report_shows_them():
    assert [answer_class(status) for status in (200, 201, 503, 500, 429, "no answer", "confirmed")] == [
        "2xx", "2xx", "503", "500", "other", "no answer", "confirmed"]


def test_the_stream_runs_until_finished_and_spreads_requests_evenly(monkeypatch):
    journeys = []
    monkeypatch.setattr(stream, "enterprise_journey",
                        lambda gateway, uscc, region, tag, with_request: journeys.append((uscc, with_request)))
    gateway = stream.Gateway("http://127.0.0.1:1", "secret", stream.Ledger())
    steady = stream.SteadyStream(gateway, ("110101",), "tag", per_second=200, clients=3, request_share=0.25,
                                 at_least=8).start()
    time.sleep(0.3)
    running = len(journeys)
    time.sleep(0.2)
    assert len(journeys) > running > 8  # still starting journeys: nothing ends it but finish()
    steady.finish()
    done = len(journeys)
    time.sleep(0.1)
    assert len(journeys) == done and not any(thread.is_alive() for thread in steady.threads)
    assert steady.usccs == {uscc for uscc, _ in journeys}
    flags = [with_request for _, with_request in journeys]
    assert all(sum(flags[n:n + 4]) == 1 for n in range(0, len(flags) - 3, 4))


def test_a_stream_finished_early_still_starts_its_fewest_journeys(monkeypatch):
    journeys = []
    monkeypatch.setattr(stream, "enterprise_journey",
                        lambda gateway, uscc, region, tag, with_request: journeys.append(uscc))
    gateway = stream.Gateway("http://127.0.0.1:1", "secret", stream.Ledger())
    steady = stream.SteadyStream(gateway, ("110101",), "tag", per_second=200, clients=2, at_least=20)
    steady._stop.set()
    steady.start().finish()
    assert len(journeys) == 20
