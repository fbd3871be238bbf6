"""The gateway's rate limit: one budget per caller, shared by every gateway replica.

The counts live in Redis (``RATE_LIMIT_REDIS_URL``) and are kept by the
``limits`` library's sliding-window counter, so two replicas behind one load
balancer spend the same budget. Keys carry ``RATE_LIMIT_PREFIX``, so several
networks (or test suites) can share one Redis without sharing buckets.

Who is a caller: a valid bearer token's subject; anyone else (no token, a bad
token, a public route) by client address. The client address is the peer's,
unless the peer is one of ``TRUSTED_PROXIES``: then it is the nearest address
in ``X-Forwarded-For`` that is not itself a trusted proxy, so every portal user
behind the operators' proxy gets a budget of their own while a client cannot
pick its own key by sending the header directly.

A request costs one round trip to Redis: one script takes the request from the
budget and reads the window the headers are made of, as the library's ``hit``
and ``get_window_stats`` do in two (see :data:`SPEND_AND_READ_WINDOW`). The
script is sent by :mod:`gateway.redis_script` over redis-py connections of its own,
not through the client, whose pool and hooks cost more than the round trip.

When Redis does not answer, requests pass unchecked (fail open): a store
outage must not take the whole API down with it. Each such request counts in
``onenet_rate_limit_unchecked_total``; one warning line marks when the store
went away and one info line when it came back. For STORE_RETRY_SECONDS after a
failure the store is not asked again, so an outage costs no time per request.
"""
import ipaddress
import math
import time
from dataclasses import dataclass

import limits
import structlog
from limits.errors import StorageError
from limits.storage import RedisStorage

from chassis.metrics import RATE_LIMIT_UNCHECKED
from gateway.redis_script import ScriptFailed, ScriptRunner

log = structlog.get_logger(__name__)

STORE_TIMEOUT_SECONDS = 0.5
STORE_RETRY_SECONDS = 5.0

# The library's own two sliding-window scripts, run one after the other in one
# call: the first takes the request from the budget (limit, expiry, cost), the
# second reads the window after it (expiry). Redis runs a script whole, so no
# other replica's request comes between them.
SPEND_AND_READ_WINDOW = f"""
local function acquire(ARGV)
{RedisStorage.SCRIPT_ACQUIRE_SLIDING_WINDOW.decode()}
end
local function read_window(ARGV)
{RedisStorage.SCRIPT_SLIDING_WINDOW.decode()}
end
local acquired = acquire({{ARGV[1], ARGV[2], ARGV[3]}})
local window = read_window({{ARGV[2]}})
return {{acquired and 1 or 0, window[1], window[2], window[3], window[4]}}
"""


def trusted_networks(setting):
    """The proxies named in ``TRUSTED_PROXIES`` (comma-separated addresses or CIDRs)."""
    if isinstance(setting, (list, tuple)):
        entries = setting
    else:
        entries = str(setting or "").split(",")
    return tuple(ipaddress.ip_network(entry.strip(), strict=False)
                 for entry in entries if str(entry).strip())


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer, forwarded_for, trusted):
    """The address a caller is counted under (see the module docstring).

    ``X-Forwarded-For`` is read from the right, where each trusted proxy
    appended the address it was called from; the first hop that is not a
    trusted proxy is the client. A hop that is not an address ends the walk at
    the proxy that reported it.
    """
    hop = _address(peer or "")
    if hop is None:
        return peer or "unknown"
    if not forwarded_for:
        return str(hop)
    hops = [entry for header in forwarded_for for entry in header.split(",")]
    while any(hop in network for network in trusted) and hops:
        previous = _address(hops.pop())
        if previous is None:
            break
        hop = previous
    return str(hop)


@dataclass(frozen=True)
class Budget:
    """What the store said about one caller's request: allowed, and the numbers for headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self):
        """``RateLimit-*`` fields (IETF draft-ietf-httpapi-ratelimit-headers) for the answer."""
        headers = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                   "RateLimit-Reset": str(self.reset_seconds)}
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class RateLimit:
    """``RATE_LIMIT`` per caller (``limits`` notation, e.g. ``600/minute``), kept in Redis."""

    def __init__(self, rate, redis_url, prefix, trusted_proxies=(), redis_password=None):
        self.item = limits.parse(rate)
        options = {"socket_timeout": STORE_TIMEOUT_SECONDS,
                   "socket_connect_timeout": STORE_TIMEOUT_SECONDS}
        if redis_password:
            options["password"] = redis_password
        self.store = RedisStorage(redis_url, key_prefix=prefix, wrap_exceptions=True, **options)
        self.spend_and_read_window = ScriptRunner(redis_url, SPEND_AND_READ_WINDOW, STORE_TIMEOUT_SECONDS,
                                                  redis_password)
        self.trusted = trusted_networks(trusted_proxies)
        self._store_down_until = None

    @classmethod
    def from_config(cls, config):
        return cls(str(config.get("RATE_LIMIT", "600/minute")),
                   config.get("RATE_LIMIT_REDIS_URL", "redis://127.0.0.1:6379/0"),
                   str(config.get("RATE_LIMIT_PREFIX", "onenet")),
                   config.get("TRUSTED_PROXIES", ""),
                   config.get("RATE_LIMIT_REDIS_PASSWORD") or None)

    def caller(self, principal, request):
        """The key a request is counted under: the token's subject, else the client address."""
        if principal is not None:
            return f"subject:{principal.subject}"
        return "address:" + client_address(request.remote_addr,
                                           request.headers.getlist("X-Forwarded-For"), self.trusted)

    def spend(self, caller):
        """Count one request of ``caller``: its :class:`Budget`, or ``None`` if the store is down."""
        now = time.monotonic()
        if self._store_down_until is not None and now < self._store_down_until:
            RATE_LIMIT_UNCHECKED.inc()
            return None
        try:
            allowed, window = self._spend_and_read_window(caller)
        except StorageError as exc:
            if self._store_down_until is None:
                log.warning("rate_limit_store_unavailable", error=str(exc.storage_error),
                            retry_seconds=STORE_RETRY_SECONDS,
                            effect="requests pass without a rate limit until the store answers")
            self._store_down_until = now + STORE_RETRY_SECONDS
            RATE_LIMIT_UNCHECKED.inc()
            return None
        if self._store_down_until is not None:
            self._store_down_until = None
            log.info("rate_limit_store_available")
        remaining, reset_in = window_stats(self.item, *window)
        return Budget(allowed, self.item.amount, remaining, max(1, math.ceil(reset_in)))

    def _spend_and_read_window(self, caller):
        """Whether ``caller`` may have one more request, and its window after it (one round trip).

        The keys are the library's, so its ``SlidingWindowCounterRateLimiter`` over
        the same store (``hit``, ``clear``) counts the same budget."""
        key = self.item.key_for(caller)
        keys = [self.store.prefixed_key(self.store._previous_window_key(key)),
                self.store.prefixed_key(self.store._current_window_key(key))]
        try:
            acquired, *window = self.spend_and_read_window(keys, [self.item.amount, self.item.get_expiry(), 1])
        except ScriptFailed as exc:
            raise StorageError(exc) from exc
        previous_count, previous_ttl, current_count, current_ttl = window
        return bool(acquired), (int(previous_count or 0), max(0, float(previous_ttl or 0)) / 1000,
                                int(current_count or 0), max(0, float(current_ttl or 0)) / 1000)


def window_stats(item, previous_count, previous_expires_in, current_count, current_expires_in):
    """What is left of ``item``'s budget and the seconds until a request is given back.

    The arithmetic of ``SlidingWindowCounterRateLimiter.get_window_stats``: the
    previous window's count weighted by the share of it still inside the sliding
    window, plus the current one's; the next request back is the sooner of the
    previous window's next share and the current window's end."""
    expiry = item.get_expiry()
    weighted = previous_count * previous_expires_in / expiry + current_count
    remaining = max(0, item.amount - math.floor(weighted))
    if not (previous_count or current_count):
        return remaining, 0
    previous_reset_in = previous_expires_in % (expiry / previous_count) if previous_count else math.inf
    current_reset_in = current_expires_in % expiry if current_count else math.inf
    return remaining, min(previous_reset_in, current_reset_in)
