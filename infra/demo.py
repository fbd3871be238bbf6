"""Demo data: a believable national network, loaded into the running services.

``python -m infra.demo [--size small|default|large] [--wait SECONDS]`` loads, with a progress
bar on stderr and the time each part took:

1. the generated SMEs at national scale (:mod:`infra.demo_data.national`), written in bulk
   with their consumers' read models (:mod:`infra.demo_data.bulk`) by two processes of their
   own, while the next parts, which do not need them, go on;
2. the agency skeleton of every province, city and county and the showcase's libraries
   (:mod:`infra.demo_data.agencies`); then, side by side, the showcase's three dozen SMEs and
   four requests, and the national park stations, service guides, providers with their
   products and cases (a batch of each kind in one call to the agencies service);
3. once the SMEs are in, requests in every state (raised on the days they belong to, a share
   of each wave per call, many calls at once); then a few hundred policies (one call), each
   pushed to the SMEs it fits (the push goes on for a while after the loader is done).

Then it prints what it added, the gateway URL and ready-made tokens. Loading twice adds nothing.
``make run`` runs it with ``--size default``; ``make run DEMO=large`` for benchmarks.
"""
import chassis  # noqa: F401  (first: its warning filters precede eventlet's import)
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from eventlet.queue import LightQueue  # noqa: E402
from nameko.exceptions import UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from tqdm import tqdm  # noqa: E402

from chassis import config as process_config  # noqa: E402
from gateway import auth  # noqa: E402
from infra.demo_data import agencies as demo_agencies, enterprises as demo_enterprises, national  # noqa: E402
from infra.demo_data.bulk import schemas  # noqa: E402,F401  (the services' schemas, for callers)
from infra.demo_data import requests as demo_requests  # noqa: E402
from infra.demo_data.enterprises import ENTERPRISES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARALLEL_CALLS = 8
BULK_PROCESSES = 2   # the bulk SMEs: Python's checks and PostgreSQL's inserts on both cores


class Network:
    """Standalone RPC proxies to the running services, several for calls in parallel (one
    proxy's connection serves one call at a time)."""

    def __init__(self, amqp_uri, size=PARALLEL_CALLS, timeout=120, progress=True):
        self.proxies = [ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) for _ in range(size)]
        self.idle = LightQueue()
        self.size = size
        self.progress = progress
        self.lines = set()   # the progress bars' lines in use

    def __enter__(self):
        for proxy in self.proxies:
            self.idle.put(proxy.start())
        return self

    def __exit__(self, *exc):
        for proxy in self.proxies:
            proxy.stop()

    def call(self, function):
        """``function(services)`` on an idle proxy."""
        services = self.idle.get()
        try:
            return function(services)
        finally:
            self.idle.put(services)

    def map(self, what, function, items):
        """``function(services, item)`` for every item, ``size`` at a time, with a progress bar:
        the answers in order."""
        items = list(items)
        pool = eventlet.GreenPool(self.size)
        answers = []
        line = min(set(range(len(self.lines) + 1)) - self.lines)  # two maps at once: a bar each
        self.lines.add(line)
        try:
            with tqdm(total=len(items), desc=what, unit="", file=sys.stderr, leave=False, position=line,
                      disable=not self.progress or not items) as bar:
                for answer in pool.imap(lambda item: self.call(lambda services: function(services, item)), items):
                    answers.append(answer)
                    bar.update(1)
        finally:
            self.lines.discard(line)
        return answers


class BulkLoad:
    """The bulk SMEs (:mod:`infra.demo_data.bulk`), loaded by processes of their own (``processes``
    of them, each taking every n-th batch) beside the calls to the services, which do not need
    them, with a progress bar of their own."""

    def __init__(self, database_url, size, total, progress, processes=BULK_PROCESSES):
        env = {**os.environ, "ONENET_DEMO_DATABASE_URL": database_url,
               "PYTHONPATH": os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH"))))}
        self.started = time.monotonic()
        self.children = [subprocess.Popen([sys.executable, "-m", "infra.demo_data.bulk", size, str(k), str(processes)],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
                         for k in range(processes)]
        self.bar = tqdm(total=total, desc="SMEs (bulk)", unit=" SMEs", file=sys.stderr, leave=False,
                        disable=not progress, position=1)
        self.stored, self.seconds = [None] * processes, None
        self.readers = [eventlet.spawn(self._read, k, child) for k, child in enumerate(self.children)]

    def _read(self, k, child):
        for line in child.stdout:
            what, _, count = line.strip().partition(" ")
            if what == "loaded":
                self.bar.update(int(count))
            elif what == "stored":
                self.stored[k] = int(count)
        child.wait()

    def wait(self):
        """How many SMEs were new; fails when the load did."""
        for reader in self.readers:
            reader.wait()
        self.seconds = time.monotonic() - self.started
        self.bar.close()
        failed = [child.returncode for child in self.children if child.returncode != 0]
        if failed or None in self.stored:
            raise RuntimeError(f"the bulk SMEs did not load (exit {failed})")
        return sum(self.stored)

    def stop(self):
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()


def load(amqp_uri, database_url, size="default", wait=30, parallel=PARALLEL_CALLS, progress=True, report=print):
    """Load the demo at ``size`` (a key of :data:`national.SCALES`) into the network on ``amqp_uri``
    whose database is ``database_url`` (the administrator's: the bulk part writes the services'
    schemas); ``report(line)`` is told the time each part took. Returns what was added, by part.

    The bulk SMEs load in processes of their own while the agencies, stations, guides and
    providers go through the services; the requests and then the policies, which need the SMEs,
    wait for them."""
    scale, on = national.SCALES[size], date.today()
    timings, loaded = {}, {}
    started = time.monotonic()

    @contextlib.contextmanager
    def part(name):
        begun = time.monotonic()
        yield
        timings[name] = time.monotonic() - begun
        if progress:
            tqdm.write(f"demo: {name} {timings[name]:.1f} s", file=sys.stderr)

    smes = BulkLoad(database_url, size, scale.enterprises, progress)
    deadline = time.monotonic() + wait
    try:
        with Network(amqp_uri, size=parallel, progress=progress) as network:
            with part("agencies"):
                loaded["agencies"] = _first_call(network, demo_agencies.load, deadline)
            # The showcase's SMEs and requests, and the stations, guides and providers, need
            # nothing but the skeleton: side by side.
            with part("showcase SMEs and requests beside the stations, guides, providers"):
                stations = eventlet.spawn(_timed, part, "stations, guides, providers",
                                          demo_agencies.load_network, network, scale)
                with part("enterprises"):
                    loaded["enterprises"] = network.call(demo_enterprises.load)
                with part("requests"):
                    loaded["requests"] = network.call(demo_requests.load)
                loaded.update(stations.wait())
            with part("waiting for the bulk SMEs"):
                loaded["SMEs (bulk)"] = smes.wait()
            timings["SMEs (bulk, beside the above)"] = smes.seconds
            with part("requests (national)"):
                registered = national.Registrations(scale, on)  # who raises the requests
                loaded["requests (national)"] = demo_requests.load_national(network, scale, registered)
            # Last, in one call: each published policy is pushed to the SMEs it fits, which goes
            # on in the background after the loader is done (and would only slow the requests).
            with part("policies"):
                loaded["policies"] = demo_agencies.load_policies(network, scale, on)
    finally:
        smes.stop()
    timings["total"] = time.monotonic() - started
    report("demo data loaded in " + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in timings.items()))
    return loaded


def _first_call(network, function, deadline):
    """``network.call(function)``, waiting (until ``deadline``) for a service not yet known."""
    while True:
        try:
            return network.call(function)
        except UnknownService:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def _timed(part, name, function, *args):
    with part(name):
        return function(*args)


def banner(gateway_url, secret):
    tokens = {
        "national admin": auth.mint(secret, auth.NATIONAL_ADMIN, ttl_seconds=12 * 3600),
        "county admin 110105 (北京市朝阳区)": auth.mint(secret, auth.COUNTY_ADMIN, "110105", ttl_seconds=12 * 3600),
        f"enterprise {ENTERPRISES[0]['uscc']}": auth.mint(secret, auth.ENTERPRISE, ENTERPRISES[0]["uscc"], ttl_seconds=12 * 3600),
    }
    lines = [f"OneNet is running. Gateway: {gateway_url}  (OpenAPI: {gateway_url}/api/v1/openapi.json)",
             "Demo tokens (valid 12 h):"]
    for who, token in tokens.items():
        lines += [f"  {who}:", f"    {token}"]
    lines.append(f"Try: curl -H 'Authorization: Bearer <token>' {gateway_url}/api/v1/notifications")
    lines.append("Press Ctrl-C to stop every process.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load the demo network into the running services.")
    parser.add_argument("--size", choices=sorted(national.SCALES), default="default",
                        help="small (tests), default (make run), large (benchmarks)")
    parser.add_argument("--wait", type=float, default=30, help="seconds to wait for the services to answer")
    args = parser.parse_args(argv)
    config = process_config.load(os.path.join(ROOT, "services/enterprises/config.yml"))
    loaded = load(config["AMQP_URI"], config["DATABASE_URL"], args.size, wait=args.wait)
    print("demo data added (what was already there is left as it is): "
          + ", ".join(f"{name} {count}" for name, count in loaded.items()))
    secret = os.environ.get("ONENET_JWT_SECRET")
    if secret:
        port = os.environ.get("GATEWAY_PORT", "8000")
        print(banner(f"http://127.0.0.1:{port}", secret), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
