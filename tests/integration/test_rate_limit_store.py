"""The gateway's rate limit against the real Redis: one round trip a request, the library's budget."""
import os
import uuid

import pytest
import redis
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway import redis_script
from gateway.rate_limit import RateLimit

REDIS_URL = os.environ.get("ONENET_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def prefix():
    prefix = f"{os.environ['ONENET_RATE_LIMIT_PREFIX']}:store-{uuid.uuid4().hex[:8]}"
    yield prefix
    store = redis.Redis.from_url(REDIS_URL)
    keys = list(store.scan_iter(f"{prefix}:*"))
    if keys:
        store.delete(*keys)


def test_replicas_and_the_library_spend_one_budget(prefix):
    first, second = (RateLimit("5/minute", REDIS_URL, prefix) for _ in range(2))
    library = SlidingWindowCounterRateLimiter(first.store)
    assert library.hit(first.item, "subject:a")
    budgets = [(first if n % 2 else second).spend("subject:a") for n in range(5)]
    assert [(budget.allowed, budget.remaining) for budget in budgets] == [
        (True, 3), (True, 2), (True, 1), (True, 0), (False, 0)]
    stats = library.get_window_stats(first.item, "subject:a")
    assert stats.remaining == 0
    assert not library.test(first.item, "subject:a")
    assert all(budget.remaining == stats.remaining for budget in budgets[-2:])
    assert 1 <= budgets[-1].reset_seconds <= 60
    assert budgets[-1].headers()["Retry-After"] == str(budgets[-1].reset_seconds)
    assert second.spend("subject:b").remaining == 4


def test_a_request_costs_one_round_trip_to_the_store(prefix, monkeypatch):
    limit = RateLimit("600/minute", REDIS_URL, prefix)
    assert limit.spend("subject:a").allowed  # the script is in the store's cache from here on
    sent = []
    ask = redis_script.ScriptRunner._ask
    monkeypatch.setattr(redis_script.ScriptRunner, "_ask",
                        staticmethod(lambda connection, verb, *rest: sent.append(verb) or ask(connection, verb, *rest)))
    for _ in range(3):
        assert limit.spend("subject:a").allowed
    assert sent == ["EVALSHA"] * 3


def test_a_script_the_store_does_not_hold_is_sent_whole_once(monkeypatch):
    script = f"return {{KEYS[1], ARGV[1], 7}} -- {uuid.uuid4().hex}"   # new to the store
    runner = redis_script.ScriptRunner(REDIS_URL, script, 0.5)
    sent = []
    ask = redis_script.ScriptRunner._ask
    monkeypatch.setattr(redis_script.ScriptRunner, "_ask",
                        staticmethod(lambda connection, verb, *rest: sent.append(verb) or ask(connection, verb, *rest)))
    assert runner(["k"], ["v"]) == [b"k", b"v", 7]
    assert runner(["k"], ["w"]) == [b"k", b"w", 7]
    assert sent == ["EVALSHA", "EVAL", "EVALSHA"]
    runner.close()


def test_a_script_error_is_a_failure_of_the_store():
    runner = redis_script.ScriptRunner(REDIS_URL, f"return redis.error_reply('broken {uuid.uuid4().hex}')", 0.5)
    with pytest.raises(redis_script.ScriptFailed, match="broken"):
        runner([], [])


def test_an_unreachable_store_lets_requests_pass_unchecked(prefix):
    assert RateLimit("5/minute", "redis://127.0.0.1:1/0", prefix).spend("subject:a") is None

