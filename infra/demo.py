"""Demo data, loaded through the running services (so every event flows as in life).

``python -m infra.demo [--wait SECONDS]`` registers a few SMEs and prints the
gateway URL with ready-made tokens for each kind of caller.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from nameko.exceptions import UnknownService  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402
from stdnum.cn import uscc as uscc_standard  # noqa: E402

from chassis import config as process_config  # noqa: E402
from chassis.errors import Conflict  # noqa: E402
from gateway import auth  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def uscc(body17):
    return body17 + uscc_standard.calc_check_digit(body17)


ENTERPRISES = [
    {"uscc": uscc("91110105MA01A0001"), "name": "北京朝阳智造科技有限公司", "region_code": "110105",
     "industry_code": "C39", "employees": 86, "revenue": 5200},
    {"uscc": uscc("91110105MA01A0002"), "name": "北京望京软件服务有限公司", "region_code": "110105",
     "industry_code": "I65", "employees": 24, "revenue": 830},
    {"uscc": uscc("91320102MA1XB0003"), "name": "南京玄武精密仪器有限公司", "region_code": "320102",
     "industry_code": "C40", "employees": 150, "revenue": 12000},
    {"uscc": uscc("91440305MA5FC0004"), "name": "深圳南山跨境贸易有限公司", "region_code": "440305",
     "industry_code": "F51", "employees": 12, "revenue": 2400},
]


def load(amqp_uri, wait=30):
    """Register the demo SMEs (already registered ones are left as they are)."""
    deadline = time.monotonic() + wait
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as services:
        for enterprise in ENTERPRISES:
            while True:
                try:
                    services.enterprises.register(enterprise)
                    break
                except Conflict:
                    break
                except UnknownService:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)


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
    load(config["AMQP_URI"], wait=args.wait)
    print(f"demo data: {len(ENTERPRISES)} enterprises registered")
    secret = os.environ.get("ONENET_JWT_SECRET")
    if secret:
        port = os.environ.get("GATEWAY_PORT", "8000")
        print(banner(f"http://127.0.0.1:{port}", secret), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
