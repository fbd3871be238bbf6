"""Requests: RPC hops and SQL statements per submission and per step, and ``POST /requests`` throughput.

Creates its own database and RabbitMQ vhost (``onenet_bench_requests``), applies the
migrations, loads the national agency skeleton (≈3,200 agencies) and prints:

* per submission, per acceptance, per escalation by hand and per acceptance naming
  the provider that does the work (at the agency escalated to): the RPC calls the
  requests service makes to other services (hops), and the SQL statements run by
  every worker that takes part (the requests service's and those of the services it
  calls), counted at the psycopg2 cursor, with the agencies and requests services
  in this process;
* ``POST /api/v1/requests`` through the gateway with the network started as
  ``make run`` starts it (gateway, agencies, enterprises, requests, notifications as
  separate processes), a few clients for a fixed time, beside the same-run baseline
  of ``GET /api/v1/requests/{id}`` (one RPC to the requests service and its reads).

    python bench/bench_requests_hops.py [--calls 100] [--seconds 20] [--clients 8]

Drops the database and vhost at the end.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402
import eventlet.corolocal  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import collections  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_enterprises import admin, rabbitmqctl  # noqa: E402  (the benches' one database and broker set-up)

NAME = "onenet_bench_requests"
SERVER = os.environ.get("ONENET_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{NAME}"
AMQP_URI = os.environ.get("ONENET_BENCH_AMQP", f"amqp://guest:guest@127.0.0.1:5672/{NAME}")
SECRET = "bench-secret-for-the-requests-benchmark-only"
WEBHOOK_SECRET_KEYS = "YmVuY2gta2V5LWZvci10aGUtcmVxdWVzdHMtYmVuY2g="  # "bench-key-for-the-requests-bench"
PORT_BASE = 31300
ENV = {
    "ONENET_DATABASE_URL": DATABASE_URL, "ONENET_AMQP_URI": AMQP_URI, "ONENET_JWT_SECRET": SECRET,
    "ONENET_WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEYS,
    "GATEWAY_PORT": str(PORT_BASE), "GATEWAY_OPS_PORT": str(PORT_BASE + 100),
    "AGENCIES_OPS_PORT": str(PORT_BASE + 101), "ENTERPRISES_OPS_PORT": str(PORT_BASE + 102),
    "REQUESTS_OPS_PORT": str(PORT_BASE + 103), "NOTIFICATIONS_OPS_PORT": str(PORT_BASE + 104),
    "ACTIVITIES_OPS_PORT": str(PORT_BASE + 105), "PROVINCES_OPS_PORT": str(PORT_BASE + 106),
    "ONENET_RATE_LIMIT": "100000000/minute", "ONENET_RATE_LIMIT_PREFIX": NAME,
    "ONENET_LOG_LEVEL": "WARNING", "ONENET_SMTP_PORT": str(PORT_BASE + 25), "ONENET_ESCALATION_INTERVAL": "0",
}
COUNTY = "320102"   # 南京市玄武区
USCC = "91320102MA1XB0003L"
ENTERPRISE = {"role": "enterprise", "scope": USCC, "subject": "bench"}
SUBMISSION = {"service_area": "policy", "title": "申请政策兑现", "description": "研发费用加计扣除如何申报",
              "region_code": COUNTY}
PROVIDER = {"name": "南京玄武企业服务有限公司", "uscc": "91320102MA1XB0005T", "region_code": "320100",
            "established_on": "2016-05-01", "served_enterprises": 40,
            "qualifications": [{"name": "代理记账许可证", "number": "DLJZ-32-001", "issuer": "南京市财政局"}]}


def set_up(name=NAME, env=ENV):
    """An empty database and vhost ``name``, prepared as ``make run`` prepares its own (the
    gateway benchmark's too)."""
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rabbitmqctl("delete_vhost", name, check=False)
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    os.environ.update(env)
    from infra import network
    network.prepare()


def tear_down(name=NAME):
    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    rabbitmqctl("delete_vhost", name, check=False)


def wait_until(check, timeout, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(every)
    raise RuntimeError("timed out waiting")


def copy_complete(total, database_url=DATABASE_URL):
    """True once the requests service has copied ``total`` agencies (always, before it kept a copy)."""
    import psycopg2
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('requests.agency') IS NOT NULL")
            if not cur.fetchone()[0]:
                return True
            cur.execute("SELECT count(*) FROM requests.agency")
            return cur.fetchone()[0] >= total
    finally:
        conn.close()


# -- hops and statements, counted in this process --------------------------------------------

class Counts:
    """Statements and outgoing RPC calls, by the worker (service.method) they ran in."""

    def __init__(self):
        self.local = eventlet.corolocal.local()
        self.statements = collections.Counter()
        self.calls = collections.Counter()
        self.served = collections.Counter()

    def worker(self):
        return getattr(self.local, "worker", None)

    def reset(self):
        self.statements.clear()
        self.calls.clear()
        self.served.clear()


COUNTS = Counts()


def instrument():
    """Count at the psycopg2 cursor every service uses and at nameko's RPC proxy."""
    from nameko.extensions import DependencyProvider
    from nameko.rpc import MethodProxy

    from chassis import db

    class CountingCursor(db.CountedCursor):
        def execute(self, query, vars=None):
            if COUNTS.worker():
                COUNTS.statements[COUNTS.worker()] += 1
            return super().execute(query, vars)

    db.CountedCursor = CountingCursor   # what chassis.db.Transaction opens
    original_call = MethodProxy.__call__

    def counted_call(self, *args, **kwargs):
        if COUNTS.worker():
            COUNTS.calls[f"{self.service_name}.{self.method_name}"] += 1
        return original_call(self, *args, **kwargs)

    MethodProxy.__call__ = counted_call

    class WorkerLabel(DependencyProvider):
        def worker_setup(self, worker_ctx):
            COUNTS.local.worker = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
            COUNTS.served[COUNTS.local.worker] += 1

        def worker_teardown(self, worker_ctx):
            COUNTS.local.worker = None

    return WorkerLabel


def count_hops(calls):
    from nameko.containers import ServiceContainer
    from nameko.standalone.rpc import ClusterRpcProxy

    from chassis import config as process_config
    from services.agencies.service import AgenciesService
    from services.requests.service import RequestsService

    label = instrument()
    agencies_cls = type("AgenciesService", (AgenciesService,), {"bench_label": label()})
    requests_cls = type("RequestsService", (RequestsService,), {"bench_label": label()})
    containers = [
        ServiceContainer(agencies_cls, process_config.load(os.path.join(ROOT, "services/agencies/config.yml"))),
        ServiceContainer(requests_cls, {**process_config.load(os.path.join(ROOT, "services/requests/config.yml")),
                                        "ESCALATION_INTERVAL": 0}),
    ]
    for container in containers:
        container.start()
    figures = {}
    try:
        with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=300) as services:
            skeleton = services.agencies.generate_skeleton()
            print(f"skeleton: {skeleton['total']} agencies", flush=True)
            wait_until(lambda: copy_complete(skeleton["total"]), 300)
            services.requests.submit(USCC, SUBMISSION, ENTERPRISE)   # warm the pools
            created = []
            steps = {"submit": lambda _: created.append(services.requests.submit(USCC, SUBMISSION, ENTERPRISE))}
            steps["accept"] = lambda n: services.requests.transition(
                created[n]["id"], {"action": "accept"}, staff(created[n]["agency_id"]))
            steps["escalate"] = lambda n: created.__setitem__(n, services.requests.transition(
                created[n]["id"], {"action": "escalate", "reason": "需上级统筹"}, staff(created[n]["agency_id"])))
            provider_id = admitted_provider(services)
            steps["accept+provider"] = lambda n: services.requests.transition(
                created[n]["id"], {"action": "accept", "provider_id": provider_id}, staff(created[n]["agency_id"]))
            for name, step in steps.items():
                COUNTS.reset()
                started = time.perf_counter()
                for n in range(calls):
                    step(n)
                elapsed = time.perf_counter() - started
                entry = f"requests.{'submit' if name == 'submit' else 'transition'}"
                hops = sum(count for key, count in COUNTS.calls.items())
                others = {key: count for key, count in COUNTS.served.items() if key != entry}
                figures[name] = (hops / calls, sum(COUNTS.statements.values()) / calls,
                                 COUNTS.statements[entry] / calls, elapsed / calls * 1000, dict(COUNTS.calls), others)
    finally:
        for container in containers:
            container.stop()
    return figures


def admitted_provider(services):
    """A provider admitted in the submissions' area, once a step may name it (the requests service
    may learn of it from the agencies' events)."""
    from chassis.errors import ValidationFailed

    provider = services.agencies.register_provider(PROVIDER)
    services.agencies.apply_for_admission(provider["id"], SUBMISSION["service_area"], "bench")
    services.agencies.decide_admission(provider["id"], {"service_area": SUBMISSION["service_area"],
                                                        "decision": "admit", "reason": "材料齐全"}, "bench")
    probe = services.requests.submit(USCC, SUBMISSION, ENTERPRISE)

    def named():
        try:
            return services.requests.transition(probe["id"], {"action": "accept", "provider_id": provider["id"]},
                                                staff(probe["agency_id"]))
        except ValidationFailed:
            return None
    wait_until(named, 30)
    return provider["id"]


def staff(agency_id):
    return {"role": "agency_staff", "scope": str(agency_id), "subject": f"staff-{agency_id}"}


# -- throughput through the gateway -------------------------------------------------------------

def hammer(url, method, token, body, seconds, clients):
    import requests
    done, failed, lock = [0], collections.Counter(), threading.Lock()
    until = time.monotonic() + seconds

    def client():
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        while time.monotonic() < until:
            try:
                status = session.request(method, url, headers=headers, json=body, timeout=30).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            with lock:
                if status in (200, 201):
                    done[0] += 1
                else:
                    failed[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / seconds, dict(failed)


def throughput(seconds, clients):
    from gateway import auth
    from infra.network import Network
    import requests

    names = ("agencies", "enterprises", "requests", "notifications", "gateway")
    network = Network(env={**os.environ, **ENV}, log_dir=tempfile.mkdtemp(prefix="bench-requests-logs-"))
    try:
        for name in names:
            network.start(network.process(name))
        network.wait_ready([network.process(name) for name in names])
        token = auth.mint(SECRET, auth.ENTERPRISE, USCC, ttl_seconds=7200)
        base = f"http://127.0.0.1:{PORT_BASE}/api/v1/requests"
        one = requests.post(base, json=SUBMISSION, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert one.status_code == 201, one.text
        hammer(base, "POST", token, SUBMISSION, 3, clients)   # warm every process
        posted, post_failed = hammer(base, "POST", token, SUBMISSION, seconds, clients)
        read, read_failed = hammer(f"{base}/{one.json()['id']}", "GET", token, None, seconds, clients)
    finally:
        network.stop_all()
    return posted, post_failed, read, read_failed


def quiet_logs():
    """Warnings only from the services started in this process (as their LOG_LEVEL says in processes)."""
    import logging
    import structlog
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    quiet_logs()
    set_up()
    try:
        figures = count_hops(args.calls)
        print(f"per call, over {args.calls} calls each (agencies and requests in this process):")
        for name, (hops, statements, own, ms, calls, others) in figures.items():
            print(f"  {name:15s} RPC hops {hops:4.1f}  SQL statements {statements:5.1f} "
                  f"(requests' own {own:5.1f})  {ms:6.1f} ms  calls {calls or '{}'}  other workers {others or '{}'}")
        posted, post_failed, read, read_failed = throughput(args.seconds, args.clients)
        print(f"POST /api/v1/requests: {posted:.1f} per second (failed: {post_failed or 'none'}) "
              f"with {args.clients} clients "
              f"over {args.seconds:.0f} s; baseline GET /api/v1/requests/{{id}}: {read:.1f} per second "
              f"(failed: {read_failed or 'none'}); ratio {posted / read:.2f}")
    finally:
        tear_down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
