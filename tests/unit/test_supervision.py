"""The run command's supervisor: a process that exits is started again, with a delay that
grows while it keeps exiting, and every exit and restart is logged; the others run on."""
import threading

from infra.network import Network


class FakeChild:
    def __init__(self, pid):
        self.pid, self.returncode = pid, None

    def poll(self):
        return self.returncode


class Clock:
    def __init__(self):
        self.now = 0.0


def supervised(exits, monkeypatch, **options):
    """Run the supervisor over one fake process ``p`` that exits ``exits`` times in a row;
    the log lines and the delays before each restart."""
    clock, lines, pids = Clock(), [], iter(range(100, 200))
    network = Network(env={})
    network.children = {"p": FakeChild(next(pids)), "other": FakeChild(99)}
    monkeypatch.setattr("infra.network.time.monotonic", lambda: clock.now)
    network.process = lambda name: name
    stop = threading.Event()
    remaining = [exits]

    def start(process):
        child = FakeChild(next(pids))
        network.children[process] = child
        return child

    network.start = start

    class Ticks:
        """``stop.wait``: move the clock on, let the current child exit while exits remain."""
        def wait(self, seconds):
            clock.now += seconds
            child = network.children["p"]
            if child.returncode is None and remaining[0] and not any(" exited " in line and f"pid {child.pid})"
                                                                     in line for line in lines):
                child.returncode = -9
                remaining[0] -= 1
            if not remaining[0] and network.children["p"].returncode is None and clock.now > 200:
                stop.set()

        def is_set(self):
            return stop.is_set()

    network.supervise(Ticks(), log=lines.append, **options)
    return lines


def test_an_exited_process_is_restarted_with_a_delay_that_doubles_while_it_keeps_exiting(monkeypatch):
    lines = supervised(4, monkeypatch, first_delay=0.5, max_delay=30.0, steady_after=60.0)

    exits = [line for line in lines if " exited with -9 " in line]
    assert [line.split("restarting in ")[1].split("s ")[0] for line in exits] == ["0.5", "1", "2", "4"]
    assert len([line for line in lines if "p restarted (pid" in line]) == 4
    assert not [line for line in lines if line.startswith("supervisor: other")]


def test_the_delay_never_passes_its_maximum(monkeypatch):
    lines = supervised(6, monkeypatch, first_delay=1.0, max_delay=5.0, steady_after=60.0)

    delays = [line.split("restarting in ")[1].split("s ")[0] for line in lines if " exited " in line]
    assert delays == ["1", "2", "4", "5", "5", "5"]


class Interrupted(Exception):
    """What the run's own Ctrl-C handler (Python's: KeyboardInterrupt) would raise."""


def test_a_ctrl_c_while_stopping_kills_every_process_at_once_and_leaves_none_behind():
    import os
    import signal
    import subprocess
    import sys
    import time
    # Processes slow to stop: SIGTERM is ignored, so only stop_all's timeout or a kill ends them.
    slow = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(flush=True); time.sleep(60)"
    network = Network(env={})
    children = [subprocess.Popen([sys.executable, "-c", slow], stdout=subprocess.PIPE) for _ in range(3)]
    for child in children:
        child.stdout.readline()  # its handler is in place
    network.children = {"a": children[0], "b": children[1]}

    def interrupted(*_):
        raise Interrupted

    previous = signal.signal(signal.SIGINT, interrupted)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        began = time.monotonic()
        network.stop_all(others=[children[2]], timeout=20)
        took = time.monotonic() - began
        assert signal.getsignal(signal.SIGINT) is interrupted  # the run's own handler is back
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        for child in children:
            child.kill()
            child.wait()
    assert took < 5
    assert [child.returncode for child in children] == [-signal.SIGKILL] * 3
    assert network.children == {}
