"""The gateway's resource limits: one rate limit across replicas, kept in Redis, counted
before the token and the role are judged; deep JSON refused; Redis gone means fail open.

Gateways of this module's own run beside the suite's network, with a budget of 10 a
day (a window long enough that no test straddles two) under a Redis prefix of their own.
"""
import json
import os
import uuid

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from infra.network import Network
from tests.stack import log_lines

BUDGET = 10
PREFIX = f"{os.environ['ONENET_RATE_LIMIT_PREFIX']}:replicas"
OFFSET = int(os.environ["GATEWAY_PORT"]) - 18000


class Gateway:
    """One more gateway process, with its own ports and settings."""

    def __init__(self, tmp_path_factory, slot, **settings):
        self.port, self.ops_port = 18010 + OFFSET + slot, 19110 + OFFSET + slot
        env = {**os.environ, "GATEWAY_PORT": str(self.port), "GATEWAY_OPS_PORT": str(self.ops_port),
               **settings}
        self.network = Network(env=env, log_dir=str(tmp_path_factory.mktemp(f"gateway-{slot}")))
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        gateway = self.network.process("gateway")
        self.network.start(gateway)
        self.network.wait_ready([gateway], timeout=60)
        return self

    def get(self, path, token=None, **headers):
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, headers=headers, timeout=10)

    def metrics(self):
        text = requests.get(f"http://127.0.0.1:{self.ops_port}/metrics", timeout=5).text
        return {sample.name: sample.value for family in text_string_to_metric_families(text)
                for sample in family.samples}

    def log(self):
        return log_lines(self.network.log_dir, "gateway")


@pytest.fixture(scope="module")
def replicas(network, tmp_path_factory):
    """Two gateways sharing one budget; the second trusts 127.0.0.1 as its proxy."""
    shared = {"ONENET_RATE_LIMIT": f"{BUDGET}/day", "ONENET_RATE_LIMIT_PREFIX": PREFIX}
    first = Gateway(tmp_path_factory, 0, **shared, ONENET_TRUSTED_PROXIES="")
    second = Gateway(tmp_path_factory, 1, **shared, ONENET_TRUSTED_PROXIES="127.0.0.1")
    try:
        yield first.start(), second.start()
    finally:
        first.network.stop_all()
        second.network.stop_all()


@pytest.fixture(autouse=True)
def fresh_budgets():
    store = redis.Redis.from_url(os.environ.get("ONENET_REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = list(store.scan_iter(f"{PREFIX}:*"))
    if keys:
        store.delete(*keys)


def assert_rate_limited(answer):
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "rate_limited"
    assert set(answer.json()["error"]) == {"code", "message", "details", "correlation_id"}
    retry_after = int(answer.headers["Retry-After"])
    assert 0 < retry_after <= 24 * 3600
    assert answer.json()["error"]["details"] == {"retry_after_seconds": retry_after}
    assert answer.headers["RateLimit-Limit"] == str(BUDGET)
    assert answer.headers["RateLimit-Remaining"] == "0"
    assert int(answer.headers["RateLimit-Reset"]) == retry_after


def test_two_gateway_replicas_spend_one_budget_and_then_answer_429(replicas):
    first, second = replicas
    answers = [(first if n % 2 == 0 else second).get("/health/live") for n in range(BUDGET)]
    assert [answer.status_code for answer in answers] == [200] * BUDGET
    assert [answer.headers["RateLimit-Remaining"] for answer in answers] == [
        "9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]
    assert_rate_limited(first.get("/health/live"))
    assert_rate_limited(second.get("/health/live"))


def test_a_flood_of_invalid_tokens_is_limited_by_client_address(replicas):
    first, _ = replicas
    statuses = [first.get("/api/v1/notifications", "not-a-token").status_code for _ in range(BUDGET)]
    assert statuses == [401] * BUDGET
    assert_rate_limited(first.get("/api/v1/notifications", "not-a-token"))
    assert_rate_limited(first.get("/api/v1/notifications"))  # the same address, without a token


def test_calls_a_role_may_not_make_spend_its_budget_before_the_role_check(replicas, token):
    first, second = replicas
    enterprise = token("enterprise", "91110105MA01A00010")
    statuses = [first.get("/api/v1/clock", enterprise).status_code
                for _ in range(BUDGET)]
    assert statuses == [403] * BUDGET
    assert_rate_limited(second.get("/api/v1/clock", enterprise))


def test_authenticated_callers_are_counted_by_their_subject(replicas, token):
    first, second = replicas
    busy, other = token("enterprise", "91110105MA01A00010"), token("enterprise", "91110105MA01A00028")
    assert [first.get("/api/v1/notifications", busy).status_code for _ in range(BUDGET)] == [200] * BUDGET
    assert_rate_limited(second.get("/api/v1/notifications", busy))
    assert second.get("/api/v1/notifications", other).status_code == 200
    assert first.get("/health/live").status_code == 200  # the address's budget is its own


def test_callers_behind_a_trusted_proxy_have_budgets_of_their_own(replicas):
    first, second = replicas
    portal_user = {"X-Forwarded-For": "198.51.100.1"}
    assert [second.get("/health/live", **portal_user).status_code for _ in range(BUDGET)] == [200] * BUDGET
    assert_rate_limited(second.get("/health/live", **portal_user))
    assert second.get("/health/live", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 200
    assert second.get("/health/live").status_code == 200  # the proxy's own address


def test_forwarded_for_from_an_untrusted_peer_changes_nothing(replicas):
    first, _ = replicas
    statuses = [first.get("/health/live", **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
                for n in range(BUDGET + 1)]
    assert statuses == [200] * BUDGET + [429]


def test_when_redis_is_unreachable_requests_pass_and_are_counted_as_unchecked(network, tmp_path_factory):
    gateway = Gateway(tmp_path_factory, 2, ONENET_RATE_LIMIT="2/day",
                      ONENET_REDIS_URL="redis://127.0.0.1:1/0").start()
    try:
        answers = [gateway.get("/health/live") for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5
        assert all("RateLimit-Remaining" not in answer.headers for answer in answers)
        assert gateway.metrics()["onenet_rate_limit_unchecked_total"] == 5.0
        lines = [json.loads(line) for line in gateway.log() if "rate_limit_store" in line]
        assert [line["event"] for line in lines] == ["rate_limit_store_unavailable"]
        assert lines[0]["level"] == "warning"
    finally:
        gateway.network.stop_all()


def test_json_nested_5000_levels_deep_is_a_400_with_no_traceback(network, api, token):
    cid = f"deep-{uuid.uuid4()}"
    body = '{"name": ' + "[" * 5000 + "]" * 5000 + "}"
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), data=body.encode(),
                      headers={"Content-Type": "application/json", "X-Correlation-ID": cid})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "malformed_request"
    assert "32 levels" in answer.json()["error"]["message"]
    lines = [line for line in log_lines(network.log_dir, "gateway") if cid in line]
    assert [json.loads(line)["status"] for line in lines] == [400]  # one line, no traceback
    assert not [line for line in log_lines(network.log_dir, "gateway") if "RecursionError" in line]
