"""A private PostgreSQL cluster and a private RabbitMQ node, made in a temporary folder, that
fault tests may stop, restart and kill without touching the servers everyone else uses.

``PrivatePostgres`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when run as root,
which PostgreSQL refuses to run as); ``PrivateRabbit`` runs ``rabbitmq-server`` with its own
node name, ports, Mnesia and log folders, and is restarted with
``rabbitmqctl stop_app``/``start_app`` as operators do. ``env()`` gives what a process, and
``rabbitmqctl``, need to reach them.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} within {timeout}s")


def _pg_bin(name):
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        raise RuntimeError(f"{name} is needed (apt-get install postgresql)")
    return found


class PrivatePostgres:
    """A PostgreSQL cluster of its own on ``port``, its data under ``base``."""

    def __init__(self, base, port=5434):
        self.base, self.port = base, port
        self.data = os.path.join(base, "pgdata")
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, *args, check=True):
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def create(self):
        os.makedirs(self.base, exist_ok=True)
        if self.user:
            record = pwd.getpwnam(self.user)
            os.chown(self.base, record.pw_uid, record.pw_gid)
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._run(_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--no-sync")
            with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as conf:
                conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.base}'\n"
                           "max_connections = 200\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        return self

    def start(self):
        if self._run(_pg_bin("pg_ctl"), "-D", self.data, "status", check=False).returncode == 0:
            return
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.base, "postgres.log"), "-w",
                  "-t", "60", "start")
        wait_until(lambda: port_open(self.port), 60, "the private PostgreSQL did not open its port")

    def stop(self, mode="fast"):
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def restart(self, down_seconds=0.0):
        self.stop()
        time.sleep(down_seconds)
        self.start()


class PrivateRabbit:
    """A RabbitMQ node of its own (``nodename``) on ``port``, its state under ``base``."""

    def __init__(self, base, nodename="onenet_faults@localhost", port=5673, dist_port=25673):
        self.base, self.nodename, self.port, self.dist_port = base, nodename, port, dist_port

    def env(self):
        return {
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.base, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.base, "log"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.base, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.base, "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.base, "enabled_plugins"),
            "RABBITMQ_PID_FILE": os.path.join(self.base, "rabbit.pid"),
        }

    def uri(self, vhost=""):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    def ctl(self, *args, check=True, **kwargs):
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.nodename, *args], env={**os.environ, **self.env()},
                              check=check, capture_output=True, text=True, **kwargs)

    def create(self):
        for folder in ("mnesia", "log"):
            os.makedirs(os.path.join(self.base, folder), exist_ok=True)
        with open(os.path.join(self.base, "rabbitmq.conf"), "w") as conf:
            conf.write("loopback_users = none\n")
        with open(os.path.join(self.base, "advanced.config"), "w") as conf:
            conf.write("[].\n")
        with open(os.path.join(self.base, "enabled_plugins"), "w") as plugins:
            plugins.write("[].\n")
        if os.geteuid() == 0:  # rabbitmq-server started by root runs as the rabbitmq user
            try:
                record = pwd.getpwnam("rabbitmq")
            except KeyError:
                return self
            for folder, _, files in os.walk(self.base):
                for path in [folder, *(os.path.join(folder, name) for name in files)]:
                    os.chown(path, record.pw_uid, record.pw_gid)
        return self

    def start(self):
        subprocess.run(["rabbitmq-server", "-detached"], env={**os.environ, **self.env()}, check=True,
                       capture_output=True)
        wait_until(lambda: self.ctl("await_startup", check=False).returncode == 0 and port_open(self.port), 120,
                   "the private RabbitMQ did not start")

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")
        wait_until(lambda: port_open(self.port), 60, "the private RabbitMQ did not reopen its port")

    def restart_app(self, down_seconds=0.0):
        self.stop_app()
        time.sleep(down_seconds)
        self.start_app()

    def stop(self):
        self.ctl("stop", check=False)
