"""Benchmark of the policy push (政策直享) at national scale (not a test).

    python bench/bench_push.py [--rows 1000000]

Creates its own database and RabbitMQ vhost (``onenet_bench_push``), starts the
network as ``make run`` does (separate processes, on ports of its own), loads
synthetic SMEs with the loader of ``bench_enterprises.py`` and publishes a
nationwide policy whose criteria match about 10% of them. It reports:

* the time from ``policy.published`` (the outbox row written with the publication)
  to the last notice written, and notices per second;
* the same-run baseline: one bare ``INSERT … SELECT`` of the same notice rows from
  ``enterprises.enterprise`` into ``notifications.notice`` (then removed again);
* the gateway's p50/p99 for other traffic (policies, agencies, an enterprise, an
  inbox) while idle and while the push runs.

Targets: the push within 2× the baseline; p99 during the push ≤ 2× idle p99.
Drops the database and vhost at the end.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg2  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from bench_enterprises import admin, load_enterprises, rabbitmqctl  # noqa: E402
from gateway import auth  # noqa: E402

NAME = "onenet_bench_push"
SERVER = os.environ.get("ONENET_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{NAME}"
AMQP_URI = os.environ.get("ONENET_BENCH_AMQP", f"amqp://guest:guest@127.0.0.1:5672/{NAME}")
SECRET = "bench-secret-for-the-push-benchmark-only"
WEBHOOK_SECRET_KEYS = "YmVuY2gta2V5LWZvci10aGUtcHVzaC1iZW5jaG1hcms="  # "bench-key-for-the-push-benchmark"
PORT_BASE = 27000
ENV = {
    "ONENET_DATABASE_URL": DATABASE_URL, "ONENET_AMQP_URI": AMQP_URI, "ONENET_JWT_SECRET": SECRET,
    "ONENET_WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEYS,
    "GATEWAY_PORT": str(PORT_BASE), "AGENCIES_OPS_PORT": str(PORT_BASE + 101),
    "ENTERPRISES_OPS_PORT": str(PORT_BASE + 102), "REQUESTS_OPS_PORT": str(PORT_BASE + 103),
    "NOTIFICATIONS_OPS_PORT": str(PORT_BASE + 104), "ONENET_RATE_LIMIT": "10000000/minute",
    "ONENET_LOG_LEVEL": "WARNING", "ONENET_SMTP_PORT": str(PORT_BASE + 25),
}
# GB/T 4754 divisions C39 (computers, electronics) and M73 (R&D): about a tenth of the synthetic SMEs.
CRITERIA = {"industry_codes": ["C39", "M73"]}
BARE_PREDICATE = "(e.industry_code LIKE 'C39%%' OR e.industry_code LIKE 'M73%%')"
TITLE = "全国电子信息制造与研发服务中小企业专项支持"


def set_up():
    admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    rabbitmqctl("delete_vhost", NAME, check=False)
    rabbitmqctl("add_vhost", NAME)
    rabbitmqctl("set_permissions", "-p", NAME, "guest", ".*", ".*", ".*")
    os.environ.update(ENV)
    from infra import network
    network.prepare()


def tear_down():
    admin(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    rabbitmqctl("delete_vhost", NAME, check=False)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_load(plan_path, seconds, out_path):
    out = open(out_path, "w", encoding="utf-8")
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "gateway_load.py"),
                             f"http://127.0.0.1:{PORT_BASE}", plan_path, str(seconds)], stdout=out), out


def latencies(path, start=None, end=None):
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    chosen = [row for row in rows if (start is None or row[0] >= start) and (end is None or row[0] <= end)]
    failed = [row for row in chosen if row[2] != 200]
    return [row[1] for row in chosen], len(failed)


def figures(label, values, failed):
    return (f"{label}: p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms "
            f"over {len(values):,} requests ({failed} not 200)")


def wait_until(check, timeout, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(every)
    raise RuntimeError("timed out waiting")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--idle-seconds", type=float, default=20)
    args = parser.parse_args()

    set_up()
    from infra.network import Network
    logs = tempfile.mkdtemp(prefix="bench-push-logs-")
    network = Network(env={**os.environ, **ENV}, log_dir=logs)
    sql = psycopg2.connect(DATABASE_URL)
    sql.autocommit = True
    cur = sql.cursor()
    try:
        # The enterprises process publishes nothing: a million enterprise.registered events are not
        # what this measures.
        network.start(network.process("enterprises"), ONENET_OUTBOX_RELAY="off")
        network.wait_ready([network.process("enterprises")])
        print(f"push: loading {args.rows:,} synthetic SMEs (the loader of bench_enterprises.py) ...", flush=True)
        stored, busy, _ = load_enterprises(AMQP_URI, args.rows, args.batch)
        print(f"  {stored:,} registered in {busy:.0f} s")
        cur.execute("VACUUM ANALYZE enterprises.enterprise")
        for name in ("agencies", "requests", "notifications", "gateway"):
            network.start(network.process(name))
        network.wait_ready([network.process(name) for name in ("agencies", "requests", "notifications", "gateway")])
        with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=300) as services:
            skeleton = services.agencies.generate_skeleton()
            wait_until(lambda: (cur.execute("SELECT count(*) FROM notifications.agency") or
                                cur.fetchone()[0] >= skeleton["total"]), 300, every=0.5)
            national = services.agencies.list_agencies({"level": "national"}, 1, 0)["items"][0]
            policy = services.agencies.create_policy({
                "title": TITLE, "issuer": "工业和信息化部", "issuer_level": "national", "issued_on": "2026-01-05",
                "expires_on": "2026-12-31", "region_code": "000000", "service_area": "policy",
                "document_number": "工信部企业〔2026〕1号", "benefits": "专项资金支持研发和技术改造",
                "criteria": CRITERIA, "agency_id": national["id"]})
        cur.execute(f"SELECT count(*) FROM enterprises.enterprise e WHERE {BARE_PREDICATE}")
        expected = cur.fetchone()[0]
        print(f"  the policy's criteria {json.dumps(CRITERIA)} match {expected:,} SMEs "
              f"({expected / stored:.1%})")

        # Baseline: the same notice rows, one bare INSERT … SELECT between the same tables.
        started = time.perf_counter()
        cur.execute("INSERT INTO notifications.notice (recipient_kind, recipient_id, kind, title, about_type, "
                    "about_id, region_code, source_key) "
                    "SELECT 'enterprise', e.uscc, 'policy_match', %s, 'policy', '0', e.region_code, 'policy:0' "
                    f"FROM enterprises.enterprise e WHERE {BARE_PREDICATE}", (f"政策直享：{TITLE}",))
        baseline = time.perf_counter() - started
        assert cur.rowcount == expected
        cur.execute("DELETE FROM notifications.notice WHERE about_type = 'policy' AND about_id = '0'")
        cur.execute("VACUUM ANALYZE notifications.notice")

        # Gateway traffic other than the push: its plan and the idle figures.
        cur.execute("SELECT uscc FROM enterprises.enterprise ORDER BY uscc LIMIT 4 OFFSET 5000")
        sample = [row[0] for row in cur.fetchall()]
        national_token = auth.mint(SECRET, auth.NATIONAL_ADMIN, ttl_seconds=7200)
        plan = [["/api/v1/policies?page_size=20", None], [f"/api/v1/agencies/{national['id']}", None]]
        plan += [[f"/api/v1/enterprises/{uscc}", national_token] for uscc in sample[:2]]
        plan += [["/api/v1/notifications?page_size=20", auth.mint(SECRET, auth.ENTERPRISE, uscc, ttl_seconds=7200)]
                 for uscc in sample[2:]]
        plan_path = os.path.join(logs, "plan.json")
        with open(plan_path, "w", encoding="utf-8") as handle:
            json.dump(plan, handle)
        idle_path, push_path = os.path.join(logs, "idle.jsonl"), os.path.join(logs, "push.jsonl")
        load, out = run_load(plan_path, args.idle_seconds, idle_path)
        load.wait()
        out.close()

        # The push, with the same traffic running.
        load, out = run_load(plan_path, 600, push_path)
        time.sleep(2)
        request = urllib.request.Request(f"http://127.0.0.1:{PORT_BASE}/api/v1/policies/{policy['id']}/publish",
                                         method="POST", headers={"Authorization": f"Bearer {national_token}"})
        began = time.time()
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200

        def notified():
            cur.execute("SELECT notified, finished_at FROM notifications.push WHERE about_type = 'policy' "
                        "AND about_id = %s",
                        (policy["id"],))
            row = cur.fetchone()
            return row if row and row[1] is not None else None

        count, _ = wait_until(notified, 1800)
        ended = time.time()
        load.terminate()
        load.wait()
        out.close()
        cur.execute("SELECT o.created_at, p.started_at, p.finished_at, p.pages FROM agencies.outbox o, "
                    "notifications.push p WHERE o.event_type = 'policy.published' AND o.aggregate_id = %s "
                    "AND p.about_type = 'policy' AND p.about_id = %s", (str(policy["id"]), policy["id"]))
        published_at, push_started, finished_at, pages = cur.fetchone()
        push = (finished_at - published_at).total_seconds()
        cur.execute("SELECT count(*) FROM notifications.notice WHERE about_type = 'policy' AND about_id = %s",
                    (str(policy["id"]),))
        assert cur.fetchone()[0] == expected == count, "the push did not notify every match exactly once"

        print(f"  baseline, one bare INSERT … SELECT of the {expected:,} notice rows: {baseline:.2f} s "
              f"({expected / baseline:,.0f} rows/s)")
        print(f"  push, policy.published → last notice written: {push:.2f} s = {expected / push:,.0f} notices/s "
              f"({pages} pages; {(push_started - published_at).total_seconds():.2f} s of it from publication "
              f"to the push's start) — {push / baseline:.2f}× the baseline (target ≤ 2×)")
        idle, idle_failed = latencies(idle_path)
        during, during_failed = latencies(push_path, began, ended)
        print("  gateway, other traffic " + figures("idle", idle, idle_failed))
        print("  gateway, other traffic " + figures("during the push", during, during_failed)
              + f" — p99 {percentile(during, 0.99) / percentile(idle, 0.99):.2f}× idle (target ≤ 2×)")
    finally:
        cur.close()
        sql.close()
        network.stop_all()
        tear_down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
