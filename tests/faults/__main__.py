"""``make faults``: the network under a stream of work while its processes, its broker and its
database fail, then a count of what the clients were told against what is stored and delivered.

    python -m tests.faults [--rate 6] [--request-share 0.25] [--provincial-rate 40] [--clients 16] [--restarts 1]

It builds a network of its own (:class:`tests.faults.network.PrivateNetwork`: a private
PostgreSQL cluster and RabbitMQ node in a temporary folder, every process supervised as
``make run`` supervises it) and drives it through the gateway (registrations, requests and
their transitions, ratings, a policy publication with its push) and through the provinces'
client (``enterprise.upserted`` of province 44, a few of them deliberately outside it),
each at a steady rate. Meanwhile it SIGKILLs each service in turn, then the gateway, restarts
RabbitMQ (``stop_app``/``start_app``) and restarts PostgreSQL (``--restarts`` times each: a
race that a restart catches now and then shows more often); callers retry with the same
idempotency key, the provincial publisher resends unconfirmed batches. The stream goes on
until the last fault has passed and the network is ready again, and only then stops; each
fault is reported with the work that was in flight while it lasted and how it was answered.

Then it waits for every outbox to drain and every queue to empty, and prints per kind of
operation how many were acknowledged, lost (acknowledged, not stored), duplicated (stored
twice) and unexpected (stored, never acknowledged), the answers the callers saw, the
dead-letter queues with what they hold, and which processes exited other than by the
run's own kills. Exit status 0 only when all of it is zero but the deliberately bad
provincial events, parked in the province's dead-letter queue.
"""
import argparse
import collections
import json
import os
import signal
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "province"))  # the provinces' client, as they install it

from tests.faults import stream
from tests.faults.check import Database, compare, met, queue_depths, wait_drained
from tests.faults.network import JWT_SECRET, PrivateNetwork

SERVICES = ("agencies", "enterprises", "requests", "notifications", "activities", "provinces")
COUNTIES = ("110101", "110102", "110105", "110106", "110108")
PROVINCE, PROVINCE_COUNTIES = "44", ("440103", "440104", "440106", "440111", "440305")
BAD_PROVINCIAL = 3
TAG = "faults-drill"


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


# -- the faults -------------------------------------------------------------------------------

class Faults(threading.Thread):
    """Each service killed in turn, the gateway killed, the broker and the database restarted."""

    def __init__(self, net, start_when, pause=4.0, restarts=1):
        super().__init__(daemon=True)
        self.net, self.start_when, self.pause, self.restarts = net, start_when, pause, restarts
        self.done = []          # (what, began, ready again): time.monotonic()
        self.killed = collections.Counter()
        self.over = threading.Event()  # the last fault has passed and the network is ready again
        self.error = None

    def run(self):
        try:
            while not self.start_when():
                time.sleep(0.5)
            for name in (*SERVICES, "gateway"):
                self._kill(name)
            for _ in range(self.restarts):
                self._timed("RabbitMQ stop_app/start_app", lambda: self.net.rabbit.restart_app(down_seconds=3))
                self._timed("PostgreSQL restart", lambda: self.net.postgres.restart(down_seconds=3))
        except Exception as exc:  # reported, and fails the run
            self.error = exc
        finally:
            self.over.set()

    def _kill(self, name):
        before = self.net.pid(name)
        self.killed[name] += 1
        self._timed(f"SIGKILL {name}", lambda: self.net.kill(name),
                    lambda: self.net.pid(name) != before)

    def _timed(self, what, act, restarted=lambda: True):
        log(f"fault: {what}")
        started = time.monotonic()
        act()
        while not restarted():
            time.sleep(0.2)
        self.net.wait_ready(timeout=180)
        ready = time.monotonic()
        self.done.append((what, started, ready))
        log(f"fault: {what}: network ready again after {ready - started:.1f}s")
        time.sleep(self.pause)


# -- the provinces' client ----------------------------------------------------------------------

class ProvincialStream(threading.Thread):
    """Province 44 publishes ``enterprise.upserted`` events, a batch of ``batch`` every
    ``batch / per_second`` seconds with publisher confirms, until stopped (and ``at_least``
    events were confirmed); a batch that fails is published again whole (the event ids make
    that safe). The first batches carry the deliberately bad events."""

    def __init__(self, url, per_second=40, batch=20, at_least=0):
        super().__init__(daemon=True)
        self.url, self.batch, self.at_least = url, batch, at_least
        self.pacer = stream.Pacer(per_second / batch)
        self.confirmed = {}     # uscc → event_id
        self.bad = []           # uscc of events outside the province, parked by design
        self.resends = 0
        self.timeline = []      # ("provincial batch", sent at, settled at, "confirmed" or "failed")
        self.stop = threading.Event()
        self.error = None

    def _events(self, number):
        from onenet_province import new_event
        events = []
        for n in range(self.batch):
            region = PROVINCE_COUNTIES[n % len(PROVINCE_COUNTIES)]
            uscc = stream.new_uscc(region)
            events.append((uscc, new_event("enterprise.upserted", {
                "source_version": 1, "uscc": uscc, "name": f"广东故障演练{uscc[-6:]}制造有限公司",
                "region_code": region, "industry_code": "C34",
                "figures": [{"year": 2024, "employees": 60, "revenue": 3000}]}, source="gd-faults-drill")))
        if 0 < number <= BAD_PROVINCIAL:  # deliberately bad: an enterprise of 45 sent by 44
            uscc = stream.new_uscc("450102")
            self.bad.append(uscc)
            events.insert(self.batch // 2, (uscc, new_event("enterprise.upserted", {
                "source_version": 1, "uscc": uscc, "name": "广西越界企业有限公司", "region_code": "450102",
                "industry_code": "C34", "figures": [{"year": 2024, "employees": 10, "revenue": 100}]},
                source="gd-faults-drill")))
        return events

    def run(self):
        from onenet_province import ProvinceClientError, Publisher
        publisher = None
        try:
            number = 0
            while not (self.stop.is_set() and len(self.confirmed) >= self.at_least and number > BAD_PROVINCIAL):
                self.pacer.wait()
                chunk = self._events(number)
                number += 1
                while True:
                    sent_at = time.monotonic()
                    try:
                        if publisher is None:
                            publisher = Publisher(self.url, batch_size=self.batch + 1, retries=2).__enter__()
                        publisher.publish_many([event for _, event in chunk])
                        self.timeline.append(("provincial batch", sent_at, time.monotonic(), "confirmed"))
                        break
                    except (ProvinceClientError, OSError) as exc:
                        self.timeline.append(("provincial batch", sent_at, time.monotonic(), "failed"))
                        if not getattr(exc, "retriable", True):
                            raise
                        self.resends += 1
                        try:
                            if publisher is not None:
                                publisher.__exit__(None, None, None)
                        except Exception:
                            pass
                        publisher, _ = None, time.sleep(1)
                for uscc, event in chunk:
                    if uscc not in self.bad:
                        self.confirmed[uscc] = event["event_id"]
            if publisher is not None:
                publisher.__exit__(None, None, None)
        except Exception as exc:
            self.error = exc


# -- the check -----------------------------------------------------------------------------------

def check(db, ledger, provincial, policy_id, gateway_usccs, provincial_usccs):
    """Rows of ``(kind, acknowledged, lost, duplicated, unexpected)``."""
    rows = []
    registered = db.counts("enterprises", "SELECT uscc AS key, count(*) AS n FROM enterprise "
                                          "WHERE uscc = ANY(%s) GROUP BY uscc", (list(gateway_usccs),))
    events = db.counts("enterprises", "SELECT aggregate_id AS key, count(*) AS n FROM outbox "
                                      "WHERE event_type = 'enterprise.registered' GROUP BY aggregate_id")
    acked = ledger.acknowledged["registration"]
    rows.append(("registration (stored)", len(acked), *compare(acked, registered)))
    rows.append(("registration (enterprise.registered events)", len(acked),
                 *compare(acked, {k: n for k, n in events.items() if k in gateway_usccs})))
    requests = db.counts("requests", "SELECT uscc AS key, count(*) AS n FROM service_request GROUP BY uscc")
    acked = ledger.acknowledged["request"]
    rows.append(("request submitted", len(acked), *compare(acked, requests)))
    history = db.counts("requests", "SELECT request_id::text || ':' || action AS key, count(*) AS n "
                                    "FROM request_history WHERE action IN ('accept', 'resolve') GROUP BY 1")
    acked = ledger.acknowledged["transition"]
    rows.append(("request transition", len(acked), *compare(acked, history)))
    ratings = db.counts("requests", "SELECT request_id::text AS key, count(*) AS n FROM request_rating GROUP BY 1")
    acked = ledger.acknowledged["rating"]
    rows.append(("rating", len(acked), *compare(acked, ratings)))
    stored_provincial = db.counts("enterprises", "SELECT uscc AS key, count(*) AS n FROM enterprise "
                                                 "WHERE region_code LIKE %s OR region_code LIKE '45%%' GROUP BY uscc",
                                  (f"{PROVINCE}%",))
    rows.append(("provincial enterprise.upserted (confirmed)", len(provincial.confirmed),
                 *compare(provincial.confirmed, stored_provincial)))
    welcome = db.counts("notifications", "SELECT recipient_id AS key, count(*) AS n FROM notice "
                                         "WHERE recipient_kind = 'enterprise' AND kind = 'welcome' GROUP BY 1")
    every = {**ledger.acknowledged["registration"], **provincial.confirmed}
    rows.append(("welcome notice delivered", len(every), *compare(every, welcome)))
    if policy_id is not None:
        pushed = db.counts("notifications", "SELECT recipient_id AS key, count(*) AS n FROM notice "
                                            "WHERE recipient_kind = 'enterprise' AND about_type = 'policy' "
                                            "AND about_id = %s GROUP BY 1", (str(policy_id),))
        acked = ledger.acknowledged["registration"]
        rows.append(("policy push notice delivered", len(acked), *compare(acked, pushed)))
    published = db.counts("agencies", "SELECT aggregate_id AS key, count(*) AS n FROM outbox "
                                      "WHERE event_type = 'policy.published' GROUP BY 1")
    acked = {str(policy_id): True} if "publication" in ledger.acknowledged["policy"] else {}
    rows.append(("policy publication (policy.published events)", len(acked), *compare(acked, published)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=6.0, help="enterprise journeys started a second through "
                                                                "the gateway (each a registration)")
    parser.add_argument("--request-share", type=float, default=0.25, help="of the journeys, the share that raise "
                                                                          "a request (accepted, resolved, rated)")
    parser.add_argument("--enterprises", type=int, default=300, help="the fewest journeys before the stream stops")
    parser.add_argument("--provincial-rate", type=float, default=40.0, help="enterprise.upserted events of "
                                                                            "province 44 a second")
    parser.add_argument("--provincial", type=int, default=2000, help="the fewest provincial events confirmed "
                                                                     "before the stream stops")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (the rate is theirs "
                                                                "to keep; a busy client takes no slot)")
    parser.add_argument("--restarts", type=int, default=1, help="how many times the broker and then the database "
                                                                 "are restarted, after the kills")
    parser.add_argument("--keep", action="store_true", help="keep the private servers' folder (logs)")
    args = parser.parse_args(argv)
    # Stopped from outside, it still stops what it started (the private servers, every process).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    failures = []
    with PrivateNetwork(keep=args.keep) as net:
        log(f"private network up in {time.monotonic() - started:.0f}s (servers and logs in {net.base})")
        db = Database(net.env["ONENET_DATABASE_URL"])
        ledger = stream.Ledger()
        gateway = stream.Gateway(net.gateway_url, JWT_SECRET, ledger)
        gateway.write("skeleton", "skeleton", "POST", "/api/v1/agencies/skeleton", gateway.token("national_admin"))
        with net.rabbitmqctl_env():
            from infra import provinces
            passwords = provinces.make_users(net.env["ONENET_AMQP_URI"], provinces.Users(net.env["ONENET_AMQP_URI"]),
                                             net.env["ONENET_PROVINCE_USER_PREFIX"], renew=True, codes=[PROVINCE])
        provincial = ProvincialStream(net.province_url(PROVINCE, passwords[PROVINCE]), args.provincial_rate,
                                      at_least=args.provincial)
        journeys = stream.SteadyStream(gateway, COUNTIES, TAG, args.rate, args.clients, args.request_share,
                                       at_least=args.enterprises)
        # the faults begin once the stream is flowing, and the stream flows until they are over
        faults = Faults(net, start_when=lambda: ledger.count("registration") >= min(30, args.enterprises),
                        restarts=args.restarts)
        stream_started = time.monotonic()
        faults.start()
        provincial.start()
        journeys.start()
        policy_id = None
        try:
            while ledger.count("registration") < min(50, args.enterprises) and not faults.over.is_set():
                time.sleep(0.2)
            policy_id = stream.publish_policy(gateway, TAG)
            faults.over.wait()
            log(f"faults over after {time.monotonic() - stream_started:.0f}s of stream; stopping it")
            provincial.stop.set()
            journeys.finish()
            provincial.join()
        except BaseException:
            gateway.stopped.set()
            provincial.stop.set()
            raise
        faults.join()
        gateway_usccs, stream_window = journeys.usccs, (stream_started, time.monotonic())
        log(f"stream done in {stream_window[1] - stream_started:.0f}s; waiting for outboxes and queues to drain")
        unsent, busy = wait_drained(db, net)
        rows = check(db, ledger, provincial, policy_id, gateway_usccs, set(provincial.confirmed))
        depths = queue_depths(net)
        parked = {name: n for name, n in depths.items() if name.endswith("dead-letter") and n}
        exits = [line for line in net.supervisor_lines() if " exited " in line]
        killed = sum(faults.killed.values())
        duration = time.monotonic() - started
        report(rows, ledger, provincial, faults, unsent, busy, parked, net, exits, duration)
        report_faults(faults, ledger, provincial, stream_window)
        failures += [f"{kind}: lost {lost}, duplicated {dup}, unexpected {unexp}"
                     for kind, _, lost, dup, unexp in rows if lost or dup or unexp]
        failures += [f"{kind}: {n} answers of 500" for kind, seen in ledger.status_seen.items()
                     for status, n in seen.items() if status == 500]
        failures += [f"{kind}: refused {answers[:3]}" for kind, answers in ledger.refused.items() if answers]
        if any(unsent.values()):
            failures.append(f"outbox not drained: {unsent}")
        if busy:
            failures.append(f"queues not drained: {busy}")
        expected_parked = {f"province.{PROVINCE}.dead-letter": BAD_PROVINCIAL}
        if parked != expected_parked:
            failures.append(f"dead letters {parked}, expected only {expected_parked}")
        if len(exits) != killed:
            failures.append(f"{len(exits) - killed} process exit(s) besides the {killed} kills: see supervisor lines")
        for thread in (faults, provincial):
            if thread.error is not None:
                failures.append(f"{type(thread).__name__} failed: {thread.error!r}")
        failures += [f"a journey failed: {error!r}" for error in journeys.errors[:3]]
        for what, began, ready in faults.done:
            if not met(ledger.timeline, began, ready) or not met(provincial.timeline, began, ready):
                failures.append(f"{what}: no gateway call or no provincial batch was in flight during it")
        if len(faults.done) != len(SERVICES) + 1 + 2 * args.restarts:
            failures.append(f"only {len(faults.done)} faults were applied")
        if duration > 600:
            failures.append(f"the run took {duration:.0f}s, over 10 minutes")
        if failures:
            print_error_lines(net)
    for failure in failures:
        print("FAILED:", failure)
    print("faults: OK" if not failures else f"faults: {len(failures)} failure(s)")
    return 1 if failures else 0


# What a 500 or a crash leaves in a process's log (a call that timed out during a fault is expected).
FAILURE_MARKS = ("process_crashed", "unhandled_error")


def print_error_lines(net):
    """The last lines of each process's log that tell of a crash or an unhandled error."""
    for name in net.network.children if net.network else ():
        lines = net.error_lines(name, last=8, marks=FAILURE_MARKS)
        if lines:
            print(f"errors in the {name} log (last {len(lines)}):")
            for line in lines:
                print("  " + (line if len(line) < 1200 else line[:300] + " … " + line[-900:]))


def report(rows, ledger, provincial, faults, unsent, busy, parked, net, exits, duration):
    print()
    print(f"{'kind of operation':48} {'acknowledged':>12} {'lost':>6} {'duplicated':>10} {'unexpected':>10}")
    for kind, acked, lost, dup, unexp in rows:
        print(f"{kind:48} {acked:>12} {lost:>6} {dup:>10} {unexp:>10}")
    print()
    print("answers the gateway's callers saw (status: count), and their retries with the same key:")
    for kind in sorted(ledger.status_seen):
        seen = ", ".join(f"{status}: {n}" for status, n in sorted(ledger.status_seen[kind].items(), key=str))
        print(f"  {kind:12} {seen}; retried {ledger.retries[kind]}")
    print(f"  provincial batches published again after a failure: {provincial.resends}")
    print("process exits seen by the supervisor:")
    for line in exits:
        print("  " + line)
    print(f"outbox rows unsent at the end: {sum(unsent.values())}; consumer queues not empty: {busy or 'none'}")
    print("dead-letter queues holding messages:", parked or "none")
    for name in parked:
        for letter in net.parked(name)[:5]:
            print(f"  {name}: {json.dumps(letter, ensure_ascii=False, default=str)}")
    print(f"duration: {duration:.0f}s")


ANSWERS = ("2xx", "503", "500", "no answer", "other")


def report_faults(faults, ledger, provincial, stream_window):
    """Per fault, the gateway calls and provincial batches in flight at some moment of it (from
    the fault to every process answering ready again) and how they came out; first the whole
    stream's."""
    print()
    print("faults, each from its start until every process answered ready again, and the work in flight "
          "meanwhile (gateway calls by answer; provincial batches):")
    print(f"  {'fault':34} {'lasted':>8} {'calls':>6} " + " ".join(f"{answer:>9}" for answer in ANSWERS)
          + f" {'batches':>8} {'confirmed':>9} {'failed':>6}")
    for what, began, ready in [("whole stream", *stream_window), *faults.done]:
        calls, batches = met(ledger.timeline, began, ready), met(provincial.timeline, began, ready)
        print(f"  {what:34} {ready - began:7.1f}s {sum(calls.values()):>6} "
              + " ".join(f"{calls.get(answer, 0):>9}" for answer in ANSWERS)
              + f" {sum(batches.values()):>8} {batches.get('confirmed', 0):>9} {batches.get('failed', 0):>6}")


if __name__ == "__main__":
    sys.exit(main())
