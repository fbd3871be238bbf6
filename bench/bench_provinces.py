"""Provincial ingestion end to end: the provinces' client → RabbitMQ → the enterprises service → PostgreSQL.

N ``enterprise.upserted`` events (each a new SME of province 44 with a year of
figures) are published with the client (``clients/province``: batches of 500,
publisher confirms, mandatory) as the province's own user, and consumed by
the enterprises service, started as ``make run`` starts it (in replicas), which checks,
applies and records each one (inbox, source version, profile, figures, its
``enterprise.registered`` in the outbox) in its own transaction. Timed from the
first publish to the last row committed.

Same-run baseline on the same broker: raw pika, N messages of the same size,
persistent, published in windows of 500 with confirms, consumed by another
process with manual acks and no work.

    python bench/bench_provinces.py [N] [replicas]    (default 100000 events, 2 replicas)

Replicas of the enterprises service consume the same queue, as the design scales
any service; each process applies whole batches, so two of them keep both cores
busy while one waits on PostgreSQL.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "clients", "province"))

import json  # noqa: E402
import multiprocessing  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pika  # noqa: E402
import psycopg2  # noqa: E402
from stdnum.cn import uscc as uscc_standard  # noqa: E402

NAME = os.environ.get("ONENET_BENCH_NAME", "onenet_bench_provinces")  # its database, vhost and user prefix
SERVER = os.environ.get("ONENET_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{NAME}"
BROKER = os.environ.get("ONENET_BENCH_BROKER", "guest:guest@127.0.0.1:5672")
AMQP_URI = f"amqp://{BROKER}/{NAME}"
OPS_PORT = int(os.environ.get("ONENET_BENCH_OPS_PORT", "19602"))
PROVINCE = "44"
WINDOW = 500


def drop_database():
    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    conn.close()


def fresh_stack():
    """An empty vhost and database, the enterprises schema, the topology, province 44's user."""
    from chassis import migrate
    from infra import provinces
    rabbitmqctl = ["rabbitmqctl", "-q"]
    subprocess.run(rabbitmqctl + ["delete_vhost", NAME], capture_output=True)
    subprocess.run(rabbitmqctl + ["add_vhost", NAME], check=True, capture_output=True)
    subprocess.run(rabbitmqctl + ["set_permissions", "-p", NAME, BROKER.split(":")[0], ".*", ".*", ".*"],
                   check=True, capture_output=True)
    drop_database()
    migrate.ensure_database(DATABASE_URL)
    migrate.apply(DATABASE_URL, "enterprises", os.path.join(ROOT, "services", "enterprises", "migrations"))
    from chassis import events
    from services.enterprises.service import EnterprisesService
    provinces.declare_topology(AMQP_URI)
    events.declare_topology(AMQP_URI, [EnterprisesService])
    password = provinces.make_users(AMQP_URI, provinces.Users(AMQP_URI), f"{NAME}.", renew=True,
                                    codes=(PROVINCE,))[PROVINCE]
    user = f"{NAME}.province-{PROVINCE}"
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{BROKER.split('@')[1]}/{NAME}"


def events(n):
    from onenet_province import new_event
    made = []
    for i in range(n):
        body = f"91440106MA{i:07d}"
        payload = {"source_version": 1, "uscc": body + uscc_standard.calc_check_digit(body),
                   "name": f"广州基准企业{i:06d}有限公司", "region_code": "440106", "industry_code": "C34",
                   "figures": [{"year": 2024, "employees": 10 + i % 200, "revenue": 500 + i % 9000}]}
        made.append(new_event("enterprise.upserted", payload, source="bench"))
    return made


def applied():
    conn = psycopg2.connect(DATABASE_URL, options="-c search_path=enterprises")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM provincial_version")
            return cur.fetchone()[0]
    finally:
        conn.close()


def start_service(replica=0):
    ops_port = OPS_PORT + replica
    env = {**os.environ, "ONENET_AMQP_URI": AMQP_URI, "ONENET_DATABASE_URL": DATABASE_URL,
           "ENTERPRISES_OPS_PORT": str(ops_port), "ONENET_PROVINCE_USER_PREFIX": f"{NAME}.",
           "ONENET_LOG_LEVEL": "WARNING", "ONENET_ENTERPRISES_DB_PASSWORD": "",
           "ONENET_ENTERPRISES_AMQP_PASSWORD": "", "PYTHONPATH": ROOT}
    child = subprocess.Popen([sys.executable, "-m", "chassis.serve", "services/enterprises/config.yml"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ops_port}/health/ready", timeout=2) as answer:
                if answer.status == 200:
                    return child
        except OSError:
            time.sleep(0.3)
    child.kill()
    raise SystemExit("the enterprises service did not become ready")


def cpu_seconds(pid):
    """User and system CPU time a running process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(url, batch, replicas):
    """Seconds from the first publish to the last event applied, with ``replicas`` of the service,
    and CPU seconds the replicas and the publishing client used meanwhile."""
    from onenet_province import Publisher
    children = [start_service(replica) for replica in range(replicas)]
    try:
        idle = sum(cpu_seconds(child.pid) for child in children)
        started, client_cpu = time.perf_counter(), time.process_time()
        with Publisher(url, batch_size=WINDOW) as publisher:
            publisher.publish_many(batch)
        published, client_cpu = time.perf_counter() - started, time.process_time() - client_cpu
        while applied() < len(batch):
            if any(child.poll() is not None for child in children):
                raise SystemExit("an enterprises service replica exited")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        service_cpu = sum(cpu_seconds(child.pid) for child in children) - idle
        return published, elapsed, service_cpu, client_cpu
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(30)


def consume_raw(n, ready):
    connection = pika.BlockingConnection(pika.URLParameters(f"amqp://{BROKER}/{NAME}"))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=100)
    ready.set()
    for count, (method, _, _) in enumerate(channel.consume("bench.raw", auto_ack=False), start=1):
        channel.basic_ack(method.delivery_tag)
        if count == n:
            break
    connection.close()


def raw_pika(bodies):
    """Seconds for raw pika to publish (persistent, confirms) and consume (manual acks) ``bodies``."""
    connection = pika.BlockingConnection(pika.URLParameters(f"amqp://{BROKER}/{NAME}"))
    channel = connection.channel()
    channel.queue_declare("bench.raw", durable=True)
    channel.queue_purge("bench.raw")
    ready = multiprocessing.Event()
    consumer = multiprocessing.Process(target=consume_raw, args=(len(bodies), ready))
    consumer.start()
    ready.wait(30)
    pending = set()

    def confirmed(frame):
        tag = frame.method.delivery_tag
        pending.difference_update([t for t in pending if t <= tag] if frame.method.multiple else [tag])

    raw = channel._impl  # the asynchronous channel: publish a window, then wait for its confirms
    raw.confirm_delivery(confirmed)
    connection.process_data_events(0.1)
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    started, tag = time.perf_counter(), 0
    for start in range(0, len(bodies), WINDOW):
        for body in bodies[start:start + WINDOW]:
            raw.basic_publish("", "bench.raw", body, properties)
            tag += 1
            pending.add(tag)
        while pending:
            connection.process_data_events(0.005)
    published = time.perf_counter() - started
    consumer.join()
    elapsed = time.perf_counter() - started
    connection.close()
    return published, elapsed


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    replicas = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    url = fresh_stack()
    batch = events(n)
    bodies = [json.dumps(event, ensure_ascii=False).encode() for event in batch]
    print(f"provincial ingestion benchmark, {n} enterprise.upserted events, "
          f"{sum(map(len, bodies)) // n} bytes each")
    base_publish, baseline = raw_pika(bodies)
    publish, end_to_end, service_cpu, client_cpu = ingest(url, batch, replicas)
    print(f"{'baseline: raw pika publish (confirms) + consume (acks)':<58} {n / baseline:8.0f} events/s "
          f"({baseline:6.1f} s; publishing {n / base_publish:.0f}/s)")
    print(f"{f'ingestion: client → enterprises ×{replicas} → PostgreSQL':<58} {n / end_to_end:8.0f} events/s "
          f"({end_to_end:6.1f} s; publishing {n / publish:.0f}/s)")
    ratio = (n / end_to_end) / (n / baseline)
    print(f"ingestion / baseline: {ratio:.0%} (target: at least 25%)")
    print(f"CPU per event: {service_cpu / n * 1000:.3f} ms in the service (outbox relay included), "
          f"{client_cpu / n * 1000:.3f} ms in the client; load average {os.getloadavg()[0]:.1f}")
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", NAME], capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "delete_user", f"{NAME}.province-{PROVINCE}"], capture_output=True)
    drop_database()


if __name__ == "__main__":
    main()
