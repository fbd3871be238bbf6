"""Run the whole OneNet network on one machine.

    python -m infra.network prepare     create the database, schemas, migrations, broker topology
    python -m infra.network demo-data   load demo data into the running services [--demo large]
    python -m infra.network run         prepare, start every process, load demo data, wait [--demo large]
    python -m infra.network reset-test  give the test suite an empty database and vhost, and
                                        drop its own roles and its rate-limit counts

``run`` stays in the foreground, starts again (with backoff, and says so) any process that
exits, and stops every process it started on Ctrl-C.
The end-to-end tests start the network through the same :class:`Network`.
"""
import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Process:
    name: str
    config: str
    ops_port_env: str
    default_port: int
    database: bool = True  # owns a schema (migrations, its own role)

    def port(self, env):
        return int(env.get(self.ops_port_env, self.default_port))


PROCESSES = (
    Process("agencies", "services/agencies/config.yml", "AGENCIES_OPS_PORT", 9101),
    Process("enterprises", "services/enterprises/config.yml", "ENTERPRISES_OPS_PORT", 9102),
    Process("requests", "services/requests/config.yml", "REQUESTS_OPS_PORT", 9103),
    Process("notifications", "services/notifications/config.yml", "NOTIFICATIONS_OPS_PORT", 9104),
    Process("activities", "services/activities/config.yml", "ACTIVITIES_OPS_PORT", 9105),
    Process("provinces", "services/provinces/config.yml", "PROVINCES_OPS_PORT", 9106, database=False),
    Process("gateway", "gateway/config.yml", "GATEWAY_OPS_PORT", 9100, database=False),
)
SERVICES = tuple(process for process in PROCESSES if process.database)


def load_config(process, own_accounts=False):
    """The process's configuration, with the URLs as configured (the administrator's,
    where ``prepare`` runs) or, ``own_accounts``, with the process's own credentials."""
    from chassis import config
    return config.load(os.path.join(ROOT, process.config), own_accounts)


def password_variables(process):
    """The environment variables that hold ``process``'s own database and broker passwords."""
    name = process.name.upper()
    database = [f"ONENET_{name}_DB_PASSWORD"] if process in SERVICES else []
    return database + [f"ONENET_{name}_AMQP_PASSWORD"]


def make_account_passwords(env):
    """A fresh password for every process's own role and user that has none in ``env``."""
    for process in PROCESSES:
        for variable in password_variables(process):
            if not env.get(variable):
                env[variable] = secrets.token_urlsafe(24)


def server_uri(amqp_uri):
    """``amqp_uri`` with its vhost replaced by the default one, which every broker has."""
    where = urlsplit(amqp_uri)
    return where._replace(path="/").geturl()


def check_servers(amqp_uri, database_url):
    """Like :func:`check_dependencies`, but asks only the servers, not the configured vhost
    and database (they may not exist yet: ``reset_test`` and ``prepare`` create them)."""
    check_dependencies(server_uri(amqp_uri), database_url)


def check_dependencies(amqp_uri, database_url):
    """Fail with how to start RabbitMQ or PostgreSQL when either is unreachable."""
    from chassis import db, ops
    problems = []
    if not db.ping(database_url.rsplit("/", 1)[0] + "/postgres"):
        where = urlsplit(database_url)
        problems.append(
            f"PostgreSQL at {where.hostname}:{where.port or 5432} is unreachable. Start it with:\n"
            "    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    if not ops.broker_reachable(amqp_uri):
        where = urlsplit(amqp_uri)
        problems.append(
            f"RabbitMQ at {where.hostname}:{where.port or 5672} (vhost {where.path or '/'}) is "
            "unreachable. Start it with:\n    rabbitmq-server -detached")
    if problems:
        raise SystemExit("\n".join(problems))


def prepare():
    """Database, schemas and migrations for every service; the broker topology (the
    provinces' exchanges and queues first: services bind to them); each process's own
    database role and broker user (where their passwords are set)."""
    from chassis import events, migrate, rpc
    from chassis.queues import DurableQueues
    from chassis.serve import service_class
    from infra import provinces
    configs = [load_config(process) for process in SERVICES]
    check_servers(configs[0]["AMQP_URI"], configs[0]["DATABASE_URL"])
    ensure_vhost(configs[0]["AMQP_URI"])
    migrate.ensure_database(configs[0]["DATABASE_URL"])
    for process, config in zip(SERVICES, configs):
        applied = migrate.apply(config["DATABASE_URL"], config["DB_SCHEMA"],
                                os.path.join(ROOT, os.path.dirname(process.config), "migrations"))
        print(f"{process.name}: schema {config['DB_SCHEMA']} ready"
              + (f", applied {', '.join(applied)}" if applied else ""))
    provincial = provinces.declare_topology(configs[0]["AMQP_URI"])
    classes = [service_class(load_config(process)["SERVICE"]) for process in PROCESSES]
    queues = events.declare_topology(configs[0]["AMQP_URI"], classes,
                                     events.retry_delays(configs[0]))
    rpc_queues = rpc.declare_queues(configs[0]["AMQP_URI"], classes)
    print(f"broker topology declared: {len(queues)} queues, {len(rpc_queues)} RPC queues, "
          f"{len(provincial)} provincial queues ({DurableQueues.from_config(configs[0]).kind})")
    make_own_accounts([load_config(process) for process in PROCESSES])


def make_own_accounts(configs):
    """Each process's own PostgreSQL role and RabbitMQ user, where its passwords are set
    (see :mod:`infra.accounts`); connects as the configured (administrator's) URLs."""
    from chassis.serve import service_class
    from infra import accounts
    broker_accounts = []
    for config in configs:
        made = []
        if config.get("DB_PASSWORD"):
            accounts.ensure_database_role(config["DATABASE_URL"], config["DB_USER"],
                                          str(config["DB_PASSWORD"]), config["DB_SCHEMA"])
            made.append(f"database role {config['DB_USER']}")
        if config.get("AMQP_PASSWORD"):
            broker_accounts.append((config["AMQP_USER"], str(config["AMQP_PASSWORD"]),
                                    accounts.grants_for(service_class(config["SERVICE"]))))
            made.append(f"broker user {config['AMQP_USER']}")
        if made:
            print(f"{service_class(config['SERVICE']).name}: own {' and '.join(made)}")
    if broker_accounts:
        amqp_uri = configs[0]["AMQP_URI"]
        accounts.broker_admin(amqp_uri, os.environ.get("ONENET_RABBITMQ_MANAGEMENT_URL")).load(
            accounts.broker_definitions(accounts.vhost_of(amqp_uri), broker_accounts))


def ensure_vhost(amqp_uri):
    """Create the configured vhost with ``rabbitmqctl`` when the broker lacks it."""
    from chassis import ops
    if ops.broker_reachable(amqp_uri):
        return
    where = urlsplit(amqp_uri)
    vhost = where.path[1:] or "/"
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        raise SystemExit(f"RabbitMQ answers, but not at vhost {vhost!r} for user {where.username!r}; "
                         "create the vhost and grant the user on it")
    subprocess.run([rabbitmqctl, "-q", "add_vhost", vhost], capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "set_permissions", "-p", vhost, where.username or "guest",
                    ".*", ".*", ".*"], check=True, capture_output=True)
    if not ops.broker_reachable(amqp_uri):
        raise SystemExit(f"RabbitMQ vhost {vhost!r} is still unreachable after creating it")


def reset_test():
    """An empty slate for a test run: drop the test database and the suite's own roles,
    recreate the test vhost (which takes the suite's broker users' permissions with it;
    ``prepare`` sets their passwords and permissions anew) and forget its rate-limit counts."""
    import psycopg2
    from infra import accounts
    configs = [load_config(process) for process in PROCESSES]
    database_url, amqp_uri = configs[0]["DATABASE_URL"], configs[0]["AMQP_URI"]
    name, vhost = urlsplit(database_url).path.lstrip("/"), accounts.vhost_of(amqp_uri)
    if not name.endswith("_test") or not vhost.endswith("_test"):
        raise SystemExit(f"refusing to reset database {name} and vhost {vhost}: "
                         "only *_test ones are reset")
    # Roles and users are cluster-wide: only those named for this suite are touched.
    roles = [config["DB_USER"] for config in configs if config.get("DB_USER")]
    users = [config["AMQP_USER"] for config in configs if config.get("AMQP_USER")]
    strangers = [account for account in roles + users if not account.startswith(f"{name}_")]
    if strangers:
        raise SystemExit(f"refusing to drop {', '.join(strangers)}: set ONENET_ROLE_PREFIX={name}")
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    conn = psycopg2.connect(server, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
    accounts.drop_database_roles(server, roles)
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        raise SystemExit("rabbitmqctl is needed to create the test vhost")
    subprocess.run([rabbitmqctl, "-q", "delete_vhost", vhost], capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    gateway = configs[-1]
    clear_rate_limits(gateway["RATE_LIMIT_REDIS_URL"], gateway["RATE_LIMIT_PREFIX"],
                      gateway.get("RATE_LIMIT_REDIS_PASSWORD") or None)


def clear_rate_limits(redis_url, prefix, password=None):
    """Forget every rate-limit count kept under ``prefix`` (``<prefix>:*`` keys in Redis)."""
    import redis
    if not str(prefix).endswith("_test"):
        raise SystemExit(f"refusing to clear rate limits under {prefix}: only *_test ones are")
    try:
        store = redis.Redis.from_url(redis_url, password=password, socket_timeout=5)
        keys = list(store.scan_iter(f"{prefix}:*", count=1000))
        if keys:
            store.delete(*keys)
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {redis_url} is unreachable ({exc}). Start it with:\n"
                         "    redis-server --daemonize yes") from None


class Network:
    """Every process, each started as a separate OS process."""

    def __init__(self, env=None, log_dir=None):
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONPATH", ROOT)
        self.log_dir = log_dir
        self.children = {}

    def start(self, process, **env_overrides):
        """Start one process; ``env_overrides`` adjust its environment only."""
        out = None
        if self.log_dir:
            out = open(os.path.join(self.log_dir, f"{process.name}.log"), "ab")
        child = subprocess.Popen(
            [sys.executable, "-m", "chassis.serve", os.path.join(ROOT, process.config)],
            cwd=ROOT, env={**self.env, **env_overrides}, stdout=out,
            stderr=subprocess.STDOUT if out else None)
        self.children[process.name] = child
        return child

    def start_all(self, timeout=60):
        for process in PROCESSES:
            self.start(process)
        self.wait_ready(PROCESSES, timeout)

    def health_url(self, process):
        return f"http://127.0.0.1:{process.port(self.env)}/health/ready"

    def wait_ready(self, processes, timeout=60):
        deadline = time.monotonic() + timeout
        for process in processes:
            while True:
                child = self.children.get(process.name)
                if child is not None and child.poll() is not None:
                    raise RuntimeError(f"{process.name} exited with {child.returncode} while starting")
                try:
                    with urllib.request.urlopen(self.health_url(process), timeout=3) as answer:
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{process.name} not ready after {timeout}s")
                time.sleep(0.2)

    def process(self, name):
        return next(process for process in PROCESSES if process.name == name)

    def kill(self, name):
        child = self.children.pop(name)
        child.send_signal(signal.SIGKILL)
        child.wait()

    def supervise(self, stop, log=print, first_delay=0.5, max_delay=30.0, steady_after=60.0):
        """Start again every process that exits, until ``stop`` (a ``threading.Event``) is set.

        A process that exits is started again after a delay that doubles with each exit
        (``first_delay`` up to ``max_delay``) and is forgotten once the process has run
        ``steady_after`` seconds; every exit and restart is logged with ``log``."""
        started = {name: time.monotonic() for name in self.children}
        failures, due = {}, {}
        while not stop.is_set():
            now = time.monotonic()
            for name, child in list(self.children.items()):
                if name in due or child.poll() is None:
                    continue
                ran = now - started.get(name, now)
                failures[name] = 1 if ran >= steady_after else failures.get(name, 0) + 1
                delay = min(max_delay, first_delay * 2 ** (failures[name] - 1))
                due[name] = now + delay
                log(f"supervisor: {name} (pid {child.pid}) exited with {child.returncode} after {ran:.1f}s; "
                    f"restarting in {delay:g}s (exit {failures[name]} in a row)")
            for name, when in list(due.items()):
                if now >= when and not stop.is_set():
                    del due[name]
                    child = self.start(self.process(name))
                    started[name] = time.monotonic()
                    log(f"supervisor: {name} restarted (pid {child.pid})")
            stop.wait(0.2)

    def stop_all(self, others=(), timeout=25):
        """SIGTERM every process (and ``others``, processes of the caller's) and wait for each to
        exit, killing one that takes longer than ``timeout`` seconds.

        A Ctrl-C while it waits (a second one: the first stopped the run) hurries it on: every
        process still running is killed at once, and still waited for, so none outlives the run."""
        children = [*self.children.values(), *others]
        try:
            previous, hurry = signal.signal(signal.SIGINT, lambda *_: self._kill_every(children)), True
        except ValueError:  # not the main thread, which alone receives signals
            hurry = False
        try:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        finally:
            if hurry:
                signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        self.children.clear()

    @staticmethod
    def _kill_every(children):
        for child in children:
            if child.returncode is None:
                child.send_signal(signal.SIGKILL)


MAIL_DIR = os.path.join(ROOT, ".run", "mail")
# The key webhook secrets are sealed with in a local run, kept for the next run: the database keeps
# the subscriptions, whose secrets a fresh key would not open.
WEBHOOK_KEYS_FILE = os.path.join(ROOT, ".run", "webhook-secret-keys")
# What ``make run`` lets people try locally: webhooks to their own machine over plain http, and the
# requests service's clock under operator control (a demo network: the demo raises its requests on
# the days they belong to, and a national admin may move time with PUT /api/v1/clock).
LOCAL_WEBHOOKS = {"ONENET_WEBHOOK_ALLOW_HTTP": "on", "ONENET_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8, ::1/128"}
# A front-end developer's dev server on this machine, on whatever port it picks.
LOCAL_CORS_ORIGINS = "http://localhost:*, http://127.0.0.1:*"
LOCAL_CLOCK = {"ONENET_CLOCK_CONTROL": "on"}


def start_mail_sink(env):
    """A local SMTP server (aiosmtpd) that keeps every e-mail the network sends in a Maildir."""
    port = env.setdefault("ONENET_SMTP_PORT", "8025")
    os.makedirs(os.path.dirname(MAIL_DIR), exist_ok=True)
    child = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                              "-c", "aiosmtpd.handlers.Mailbox", MAIL_DIR], cwd=ROOT)
    print(f"e-mail: sent over SMTP to 127.0.0.1:{port}, a local server that keeps each message "
          f"as a file in {os.path.relpath(MAIL_DIR, ROOT)}/new (Maildir)")
    return child


def local_webhook_keys(env, path=WEBHOOK_KEYS_FILE):
    """``ONENET_WEBHOOK_SECRET_KEYS`` for a local run, when it is not set: the key kept in ``path``,
    made (and kept, readable by its owner only) by the first run."""
    if env.get("ONENET_WEBHOOK_SECRET_KEYS"):
        return
    from chassis.sealing import new_key
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="ascii") as handle:
            handle.write(new_key() + "\n")
    with open(path, encoding="ascii") as handle:
        env["ONENET_WEBHOOK_SECRET_KEYS"] = handle.read().strip()
    print(f"ONENET_WEBHOOK_SECRET_KEYS was not set; this run seals webhook secrets with the key in "
          f"{os.path.relpath(path, ROOT)}")


def run(demo="default"):
    # The processes' own database and broker passwords: made afresh for this run, not shown.
    make_account_passwords(os.environ)
    if not os.environ.get("ONENET_JWT_SECRET"):
        os.environ["ONENET_JWT_SECRET"] = secrets.token_urlsafe(32)
        print(f"ONENET_JWT_SECRET was not set; this run signs tokens with:\n"
              f"    export ONENET_JWT_SECRET={os.environ['ONENET_JWT_SECRET']}\n")
    local_webhook_keys(os.environ)
    prepare()
    for name, value in {**LOCAL_WEBHOOKS, **LOCAL_CLOCK}.items():
        os.environ.setdefault(name, value)
    print("webhooks: plain http and loopback addresses (127.0.0.0/8, ::1) are allowed in this local run")
    os.environ.setdefault("ONENET_CORS_ORIGINS", LOCAL_CORS_ORIGINS)
    print(f"CORS: pages from {os.environ['ONENET_CORS_ORIGINS']} may call the API (ONENET_CORS_ORIGINS)")
    mail_sink = start_mail_sink(os.environ) if "ONENET_SMTP_HOST" not in os.environ else None
    network = Network()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C stops the network even where it was started with SIGINT ignored (a background job of a
    # script): else the services, which handle it themselves, would stop and be started again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    supervisor = None
    loader = None
    try:
        for process in PROCESSES:
            network.start(process)
        # The demo loader starts beside them: its bulk SMEs need only the database, and its calls
        # wait in the services' queues (declared by prepare) until the services take them.
        loader = subprocess.Popen([sys.executable, "-m", "infra.demo", "--size", demo], cwd=ROOT)
        network.wait_ready(PROCESSES)
        # A process that exits (a crash, a kill) is started again with backoff; the others run on.
        supervisor = threading.Thread(target=network.supervise, args=(stop,),
                                      kwargs={"log": lambda line: print(line, flush=True)}, daemon=True)
        supervisor.start()
        if loader.wait() != 0:
            raise subprocess.CalledProcessError(loader.returncode, loader.args)
        while not stop.is_set():
            stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # until stop_all, which a Ctrl-C hurries on
        if supervisor is not None:
            supervisor.join(timeout=5)
        print("stopping every process ... (Ctrl-C again: kill them at once)", flush=True)
        network.stop_all(others=[child for child in (loader, mail_sink) if child is not None])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the OneNet network on this machine.")
    parser.add_argument("command", choices=["prepare", "demo-data", "run", "reset-test"])
    parser.add_argument("--demo", choices=["small", "default", "large"], default="default",
                        help="how much demo data run and demo-data load (large: for benchmarks)")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare()
    elif args.command == "demo-data":
        subprocess.run([sys.executable, "-m", "infra.demo", "--wait", "120", "--size", args.demo],
                       cwd=ROOT, check=True)
    elif args.command == "run":
        run(args.demo)
    elif args.command == "reset-test":
        reset_test()
    return 0


if __name__ == "__main__":
    sys.exit(main())
