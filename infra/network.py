"""Run the whole OneNet network on one machine.

    python -m infra.network prepare     create the database, schemas, migrations, broker topology
    python -m infra.network demo-data   load demo data through the running services
    python -m infra.network run         prepare, start every process, load demo data, wait
    python -m infra.network reset-test  give the test suite an empty database and vhost

``run`` stays in the foreground and stops every process it started on Ctrl-C.
The end-to-end tests start the network through the same :class:`Network`.
"""
import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
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
    health_port_env: str
    default_port: int

    def port(self, env):
        return int(env.get(self.health_port_env, self.default_port))


PROCESSES = (
    Process("agencies", "services/agencies/config.yml", "AGENCIES_OPS_PORT", 9101),
    Process("enterprises", "services/enterprises/config.yml", "ENTERPRISES_OPS_PORT", 9102),
    Process("requests", "services/requests/config.yml", "REQUESTS_OPS_PORT", 9103),
    Process("notifications", "services/notifications/config.yml", "NOTIFICATIONS_OPS_PORT", 9104),
    Process("gateway", "gateway/config.yml", "GATEWAY_PORT", 8000),
)
SERVICES = PROCESSES[:-1]


def load_config(process):
    from chassis import config
    return config.load(os.path.join(ROOT, process.config))


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
    """Database, schemas and migrations for every service; the broker topology."""
    from chassis import events, migrate
    from chassis.serve import service_class
    configs = [load_config(process) for process in SERVICES]
    check_servers(configs[0]["AMQP_URI"], configs[0]["DATABASE_URL"])
    ensure_vhost(configs[0]["AMQP_URI"])
    migrate.ensure_database(configs[0]["DATABASE_URL"])
    for process, config in zip(SERVICES, configs):
        applied = migrate.apply(config["DATABASE_URL"], config["DB_SCHEMA"],
                                os.path.join(ROOT, os.path.dirname(process.config), "migrations"))
        print(f"{process.name}: schema {config['DB_SCHEMA']} ready"
              + (f", applied {', '.join(applied)}" if applied else ""))
    classes = [service_class(config["SERVICE"]) for config in configs]
    queues = events.declare_topology(configs[0]["AMQP_URI"], classes,
                                     events.retry_delays(configs[0]))
    print(f"broker topology declared: {len(queues)} queues")


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


def reset_test(database_url, vhost):
    """Drop the test database and recreate the test vhost (an empty slate per run)."""
    import psycopg2
    where = urlsplit(database_url)
    name = where.path.lstrip("/")
    if not name.endswith("_test") or not vhost.endswith("_test"):
        raise SystemExit(f"refusing to reset database {name} and vhost {vhost}: "
                         "only *_test ones are reset")
    conn = psycopg2.connect(database_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        raise SystemExit("rabbitmqctl is needed to create the test vhost")
    subprocess.run([rabbitmqctl, "-q", "delete_vhost", vhost], capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run([rabbitmqctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)


class Network:
    """The five processes, started as separate OS processes."""

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

    def stop_all(self):
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children.values():
            try:
                child.wait(timeout=25)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()


def run():
    if not os.environ.get("ONENET_JWT_SECRET"):
        os.environ["ONENET_JWT_SECRET"] = secrets.token_urlsafe(32)
        print(f"ONENET_JWT_SECRET was not set; this run signs tokens with:\n"
              f"    export ONENET_JWT_SECRET={os.environ['ONENET_JWT_SECRET']}\n")
    prepare()
    network = Network()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        network.start_all()
        subprocess.run([sys.executable, "-m", "infra.demo"], cwd=ROOT, check=True)
        while not stop:
            for name, child in network.children.items():
                if child.poll() is not None:
                    raise SystemExit(f"{name} exited with {child.returncode}; stopping the network")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping every process ...", flush=True)
        network.stop_all()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run the OneNet network on this machine.")
    parser.add_argument("command", choices=["prepare", "demo-data", "run", "reset-test"])
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare()
    elif args.command == "demo-data":
        subprocess.run([sys.executable, "-m", "infra.demo", "--wait", "120"], cwd=ROOT, check=True)
    elif args.command == "run":
        run()
    elif args.command == "reset-test":
        config = load_config(PROCESSES[1])
        reset_test(config["DATABASE_URL"], urlsplit(config["AMQP_URI"]).path.lstrip("/") or "/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
