"""A browser app on another origin calls the gateway (CORS), proven with HTTP and a real Chromium.

The suite allows pages from ``http://localhost:*`` (``ONENET_CORS_ORIGINS``); the
gateway listens on ``127.0.0.1``, which is another origin.
"""
import functools
import http.server
import json
import os
import shutil
import threading

import pytest

from tests import node
from tests.stack import register_over_http

PAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "browser")
APP = "http://localhost:5173"


def preflight(api, path, method, origin=APP, headers="authorization, content-type"):
    return api.request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})


def test_preflight_from_an_allowed_origin_names_it_with_the_methods_and_headers(api):
    answer = preflight(api, "/api/v1/enterprises/91110105MA01A00010", "PATCH")

    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert set(answer.headers["Access-Control-Allow-Methods"].split(", ")) >= {"GET", "PATCH", "OPTIONS"}
    assert set(answer.headers["Access-Control-Allow-Headers"].split(", ")) == {
        "Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-ID"}
    assert "Origin" in answer.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.parametrize("origin", ["https://evil.example.cn", "http://127.0.0.1:5173", "null"])
def test_preflight_from_another_origin_gets_no_allowance(api, origin):
    answer = preflight(api, "/api/v1/enterprises", "POST", origin=origin)

    assert answer.status_code == 204
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert "Origin" in answer.headers["Vary"]


def test_answers_to_an_allowed_origin_expose_the_correlation_id_and_rate_limit(api, token):
    answer = api.get("/api/v1/notifications", token("enterprise", "91110105MA01A00010"),
                     headers={"Origin": APP})

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    exposed = set(answer.headers["Access-Control-Expose-Headers"].split(", "))
    assert {"X-Correlation-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= exposed
    assert "Origin" in answer.headers["Vary"]


def test_errors_reach_an_allowed_origin_too(api):
    answer = api.get("/api/v1/notifications", headers={"Origin": APP})

    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == APP


def test_options_without_cors_lists_the_allowed_methods_and_405_says_allow(api):
    options = api.request("OPTIONS", "/api/v1/openapi.json")
    assert options.status_code == 204
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    refused = api.request("DELETE", "/api/v1/openapi.json")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert refused.json()["error"]["details"]["allowed"] == ["GET", "HEAD", "OPTIONS"]
    assert api.request("OPTIONS", "/api/v1/no-such-thing").status_code == 404


@pytest.fixture
def app_origin():
    """The front-end team's page (tests/browser/page.html), served on localhost: an origin of its own."""
    handler = functools.partial(QuietHandler, directory=PAGE_DIR)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_a_page_on_another_origin_reads_a_profile_and_gets_a_typed_422_in_chromium(
        api, token, new_uscc, app_origin, tmp_path):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)")
    node.node()
    uscc = new_uscc("110105")
    register_over_http(api, token, uscc)
    url = f"{app_origin}/page.html#gateway={api.base_url}&token={token('enterprise', uscc)}&uscc={uscc}"

    done = node.run([node.node(), os.path.join(node.TOOLCHAIN, "open_page.mjs"), url, str(tmp_path / "profile")],
                    timeout=120, env={**os.environ, "CHROMIUM": chromium}, cwd=node.TOOLCHAIN)

    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout)
    assert "error" not in seen, seen
    assert seen["origin"] == app_origin
    assert seen["profile"]["status"] == 200
    assert seen["profile"]["body"]["uscc"] == uscc
    assert seen["profile"]["correlationId"]
    assert seen["profile"]["rateLimitRemaining"] is not None
    refused = seen["refused"]
    assert refused["status"] == 422
    assert refused["body"]["error"]["code"] == "validation_failed"
    assert "employees" in refused["body"]["error"]["details"]
    assert refused["correlationId"]
