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
from limits.strategies import SlidingWindowCounterRateLimiter

from chassis.metrics import RATE_LIMIT_UNCHECKED

log = structlog.get_logger(__name__)

STORE_TIMEOUT_SECONDS = 0.5
STORE_RETRY_SECONDS = 5.0


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
        self.limiter = SlidingWindowCounterRateLimiter(self.store)
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
            allowed = self.limiter.hit(self.item, caller)
            stats = self.limiter.get_window_stats(self.item, caller)
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
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return Budget(allowed, self.item.amount, stats.remaining, reset)
