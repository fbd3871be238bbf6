"""``make faults``: the network under a stream of work while its processes, its broker and its
database fail, then a count of what the clients were told against what is stored and delivered.

    python -m tests.faults [--enterprises 600] [--requests 150] [--provincial 2000] [--clients 16] [--restarts 1]

It builds a network of its own (:class:`tests.faults.network.PrivateNetwork`: a private
PostgreSQL cluster and RabbitMQ node in a temporary folder, every process supervised as
``make run`` supervises it) and drives it through the gateway (registrations, requests and
their transitions, ratings, a policy publication with its push) and through the provinces'
client (``enterprise.upserted`` of province 44, a few of them deliberately outside it).
Meanwhile it SIGKILLs each service in turn, then the gateway, restarts RabbitMQ
(``stop_app``/``start_app``) and restarts PostgreSQL (``--restarts`` times each: a race
that a restart catches now and then shows more often); callers retry with the same
idempotency key, the provincial publisher resends unconfirmed batches.

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
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clients", "province"))  # the provinces' client, as they install it

from tests.faults import stream
from tests.faults.check import Database, compare, queue_depths, wait_drained
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
        self.done = []          # (what, seconds it took the network to be ready again)
        self.killed = collections.Counter()
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
        took = time.monotonic() - started
        self.done.append((what, took))
        log(f"fault: {what}: network ready again after {took:.1f}s")
        time.sleep(self.pause)


# -- the provinces' client ----------------------------------------------------------------------

class ProvincialStream(threading.Thread):
    """Province 44 publishes ``enterprise.upserted`` events in batches with publisher confirms;
    a batch that fails is published again whole (the event ids make that safe)."""

    def __init__(self, url, count, batch=100):
        super().__init__(daemon=True)
        self.url, self.count, self.batch = url, count, batch
        self.confirmed = {}     # uscc → event_id
        self.bad = []           # uscc of events outside the province, parked by design
        self.resends = 0
        self.error = None

    def run(self):
        from onenet_province import Publisher, ProvinceClientError, new_event
        events = []
        for n in range(self.count):
            region = PROVINCE_COUNTIES[n % len(PROVINCE_COUNTIES)]
            uscc = stream.new_uscc(region)
            events.append((uscc, new_event("enterprise.upserted", {
                "source_version": 1, "uscc": uscc, "name": f"广东故障演练{uscc[-6:]}制造有限公司",
                "region_code": region, "industry_code": "C34",
                "figures": [{"year": 2024, "employees": 60, "revenue": 3000}]}, source="gd-faults-drill")))
        for n in range(BAD_PROVINCIAL):  # deliberately bad: an enterprise of 45 sent by 44
            uscc = stream.new_uscc("450102")
            self.bad.append(uscc)
            events.insert((n + 1) * len(events) // (BAD_PROVINCIAL + 1), (uscc, new_event("enterprise.upserted", {
                "source_version": 1, "uscc": uscc, "name": "广西越界企业有限公司", "region_code": "450102",
                "industry_code": "C34", "figures": [{"year": 2024, "employees": 10, "revenue": 100}]},
                source="gd-faults-drill")))
        try:
            publisher = None
            for start in range(0, len(events), self.batch):
                chunk = events[start:start + self.batch]
                while True:
                    try:
                        if publisher is None:
                            publisher = Publisher(self.url, batch_size=self.batch, retries=2).__enter__()
                        publisher.publish_many([event for _, event in chunk])
                        break
                    except (ProvinceClientError, OSError) as exc:
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
                time.sleep(0.05)
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
    parser.add_argument("--enterprises", type=int, default=600, help="registrations through the gateway")
    parser.add_argument("--requests", type=int, default=150, help="of them, how many raise a request "
                                                                   "(accepted, resolved, rated)")
    parser.add_argument("--provincial", type=int, default=2000, help="enterprise.upserted events of province 44")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
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
        provincial = ProvincialStream(net.province_url(PROVINCE, passwords[PROVINCE]), args.provincial)
        # the journeys that raise a request are spread evenly through the stream
        journeys = [(stream.new_uscc(COUNTIES[n % len(COUNTIES)]), n * args.requests % args.enterprises < args.requests)
                    for n in range(args.enterprises)]
        gateway_usccs = {uscc for uscc, _ in journeys}
        stream_done = threading.Event()
        faults = Faults(net, start_when=lambda: stream_done.is_set()
                        or ledger.count("registration") >= args.enterprises // 10, restarts=args.restarts)
        stream_started = time.monotonic()
        faults.start()
        provincial.start()
        policy_id = None
        pool = ThreadPoolExecutor(args.clients)
        try:
            futures = [pool.submit(stream.enterprise_journey, gateway, uscc, uscc[2:8], TAG, with_request)
                       for uscc, with_request in journeys]
            while ledger.count("registration") < min(50, args.enterprises):
                time.sleep(0.2)
            policy_id = stream.publish_policy(gateway, TAG)
            for future in futures:
                future.result()
        except BaseException:
            gateway.stopped.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        provincial.join()
        stream_done.set()
        faults.join()
        log(f"stream done in {time.monotonic() - stream_started:.0f}s; waiting for outboxes and queues to drain")
        unsent, busy = wait_drained(db, net)
        rows = check(db, ledger, provincial, policy_id, gateway_usccs, set(provincial.confirmed))
        depths = queue_depths(net)
        parked = {name: n for name, n in depths.items() if name.endswith("dead-letter") and n}
        exits = [line for line in net.supervisor_lines() if " exited " in line]
        killed = sum(faults.killed.values())
        duration = time.monotonic() - started
        report(rows, ledger, provincial, faults, unsent, busy, parked, net, exits, duration)
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
    print()
    print("faults (time until every process answered ready again):")
    for what, took in faults.done:
        print(f"  {what:34} {took:6.1f}s")
    print("process exits seen by the supervisor:")
    for line in exits:
        print("  " + line)
    print(f"outbox rows unsent at the end: {sum(unsent.values())}; consumer queues not empty: {busy or 'none'}")
    print("dead-letter queues holding messages:", parked or "none")
    for name in parked:
        for letter in net.parked(name)[:5]:
            print(f"  {name}: {json.dumps(letter, ensure_ascii=False, default=str)}")
    print(f"duration: {duration:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
