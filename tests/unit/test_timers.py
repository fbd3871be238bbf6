"""Configured timers: the interval from the config, 0 for off, and a timer for work done once."""
import eventlet
from nameko.containers import ServiceContainer

from chassis.timers import every


class Ticking:
    name = "ticking"
    ticks = []

    @every("TICK_INTERVAL", 0.01, eager=True, until=lambda answer: answer == "done")
    def tick(self):
        self.ticks.append(len(self.ticks) + 1)
        return "done" if len(self.ticks) == 3 else None


def run_for(seconds, interval):
    Ticking.ticks = []
    container = ServiceContainer(Ticking, {"TICK_INTERVAL": interval})
    container.start()
    eventlet.sleep(seconds)
    container.stop()
    return list(Ticking.ticks)


def test_a_timer_for_work_done_once_stops_after_the_tick_that_says_it_is_done():
    assert run_for(0.5, 0.01) == [1, 2, 3]


def test_a_timer_set_to_0_never_ticks():
    assert run_for(0.1, 0) == []


def test_a_timer_without_until_ticks_on_at_its_interval():
    class Endless(Ticking):
        name = "endless"

        @every("TICK_INTERVAL", 0.01, eager=True)
        def tick(self):
            self.ticks.append(len(self.ticks) + 1)
            return "done"

    Ticking.ticks = []
    container = ServiceContainer(Endless, {"TICK_INTERVAL": 0.01})
    container.start()
    eventlet.sleep(0.3)
    container.stop()
    assert len(Ticking.ticks) > 5
