"""Demo data: a believable national network, loaded into the running services.

``python -m infra.demo [--size small|default|large] [--wait SECONDS]`` loads, with a progress
bar on stderr and the time each part took:

1. the generated SMEs at national scale (:mod:`infra.demo_data.national`), written in bulk
   with their consumers' read models (:mod:`infra.demo_data.bulk`);
2. the hand-written showcase, through the services (:data:`infra.demo_data.ORDER`): the agency
   skeleton of every province, city and county, libraries, three dozen SMEs, four requests;
3. the national extras through the services, many calls at once: park stations, service
   guides, providers with their products and cases, requests in every state (raised on the
   days they belong to), and a few hundred policies, each pushed to the SMEs it fits (the
   push goes on for a while after the loader is done).

Then it prints what it added, the gateway URL and ready-made tokens. Loading twice adds nothing.
``make run`` runs it with ``--size default``; ``make run DEMO=large`` for benchmarks.
"""
import chassis  # noqa: F401  (first: its warning filters precede eventlet's import)
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from eventlet.queue import LightQueue  # noqa: E402
from nameko.exceptions import UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from tqdm import tqdm  # noqa: E402

from chassis import config as process_config  # noqa: E402
from gateway import auth  # noqa: E402
from infra.demo_data import ORDER, agencies as demo_agencies, bulk, national  # noqa: E402
from infra.demo_data import requests as demo_requests  # noqa: E402
from infra.demo_data.enterprises import ENTERPRISES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARALLEL_CALLS = 8


class Network:
    """Standalone RPC proxies to the running services, several for calls in parallel (one
    proxy's connection serves one call at a time)."""

    def __init__(self, amqp_uri, size=PARALLEL_CALLS, timeout=120, progress=True):
        self.proxies = [ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) for _ in range(size)]
        self.idle = LightQueue()
        self.size = size
        self.progress = progress

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
        with tqdm(total=len(items), desc=what, unit="", file=sys.stderr, leave=False,
                  disable=not self.progress or not items) as bar:
            for answer in pool.imap(lambda item: self.call(lambda services: function(services, item)), items):
                answers.append(answer)
                bar.update(1)
        return answers


def schemas():
    """The schema of each service whose tables the bulk part writes."""
    return {name: process_config.load(os.path.join(ROOT, f"services/{name}/config.yml"))["DB_SCHEMA"]
            for name in ("enterprises", "agencies", "activities")}


def load(amqp_uri, database_url, size="default", wait=30, parallel=PARALLEL_CALLS, progress=True, report=print):
    """Load the demo at ``size`` (a key of :data:`national.SCALES`) into the network on ``amqp_uri``
    whose database is ``database_url`` (the administrator's: the bulk part writes the services'
    schemas); ``report(line)`` is told the time each part took. Returns what was added, by part."""
    scale, on = national.SCALES[size], date.today()
    timings, loaded = {}, {}
    started = time.monotonic()

    smes = list(national.enterprises(scale, on))
    with tqdm(total=len(smes), desc="SMEs (bulk)", unit=" SMEs", file=sys.stderr, leave=False,
              disable=not progress) as bar:
        loaded["SMEs (bulk)"] = bulk.load_enterprises(database_url, schemas(), smes, on, progress=bar.update)
    timings["SMEs (bulk)"] = time.monotonic() - started

    deadline = time.monotonic() + wait
    with Network(amqp_uri, size=parallel, progress=progress) as network:
        for name in ORDER:
            begun = time.monotonic()
            module = importlib.import_module(f"infra.demo_data.{name}")
            while True:
                try:
                    loaded[name] = network.call(module.load)
                    break
                except UnknownService:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
            timings[name] = time.monotonic() - begun
        begun = time.monotonic()
        loaded.update(demo_agencies.load_network(network, scale))
        timings["stations, guides, providers"] = time.monotonic() - begun
        begun = time.monotonic()
        loaded["requests (national)"] = demo_requests.load_national(network, scale, smes)
        timings["requests (national)"] = time.monotonic() - begun
        # Last: each published policy is pushed to the SMEs it fits, which goes on in the
        # background after the loader is done.
        begun = time.monotonic()
        loaded["policies"] = demo_agencies.load_policies(network, scale, on)
        timings["policies"] = time.monotonic() - begun
    timings["total"] = time.monotonic() - started
    report("demo data loaded in " + ", ".join(f"{part} {seconds:.1f} s" for part, seconds in timings.items()))
    return loaded


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
