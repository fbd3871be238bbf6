"""The gateway's rate limit against the real Redis: one round trip a request, the library's budget."""
import os
import uuid

import pytest
import redis
from limits.strategies import SlidingWindowCounterRateLimiter

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


def test_a_request_costs_one_round_trip_to_the_store(prefix):
    limit = RateLimit("600/minute", REDIS_URL, prefix)
    assert limit.spend("subject:a").allowed  # the script is in the store's cache from here on
    connection = limit.store.get_connection()
    with pytest.MonkeyPatch.context() as patch:
        sent = []
        send = connection.execute_command
        patch.setattr(connection, "execute_command", lambda *args, **kw: sent.append(args[0]) or send(*args, **kw))
        for _ in range(3):
            assert limit.spend("subject:a").allowed
    assert sent == ["EVALSHA"] * 3


def test_an_unreachable_store_lets_requests_pass_unchecked(prefix):
    assert RateLimit("5/minute", "redis://127.0.0.1:1/0", prefix).spend("subject:a") is None
