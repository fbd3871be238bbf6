"""Who a request is counted under, and what the gateway tells a caller about its budget."""
import time
from unittest import mock

import limits
import pytest
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.rate_limit import Budget, client_address, trusted_networks, window_stats

PROXIES = trusted_networks("10.0.0.5, 192.168.10.0/24, ::1")


@pytest.mark.parametrize("peer, forwarded_for, counted_as", [
    # No proxy in front: the peer, whatever the header claims.
    ("203.0.113.7", [], "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),
    # A trusted proxy: the address it says it was called from.
    ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.5", [], "10.0.0.5"),
    # A client's own X-Forwarded-For entries sit left of what the proxies appended.
    ("10.0.0.5", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
    # Through two trusted proxies (one header or several).
    ("10.0.0.5", ["198.51.100.1, 192.168.10.20"], "198.51.100.1"),
    ("10.0.0.5", ["198.51.100.1", "192.168.10.20"], "198.51.100.1"),
    # Every hop trusted: the farthest one.
    ("10.0.0.5", ["192.168.10.20"], "192.168.10.20"),
    # A hop that is not an address ends the walk at the proxy that reported it.
    ("10.0.0.5", ["198.51.100.1, not-an-address"], "10.0.0.5"),
    ("::1", ["2001:db8::1"], "2001:db8::1"),
])
def test_client_address_believes_forwarded_for_only_from_trusted_proxies(peer, forwarded_for, counted_as):
    assert client_address(peer, forwarded_for, PROXIES) == counted_as


def test_no_trusted_proxies_by_default():
    assert trusted_networks("") == ()
    assert client_address("10.0.0.5", ["198.51.100.1"], trusted_networks("")) == "10.0.0.5"


def test_budget_headers_say_limit_remaining_and_reset_and_retry_after_once_spent():
    assert Budget(True, 600, 599, 60).headers() == {
        "RateLimit-Limit": "600", "RateLimit-Remaining": "599", "RateLimit-Reset": "60"}
    assert Budget(False, 600, 0, 17).headers() == {
        "RateLimit-Limit": "600", "RateLimit-Remaining": "0", "RateLimit-Reset": "17",
        "Retry-After": "17"}


@pytest.mark.parametrize("window", [
    (0, 0.0, 0, 0.0),
    (0, 0.0, 1, 59.9),
    (0, 0.0, 600, 119.5),
    (600, 0.4, 0, 60.4),
    (600, 59.6, 3, 119.6),
    (41, 30.25, 17, 90.25),
    (1, 12.0, 0, 72.0),
    (599, 0.001, 1, 60.001),
])
def test_window_stats_are_the_libraries_arithmetic(window):
    item = limits.parse("600/minute")
    store = mock.Mock(spec=RedisStorage)
    store.get_sliding_window.return_value = window
    before = time.time()
    library = SlidingWindowCounterRateLimiter(store).get_window_stats(item, "caller")
    after = time.time()
    remaining, reset_in = window_stats(item, *window)
    assert remaining == library.remaining
    assert library.reset_time - after <= reset_in <= library.reset_time - before
