"""The whole network on a private PostgreSQL cluster and a private RabbitMQ node (see
:mod:`tests.faults.servers`), started as ``make run`` starts it and supervised as it
supervises, so that fault tests can kill its processes and restart its servers.

    with PrivateNetwork() as net:
        net.kill("enterprises")          # SIGKILL; the supervisor starts it again
        net.rabbit.restart_app()         # stop_app / start_app
        net.postgres.restart()
"""
import contextlib
import os
import shutil
import tempfile
import threading
from urllib.parse import quote

from tests.faults.servers import PrivatePostgres, PrivateRabbit

NAME = os.environ.get("ONENET_FAULTS_NAME", "onenet_faults")
PG_PORT = int(os.environ.get("ONENET_FAULTS_PG_PORT", "5434"))
AMQP_PORT = int(os.environ.get("ONENET_FAULTS_AMQP_PORT", "5673"))
PORT_BASE = int(os.environ.get("ONENET_FAULTS_PORT_BASE", "25000"))
JWT_SECRET = "faults-secret-for-the-private-network-only"
WEBHOOK_SECRET_KEYS = "ZmF1bHRzLWtleS1mb3ItdGhlLXByaXZhdGUtbmV0LTE="  # "faults-key-for-the-private-net-1"


def environment(pg_port, amqp_port, port_base, name=NAME):
    """What every process of the private network, and ``prepare``, run with."""
    ops = port_base + 1100
    return {
        "ONENET_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{pg_port}/{name}",
        "ONENET_AMQP_URI": f"amqp://guest:guest@127.0.0.1:{amqp_port}/{name}",
        "GATEWAY_PORT": str(port_base),
        "GATEWAY_OPS_PORT": str(ops),
        "AGENCIES_OPS_PORT": str(ops + 1),
        "ENTERPRISES_OPS_PORT": str(ops + 2),
        "REQUESTS_OPS_PORT": str(ops + 3),
        "NOTIFICATIONS_OPS_PORT": str(ops + 4),
        "ACTIVITIES_OPS_PORT": str(ops + 5),
        "PROVINCES_OPS_PORT": str(ops + 6),
        "ONENET_JWT_SECRET": JWT_SECRET,
        "ONENET_WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEYS,
        "ONENET_ROLE_PREFIX": name,
        "ONENET_RATE_LIMIT_PREFIX": name,
        "ONENET_PROVINCE_USER_PREFIX": f"{name}.",
        "ONENET_RATE_LIMIT": "10000000/minute",
        "ONENET_EVENT_RETRY_DELAYS": "0.5, 2, 5",
        "ONENET_OUTBOX_POLL_INTERVAL": "0.1",
        "ONENET_RPC_TIMEOUT": "5",
        "ONENET_LOG_LEVEL": "WARNING",
        "ONENET_CLOCK_CONTROL": "on",
        "ONENET_ESCALATION_INTERVAL": "5",
        "ONENET_WEBHOOK_ALLOW_HTTP": "on",
        "ONENET_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }


class PrivateNetwork:
    """Servers of its own, the schemas and topology prepared, every process started and
    supervised (a killed or crashed process is started again, as under ``make run``)."""

    def __init__(self, base=None, pg_port=PG_PORT, amqp_port=AMQP_PORT, port_base=PORT_BASE, keep=False, name=NAME):
        self.base = base or tempfile.mkdtemp(prefix="onenet-faults-")
        os.chmod(self.base, 0o755)  # the servers run as their own users (postgres, rabbitmq)
        self.keep = keep
        self.postgres = PrivatePostgres(os.path.join(self.base, "postgres"), pg_port)
        self.name = name
        self.rabbit = PrivateRabbit(os.path.join(self.base, "rabbitmq"), nodename=f"{name}@localhost",
                                    port=amqp_port, dist_port=amqp_port + 20000)
        self.env = environment(pg_port, amqp_port, port_base, name)
        self.log_dir = os.path.join(self.base, "logs")
        self.network = self._started_network = None
        self._supervisor = None
        self._stop = threading.Event()

    def __enter__(self):
        try:
            return self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _start(self):
        from infra import network
        os.makedirs(self.log_dir, exist_ok=True)
        self.postgres.create().start()
        self.rabbit.create().start()
        # prepare (and rabbitmqctl, which it calls) must reach the private node and cluster
        saved = dict(os.environ)
        os.environ.update(self.env)
        os.environ.update(self.rabbit.env())
        network.make_account_passwords(os.environ)
        try:
            network.prepare()
            child_env = dict(os.environ)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self._started_network = network.Network(env=child_env, log_dir=self.log_dir)
        self._started_network.start_all(timeout=120)
        self.network = self._started_network
        self._supervisor = threading.Thread(target=self.network.supervise, args=(self._stop,),
                                            kwargs={"log": self._log}, daemon=True)
        self._supervisor.start()
        return self

    def _log(self, line):
        with open(os.path.join(self.log_dir, "supervisor.log"), "a") as out:
            out.write(line + "\n")

    def supervisor_lines(self):
        path = os.path.join(self.log_dir, "supervisor.log")
        return open(path).read().splitlines() if os.path.exists(path) else []

    def error_lines(self, process, last=20, marks=("error",)):
        """The last ``last`` lines of a process's log that hold one of ``marks`` (any case): by default
        every line reporting an error, for a failing check's message."""
        path = os.path.join(self.log_dir, f"{process}.log")
        if not os.path.exists(path):
            return []
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        return [line for line in lines if any(mark in line.lower() for mark in marks)][-last:]

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.env['GATEWAY_PORT']}"

    @contextlib.contextmanager
    def rabbitmqctl_env(self):
        """Within it, ``rabbitmqctl`` (as :mod:`infra` calls it) reaches the private node."""
        saved = dict(os.environ)
        os.environ.update(self.rabbit.env())
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def province_url(self, code, password):
        from chassis import provinces
        user = provinces.user_name(code, self.env["ONENET_PROVINCE_USER_PREFIX"])
        return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.rabbit.port}/{self.name}"

    def parked(self, dead_letter_queue):
        """What a dead-letter queue holds (its headers), left where it is."""
        from kombu import Connection
        with Connection(self.env["ONENET_AMQP_URI"]) as connection:
            channel = connection.channel()
            letters = []
            while True:
                message = channel.basic_get(dead_letter_queue, no_ack=False)
                if message is None:
                    break
                headers = {key: value for key, value in (message.headers or {}).items() if key.startswith("x-")}
                letters.append({**headers, "message_id": message.properties.get("message_id")})
            channel.close()  # unacknowledged: every message stays parked
        return letters

    def pid(self, name):
        return self.network.children[name].pid

    def kill(self, name):
        """SIGKILL one process; the supervisor starts it again."""
        self.network.children[name].kill()

    def wait_ready(self, names=None, timeout=120):
        processes = [self.network.process(name) for name in (names or [p.name for p in self._processes()])]
        self.network.wait_ready(processes, timeout)

    def _processes(self):
        from infra.network import PROCESSES
        return PROCESSES

    def __exit__(self, *exc):
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=10)
        if self.network is not None:
            self.network.stop_all()
        elif self._started_network is not None:
            self._started_network.stop_all()
        self.rabbit.stop()
        self.postgres.stop("immediate")
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)
