"""The gateway's paths against the framework's own ceiling, side by side in one run.

    python bench/bench_gateway.py [--seconds 15] [--clients 32] [--paths NAME ...]
                                  [--profile] [--scale-out] [--rpc-confirms on|off]

Creates its own database and RabbitMQ vhost (``onenet_bench_gateway``), starts the network
as ``make run`` starts it (each service the paths use and the gateway, a process each) and, beside
it, the ceiling: a bare nameko ``@http`` → ``@rpc`` echo in two processes
(``bench/echo_service.py``). Loads the national agency skeleton, one enterprise, one request
and one guide, then drives each path with ``wrk`` (``--clients`` connections, one wrk
thread) for ``--seconds`` and prints, per path: requests per second, p50 and p99, the
echo's requests per second in the same run (the mean of its runs just before and just after
the path: the machine's other load drifts), the ratio to it and the target; the RPC calls served by the services (hops) and
the SQL statements run by every process, per request (from the processes' own metrics:
``onenet_rpc_duration_seconds_count``, ``onenet_db_statements_total``; less what they
do by themselves, watched idle for a few seconds before each path; the consumers' queues are
let drain before that watch and before the path's figures are read), and the CPU milliseconds
per request of each process and of the PostgreSQL backends serving the bench's database, summed,
beside the echo's CPU milliseconds per call (``/proc/<pid>/stat``; their ratio does not move with
the machine's other load as requests per second do).

The bench's own traffic is not held back by the rate limit: it runs its gateway with a
limit of its own (``ONENET_RATE_LIMIT``, the setting every deployment has), not with an
exemption.

``--profile`` samples the gateway and the services with py-spy while each path runs and
prints where the time went: the share of busy samples under each kind of work (schemas,
JSON, AMQP, SQL, logging, tokens, rate limit …) and the functions that took most.
``--scale-out`` measures the write and read of a request again with two replicas of the
requests service, then with two gateways, each wrk connection pinned to one of them in
turn (round robin by connection), and prints the ratio to one.
``--rpc-confirms`` starts the network with RPC publisher confirms on or off
(``ONENET_RPC_CONFIRMS``); events keep theirs through the outbox either way.

Needs ``wrk`` (``apt-get install wrk``) and, for ``--profile``, py-spy (``pip install py-spy``).
Drops the database and vhost at the end.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import argparse  # noqa: E402
import collections  # noqa: E402
import dataclasses  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import requests  # noqa: E402

from bench_requests_hops import SUBMISSION, copy_complete, set_up, tear_down, wait_until  # noqa: E402

NAME = os.environ.get("ONENET_BENCH_NAME", "onenet_bench_gateway")   # its database, vhost and rate-limit keys
SERVER = os.environ.get("ONENET_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE_URL = f"{SERVER}/{NAME}"
AMQP_URI = os.environ.get("ONENET_BENCH_AMQP", f"amqp://guest:guest@127.0.0.1:5672/{NAME}")
SECRET = "bench-secret-for-the-gateway-benchmark-only"
WEBHOOK_SECRET_KEYS = "YmVuY2gta2V5LWZvci10aGUtZ2F0ZXdheS1iZW5jaG0="  # "bench-key-for-the-gateway-benchm"
PORT_BASE = int(os.environ.get("ONENET_BENCH_PORT_BASE", 31600))
ECHO_PORT = PORT_BASE + 50
# Each process's ops port (its /metrics); a second replica takes the next free one.
OPS_PORTS = {"gateway": PORT_BASE + 100, "agencies": PORT_BASE + 101, "enterprises": PORT_BASE + 102,
             "requests": PORT_BASE + 103, "notifications": PORT_BASE + 104}
ENV = {
    "ONENET_DATABASE_URL": DATABASE_URL, "ONENET_AMQP_URI": AMQP_URI, "ONENET_JWT_SECRET": SECRET,
    "ONENET_WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEYS,
    "GATEWAY_PORT": str(PORT_BASE), "GATEWAY_OPS_PORT": str(OPS_PORTS["gateway"]),
    "AGENCIES_OPS_PORT": str(OPS_PORTS["agencies"]), "ENTERPRISES_OPS_PORT": str(OPS_PORTS["enterprises"]),
    "REQUESTS_OPS_PORT": str(OPS_PORTS["requests"]), "NOTIFICATIONS_OPS_PORT": str(OPS_PORTS["notifications"]),
    "ACTIVITIES_OPS_PORT": str(PORT_BASE + 105), "PROVINCES_OPS_PORT": str(PORT_BASE + 106),
    # The bench's own budget: far above what it sends, so that no answer is a 429.
    "ONENET_RATE_LIMIT": "1000000000/minute", "ONENET_RATE_LIMIT_PREFIX": NAME,
    "ONENET_LOG_LEVEL": "WARNING", "ONENET_SMTP_PORT": str(PORT_BASE + 25), "ONENET_ESCALATION_INTERVAL": "0",
    # Workers per service, each holding a PostgreSQL connection while it runs: fewer than the
    # default 10, so that the bench takes a modest share of a PostgreSQL server others use too.
    "ONENET_MAX_WORKERS": os.environ.get("ONENET_MAX_WORKERS", "6"),
}
# What the paths call, and notifications consuming their events (the activities service is not
# started: no path calls it, and every process holds PostgreSQL connections of a shared server).
SERVICES = ("agencies", "enterprises", "requests", "notifications")
COUNTY = SUBMISSION["region_code"]   # 南京市玄武区
USCC = "91320102MA1XB0003L"
GUIDE = {
    "items": [{"service_area": "policy", "title": "惠企政策咨询与兑现", "content": "解读惠企政策，协助申报兑现",
               "process": ["提交申请", "受理", "审核", "兑现"], "accept_days": 1, "resolve_days": 10}],
    "supervision": {"phone": "025-12345", "email": "jiandu@example.cn"},
    "contact": {"address": "南京市玄武区示例路1号", "phone": "025-00000000", "hours": "工作日 9:00-17:00"},
}

# wrk's side: one script for every path. ``{method}``, ``{body}`` (a Lua string) and ``{headers}``
# are filled in; a body naming USCC_PLACEHOLDER gets a fresh valid USCC (GB 32100) per request,
# ``{run}`` (wrk's run in this bench) keeping those of different runs apart; ``done`` prints the
# figures as one JSON line.
WRK_SCRIPT = r"""
local alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
local weights = {{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}}
local counter = 0
wrk.method = "{method}"
wrk.headers = {headers}
local template = {body}

local function uscc(serial)
  local body17 = string.format("91{county}%03d%06d", {run}, serial)
  local total = 0
  for i = 1, 17 do
    total = total + (string.find(alphabet, string.sub(body17, i, i), 1, true) - 1) * weights[i]
  end
  local check = (31 - total % 31) % 31
  return body17 .. string.sub(alphabet, check + 1, check + 1)
end

function request()
  if template == nil then return wrk.format() end
  counter = counter + 1
  return wrk.format(nil, nil, nil, (string.gsub(template, "USCC_PLACEHOLDER", uscc(counter))))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d, "status_errors": %d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclasses.dataclass
class Path:
    """One path of the API as the bench drives it."""

    name: str
    kind: str           # write, read or public
    method: str
    url: str
    token: str = None
    body: dict = None
    owner: str = None   # the service that answers it (profiled beside the gateway)

    @property
    def target(self):
        return {"write": 0.50, "read": 0.70, "public": 1.00}[self.kind]


@dataclasses.dataclass
class Figures:
    rate: float
    p50: float
    p99: float
    failed: int
    requests: int


def lua_string(text):
    return "[==[" + text + "]==]"


RUNS = itertools.count(1)


def wrk(url, path, seconds, clients):
    """Drive ``url`` with wrk as ``path`` says: :class:`Figures`."""
    headers = {"Content-Type": "application/json"}
    if path.token:
        headers["Authorization"] = f"Bearer {path.token}"
    script = WRK_SCRIPT.format(
        method=path.method, county=COUNTY, run=next(RUNS) % 1000,
        headers="{" + ", ".join(f'["{key}"] = "{value}"' for key, value in headers.items()) + "}",
        body=lua_string(json.dumps(path.body, ensure_ascii=False)) if path.body is not None else "nil")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        answer = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", handle.name, url],
            capture_output=True, text=True, check=True)
    finally:
        os.unlink(handle.name)
    line = [row for row in answer.stdout.splitlines() if row.startswith('{"requests"')][-1]
    found = json.loads(line)
    return Figures(found["requests"] / found["seconds"], found["p50_ms"], found["p99_ms"],
                   found["errors"] + found["status_errors"], found["requests"])


# Seconds the processes are watched idle before each path: the RPC calls and statements they make
# by themselves (outbox relays polling, timers) are taken off the path's.
IDLE_SECONDS = 5


def waiting_messages():
    """Messages waiting in the bench's vhost's consumed queues (ready or being handled): the events
    the running consumers have still to handle (the queues of services the bench does not start,
    and parked messages, are left out)."""
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", NAME, "name", "messages", "consumers",
                             "--no-table-headers"], capture_output=True, text=True, check=True).stdout
    return sum(int(count) for _, count, consumers in (line.split() for line in listed.splitlines() if line.strip())
               if int(consumers))


def settle(timeout=60):
    """Wait until the consumers have handled every event sent so far (a path's events are counted
    with it, and the next path's idle watch is idle)."""
    deadline = time.monotonic() + timeout
    while waiting_messages() and time.monotonic() < deadline:
        time.sleep(0.5)


def scrape(ports):
    """``{counter name: sum over the processes on ports}`` of the figures the bench counts."""
    from prometheus_client.parser import text_string_to_metric_families
    totals = collections.Counter()
    for port in ports:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "onenet_rpc_duration_seconds_count":
                    totals["rpc"] += sample.value
                elif sample.name == "onenet_db_statements_total":
                    totals["sql"] += sample.value
                elif sample.name == "onenet_http_request_duration_seconds_count":
                    totals["http"] += sample.value
    return totals


# -- CPU time ------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system CPU seconds process ``pid`` has used (``/proc/<pid>/stat``), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime and stime, the stat's 14th and 15th fields


def database_backends():
    """The pids of PostgreSQL's backends serving the bench's database (the server is shared: others' are
    left out), less the one answering this question."""
    import psycopg2
    conn = psycopg2.connect(DATABASE_URL)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (NAME,))
            return [pid for pid, in cur.fetchall()]
    finally:
        conn.close()


def cpu_snapshot(processes):
    """``{(group, pid): CPU seconds}`` of ``processes`` (``{group: pid}``) and of the database's backends
    (group ``postgres``)."""
    taken = {(group, pid): cpu_seconds(pid) for group, pid in processes.items()}
    taken.update({("postgres", pid): cpu_seconds(pid) for pid in database_backends()})
    return taken


def cpu_spent(before, after):
    """``{group: CPU seconds}`` between two snapshots; a process that appeared in between counts from 0."""
    spent = collections.Counter()
    for (group, pid), seconds in after.items():
        spent[group] += max(0.0, seconds - before.get((group, pid), 0.0))
    return spent


@dataclasses.dataclass
class Cpu:
    """CPU milliseconds per request of each process group a path used, and per call of the echo."""

    path: dict     # group → ms per request, less what the group does idle
    echo: dict     # echo's side (http, rpc) → ms per call

    @property
    def path_total(self):
        return sum(self.path.values())

    @property
    def echo_total(self):
        return sum(self.echo.values())

    def line(self):
        groups = ", ".join(f"{group} {ms:.2f}" for group, ms in sorted(self.path.items(), key=lambda kv: -kv[1]))
        echo = ", ".join(f"{side} {ms:.2f}" for side, ms in self.echo.items())
        ratio = self.echo_total / self.path_total if self.path_total else 0.0
        return (f"      CPU ms per request: {groups}; total {self.path_total:.2f}; echo {self.echo_total:.2f} "
                f"a call ({echo}); echo/path {ratio:.2f}")


# -- profiling -----------------------------------------------------------------------------------

# What a sample is spent on: the innermost frame of its stack that names one of these kinds
# of work; only a stack that names none is put down to eventlet's hub or nameko's machinery
# (a socket's send, for one, is the HTTP answer's, an RPC's or the rate limit's).
KINDS = (
    ("SQL (psycopg2)", ("psycopg2", "chassis/db.py")),
    ("AMQP (kombu/amqp)", ("kombu/", "amqp/", "nameko/amqp/")),
    ("schemas (marshmallow)", ("marshmallow/",)),
    ("JSON", ("json/",)),
    ("logging (structlog)", ("structlog/", "logging/", "chassis/logs.py")),
    ("tokens (PyJWT)", ("jwt/", "cryptography/", "gateway/auth.py")),
    ("rate limit (limits/redis)", ("limits/", "redis/", "gateway/rate_limit.py")),
    ("metrics (prometheus)", ("prometheus_client/",)),
    ("HTTP (eventlet.wsgi/werkzeug)", ("eventlet/wsgi.py", "werkzeug/")),
)
MACHINERY = (("green threads (eventlet hub)", ("eventlet/", "greenlet")), ("nameko containers", ("nameko/",)))


def kind_of(stack):
    for kinds in (KINDS, MACHINERY):
        for frame in reversed(stack):
            for label, marks in kinds:
                if any(mark in frame for mark in marks):
                    return label
    return "OneNet code and the rest"


def start_profiles(pids, seconds, folder):
    return {name: (subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
         "--format", "raw", "--nonblocking", "--output", os.path.join(folder, f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), os.path.join(folder, f"{name}.txt"))
        for name, pid in pids.items()}


def profile_report(profiles, top=6):
    lines = []
    for name, (child, output) in profiles.items():
        child.wait()
        if not os.path.exists(output):
            lines.append(f"      {name}: no samples (py-spy failed)")
            continue
        kinds, leaves, total = collections.Counter(), collections.Counter(), 0
        with open(output, encoding="utf-8") as handle:
            for row in handle:
                stack, _, count = row.rstrip("\n").rpartition(" ")
                if not stack:
                    continue
                frames, count = stack.split(";"), int(count)
                total += count
                kinds[kind_of(frames)] += count
                leaves[frames[-1].split(" (")[0] + " " + frames[-1].rsplit("/", 1)[-1].rstrip(")")] += count
        if not total:
            lines.append(f"      {name}: idle")
            continue
        spent = ", ".join(f"{label} {count / total:.0%}" for label, count in kinds.most_common(top))
        hottest = ", ".join(f"{frame} {count / total:.0%}" for frame, count in leaves.most_common(top))
        lines.append(f"      {name} ({total} busy samples): {spent}\n        hottest: {hottest}")
    return "\n".join(lines)


def copied(total):
    """Whether the requests service has copied ``total`` agencies; not yet while the shared server
    has no connection to spare."""
    import psycopg2
    try:
        return copy_complete(total, DATABASE_URL)
    except psycopg2.OperationalError:
        return False


def port_taken(port):
    import socket
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- the network ---------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        from infra.network import Network
        self.args = args
        self.log_dir = tempfile.mkdtemp(prefix="bench-gateway-logs-")
        env = {**os.environ, **ENV, "ONENET_RPC_CONFIRMS": args.rpc_confirms}
        self.network = Network(env=env, log_dir=self.log_dir)
        self.echo = []
        self.echo_sides = {}
        self.ops_ports = dict(OPS_PORTS)

    def start(self):
        names = (*SERVICES, "gateway")
        for name in names:
            self.network.start(self.network.process(name))
        self.network.wait_ready([self.network.process(name) for name in names], timeout=120)
        echo = [sys.executable, os.path.join(ROOT, "bench", "echo_service.py")]
        out = open(os.path.join(self.log_dir, "echo.log"), "ab")
        self.echo = [subprocess.Popen([*echo, "rpc", AMQP_URI], stdout=out, stderr=subprocess.STDOUT),
                     subprocess.Popen([*echo, "http", AMQP_URI, str(ECHO_PORT)], stdout=out,
                                      stderr=subprocess.STDOUT)]
        self.echo_sides = {"echo http": self.echo[1].pid, "echo rpc": self.echo[0].pid}
        wait_until(lambda: self._echo_answers(), 60)

    def _echo_answers(self):
        try:
            return requests.get(f"http://127.0.0.1:{ECHO_PORT}/echo", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_replica(self, name, number):
        """Another replica of ``name`` (a service or the gateway) with ops port (and API port) of its own."""
        process = self.network.process(name)
        replica = dataclasses.replace(process, name=f"{name}-{number}")
        port = PORT_BASE + 110 + len(self.ops_ports)
        overrides = {process.ops_port_env: str(port)}
        if name == "gateway":
            overrides["GATEWAY_PORT"] = str(PORT_BASE + number - 1)
        self.network.start(replica, **overrides)
        self.ops_ports[replica.name] = port
        wait_until(lambda: self._ready(port), 120)

    def stop_replica(self, name):
        child = self.network.children.pop(name)
        child.terminate()
        child.wait(timeout=30)
        del self.ops_ports[name]

    @staticmethod
    def _ready(port):
        try:
            return requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def pids(self, *names):
        return {name: self.network.children[name].pid for name in names if name in self.network.children}

    def stop(self):
        for child in self.echo:   # nothing to finish: no state, no queue of its own but its replies
            child.kill()
            child.wait()
        self.network.stop_all()

    # -- what the paths read -------------------------------------------------------------------

    def seed(self):
        """The agency skeleton, one enterprise, one request and one published guide: the paths' data."""
        from gateway import auth
        api = f"http://127.0.0.1:{PORT_BASE}/api/v1"
        national = auth.mint(SECRET, auth.NATIONAL_ADMIN, ttl_seconds=7200)
        county = auth.mint(SECRET, auth.COUNTY_ADMIN, COUNTY, ttl_seconds=7200)
        enterprise = auth.mint(SECRET, auth.ENTERPRISE, USCC, ttl_seconds=7200)

        def call(method, path, token, body=None, expect=(200, 201)):
            answer = requests.request(method, api + path, json=body, timeout=300,
                                      headers={"Authorization": f"Bearer {token}"} if token else {})
            assert answer.status_code in expect, (method, path, answer.status_code, answer.text)
            return answer.json()

        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=300) as services:   # longer than the gateway waits
            skeleton = services.agencies.generate_skeleton()
        wait_until(lambda: copied(skeleton["total"]), 300)
        call("POST", "/enterprises", county, {"uscc": USCC, "name": "南京玄武示例科技有限公司", "region_code": COUNTY,
                                              "industry_code": "C39", "employees": 40, "revenue": 1200})
        request = call("POST", "/requests", enterprise, SUBMISSION)
        agency_id = call("GET", f"/routing?region={COUNTY}&area=policy", None)["agency"]["id"]
        call("PUT", f"/agencies/{agency_id}/guide", national, GUIDE)
        registration = {"uscc": "USCC_PLACEHOLDER", "name": "南京压测科技有限公司", "region_code": COUNTY,
                        "industry_code": "C39", "employees": 40, "revenue": 1200}
        return [
            Path("submit a request", "write", "POST", "/api/v1/requests", enterprise, SUBMISSION, "requests"),
            Path("register an enterprise", "write", "POST", "/api/v1/enterprises", county, registration,
                 "enterprises"),
            Path("read a request", "read", "GET", f"/api/v1/requests/{request['id']}", enterprise, owner="requests"),
            Path("read a profile", "read", "GET", f"/api/v1/enterprises/{USCC}", enterprise, owner="enterprises"),
            Path("routing (public)", "public", "GET", f"/api/v1/routing?region={COUNTY}&area=policy",
                 owner="agencies"),
            Path("guide (public)", "public", "GET", f"/api/v1/agencies/{agency_id}/guide", owner="agencies"),
            Path("policy list (public)", "public", "GET", "/api/v1/policies", owner="agencies"),
        ]

    # -- measuring -----------------------------------------------------------------------------

    def echo_figures(self, seconds):
        return wrk(f"http://127.0.0.1:{ECHO_PORT}/echo", Path("echo", "read", "GET", "/echo"),
                   seconds, self.args.clients)

    def measure(self, path, gateways=1):
        """One path against the echo, in turns (echo, path, echo, … echo) of ``--seconds`` /
        ``--rounds`` each, so that both see the same drift of the machine's other load:
        ``(path's Figures, echo's Figures, RPC hops and SQL statements per request, where the
        time went when profiling, Cpu)``.

        CPU time is read from ``/proc`` for the network's processes, the echo's two and the
        PostgreSQL backends of the bench's database (the broker and Redis, shared with whatever
        else runs on the machine, are left out); the network's and the backends' idle time is
        taken off as for the statements."""
        args = self.args
        turn = max(2, round(args.seconds / args.rounds))
        network = {name: child.pid for name, child in self.network.children.items()}
        settle()
        idle = scrape(self.ops_ports.values())   # what the processes do by themselves (relays, timers)
        idle_cpu = cpu_snapshot(network)
        time.sleep(IDLE_SECONDS)
        before = scrape(self.ops_ports.values())
        before_cpu = cpu_snapshot({**network, **self.echo_sides})
        started = time.monotonic()
        profiles = None
        if args.profile:
            folder = tempfile.mkdtemp(prefix="bench-gateway-profile-")
            profiles = start_profiles(self.pids("gateway", path.owner, *args.profile_also),
                                      (2 * args.rounds + 1) * (turn + 1), folder)
        echoes, runs = [self.echo_figures(turn)], []
        for _ in range(args.rounds):
            if gateways == 1:
                runs.append(wrk(f"http://127.0.0.1:{PORT_BASE}{path.url}", path, turn, args.clients))
            else:
                runs.append(self._round_robin(path, gateways, turn))
            echoes.append(self.echo_figures(turn))
        settle()
        after = scrape(self.ops_ports.values())
        after_cpu = cpu_snapshot({**network, **self.echo_sides})
        background = (time.monotonic() - started) / IDLE_SECONDS
        served = max(1.0, after["http"] - before["http"])
        hops = (after["rpc"] - before["rpc"] - background * (before["rpc"] - idle["rpc"])) / served
        statements = (after["sql"] - before["sql"] - background * (before["sql"] - idle["sql"])) / served
        report = profile_report(profiles) if profiles else None
        spent, resting = cpu_spent(before_cpu, after_cpu), cpu_spent(idle_cpu, before_cpu)
        calls = max(1, sum(echo.requests for echo in echoes))
        cpu = Cpu({group: max(0.0, spent[group] - background * resting[group]) * 1000 / served
                   for group in (*network, "postgres")},
                  {side.split()[1]: spent[side] * 1000 / calls for side in self.echo_sides})
        return combined(runs), combined(echoes), hops, statements, report, cpu

    def _round_robin(self, path, gateways, seconds):
        """``gateways`` gateways, the connections dealt out among them in turn: summed figures."""
        share = self.args.clients // gateways
        results = [None] * gateways

        def drive(number):
            results[number] = wrk(f"http://127.0.0.1:{PORT_BASE + number}{path.url}", path, seconds, share)
        import threading
        threads = [threading.Thread(target=drive, args=(number,)) for number in range(gateways)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rate = sum(result.rate for result in results)
        return Figures(rate, max(result.p50 for result in results), max(result.p99 for result in results),
                       sum(result.failed for result in results), sum(result.requests for result in results))


def combined(runs):
    """The figures of several runs of one thing: its rate over them all, the median p50 and the
    worst p99."""
    requests_, seconds = sum(run.requests for run in runs), sum(run.requests / run.rate for run in runs if run.rate)
    return Figures(requests_ / seconds if seconds else 0.0, sorted(run.p50 for run in runs)[len(runs) // 2],
                   max(run.p99 for run in runs), sum(run.failed for run in runs), requests_)


def row(label, figures, echo, target=None, hops=None, statements=None):
    """One line of figures: the path's, the same run's echo, the ratio and the target."""
    ratio = figures.rate / echo if echo else 0.0
    verdict = "" if target is None else ("  meets" if ratio >= target else "  BELOW") + f" (target ≥ {target:.2f})"
    counted = "" if hops is None else f"  RPC hops {hops:4.2f}  SQL statements {statements:5.2f}"
    failed = f"  failed {figures.failed}" if figures.failed else ""
    return (f"  {label:24s} {figures.rate:7.1f} req/s  p50 {figures.p50:6.1f} ms  p99 {figures.p99:6.1f} ms  "
            f"echo {echo:6.1f}  ratio {ratio:4.2f}{verdict}{counted}{failed}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="turns of path and echo a path's seconds are cut in")
    parser.add_argument("--paths", nargs="*", help="only the paths whose names start with these words")
    parser.add_argument("--profile", action="store_true", help="sample the gateway and the path's service (py-spy)")
    parser.add_argument("--profile-also", nargs="*", default=(), metavar="SERVICE",
                        help="with --profile, sample these services too (the consumers of the path's events)")
    parser.add_argument("--scale-out", action="store_true", help="two requests replicas, then two gateways")
    parser.add_argument("--rpc-confirms", choices=("on", "off"), default=os.environ.get("ONENET_RPC_CONFIRMS", "off"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: sudo apt-get install -y wrk")
    if args.profile and not shutil.which("py-spy"):
        raise SystemExit("py-spy is not installed: pip install py-spy")

    taken = [port for port in (PORT_BASE, ECHO_PORT, *OPS_PORTS.values()) if port_taken(port)]
    if taken:
        raise SystemExit(f"ports {taken} are taken (another run of this bench?); "
                         "ONENET_BENCH_PORT_BASE and ONENET_BENCH_NAME give a second run ports and a database of its own")
    set_up(NAME, ENV)
    bench = Bench(args)
    try:
        bench.start()
        paths = bench.seed()
        if args.paths:
            paths = [path for path in paths if any(path.name.startswith(word) for word in args.paths)]
        for path in paths:   # warm every process and path
            wrk(f"http://127.0.0.1:{PORT_BASE}{path.url}", path, 2, args.clients)
        load = os.getloadavg()[0]
        print(f"{args.clients} clients (wrk, one thread); each path {args.seconds} s in {args.rounds} turns, "
              f"each turn between two of the echo's; RPC confirms {args.rpc_confirms}; load average {load:.1f} "
              "at the start", flush=True)
        rates = []
        for path in paths:
            figures, echo, hops, statements, report, cpu = bench.measure(path)
            rates.append(echo.rate)
            print(row(path.name, figures, echo.rate, path.target, hops, statements), flush=True)
            print(cpu.line(), flush=True)
            if report:
                print(report, flush=True)
        print(f"  echo (bare nameko): {min(rates):.1f} to {max(rates):.1f} req/s beside the paths; load average "
              f"{os.getloadavg()[0]:.1f} at the end")
        if args.scale_out:
            scale_out(bench, [path for path in paths if path.owner == "requests"])
    finally:
        try:
            bench.stop()
        finally:
            tear_down(NAME)
    return 0


def scale_out(bench, paths):
    """The request paths with two requests replicas, then also with two gateways, against one."""
    print("scale-out:")
    single = {path.name: bench.measure(path) for path in paths}
    bench.start_replica("requests", 2)
    replicas = {path.name: bench.measure(path) for path in paths}
    bench.start_replica("gateway", 2)
    gateways = {path.name: bench.measure(path, gateways=2) for path in paths}
    for path in paths:
        one = single[path.name][0].rate
        for label, (figures, echo, *_) in ((f"{path.name}, one of each", single[path.name]),
                                           ("  two requests replicas", replicas[path.name]),
                                           ("  and two gateways", gateways[path.name])):
            print(row(label, figures, echo.rate) + f"  ×{figures.rate / one:.2f} of one")


if __name__ == "__main__":
    sys.exit(main())
