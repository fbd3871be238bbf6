"""Steady "other traffic" against the gateway, for the policy push benchmark (not a benchmark itself).

    python bench/gateway_load.py BASE_URL PLAN.json SECONDS

``PLAN.json`` lists ``[path, token or null]`` pairs; a few workers walk it in a loop,
each pacing itself to one request per ``--interval`` seconds, and print one JSON line
per request: ``[started (epoch s), latency (ms), status]``. It stops by itself.
"""
import argparse
import itertools
import json
import sys
import threading
import time

import requests


def worker(base_url, plan, until, interval, out, lock, offset):
    session = requests.Session()
    for path, token in itertools.islice(itertools.cycle(plan), offset, None):
        if time.time() >= until:
            return
        began = time.time()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            status = session.get(base_url + path, headers=headers, timeout=10).status_code
        except requests.RequestException:
            status = 0
        latency = (time.time() - began) * 1000
        with lock:
            out.write(json.dumps([began, round(latency, 2), status]) + "\n")
            out.flush()
        time.sleep(max(0.0, interval - (time.time() - began)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("plan")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    until, lock = time.time() + args.seconds, threading.Lock()
    threads = [threading.Thread(target=worker, args=(args.base_url, plan, until, args.interval, sys.stdout, lock, n))
               for n in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
