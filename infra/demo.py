"""Demo data, loaded through the running services (so every event flows as in life).

``python -m infra.demo [--wait SECONDS]`` registers a few SMEs and prints the
gateway URL with ready-made tokens for each kind of caller.
"""
import chassis  # noqa: F401  (first: its warning filters precede eventlet's import)
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import importlib  # noqa: E402

from nameko.exceptions import UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from chassis import config as process_config  # noqa: E402
from gateway import auth  # noqa: E402
from infra.demo_data import ORDER  # noqa: E402
from infra.demo_data.enterprises import ENTERPRISES  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(amqp_uri, wait=30):
    """Load every service's demo data, waiting up to ``wait`` s for the services to answer."""
    deadline = time.monotonic() + wait
    loaded = {}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=60) as services:
        for name in ORDER:
            module = importlib.import_module(f"infra.demo_data.{name}")
            while True:
                try:
                    loaded[name] = module.load(services)
                    break
                except UnknownService:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait", type=float, default=30)
    args = parser.parse_args(argv)
    config = process_config.load(os.path.join(ROOT, "services/enterprises/config.yml"))
    loaded = load(config["AMQP_URI"], wait=args.wait)
    print("demo data added (what was already there is left as it is): " + ", ".join(f"{name} {count}" for name, count in loaded.items()))
    secret = os.environ.get("ONENET_JWT_SECRET")
    if secret:
        port = os.environ.get("GATEWAY_PORT", "8000")
        print(banner(f"http://127.0.0.1:{port}", secret), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
