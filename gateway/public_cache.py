"""Public answers the gateway keeps for a few seconds: routing, service guides, the policy list.

Anyone may read them (portals show them on every page), they are the same for every caller,
and they change seldom. A route declared ``cached=True`` is answered from the gateway's own
copy of its last 200 for ``PUBLIC_CACHE_SECONDS`` (``Cache-Control: public, max-age``), without
a worker or an RPC call; the rate limit, the token and the query are still checked first.
Every such answer carries an ``ETag`` (a digest of its body), and a client that sends it back
in ``If-None-Match`` gets ``304 Not Modified`` without the body (RFC 9110 §13.1.2), whether
the answer was kept or made afresh.

A write through this gateway (any route but a GET answered 2xx) drops every kept answer at
once, so a caller reads its own writes; a change that reaches the services by another way (a
province's event, another gateway replica) shows within ``PUBLIC_CACHE_SECONDS``. 0 keeps
nothing (ETags and 304 still apply).
"""
import collections
import hashlib
import time

from werkzeug.wrappers import Response


def entity_tag(body):
    """A strong ETag for ``body`` (bytes)."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match, tag):
    """Whether an ``If-None-Match`` header names ``tag`` (or is ``*``); weak tags compare weakly."""
    if not if_none_match:
        return False
    given = [each.strip() for each in if_none_match.split(",")]
    return "*" in given or tag in given or f"W/{tag}" in given


class PublicCache:
    """The kept answers of one gateway process, the most recently used ``capacity`` of them."""

    def __init__(self, seconds, capacity=10_000, clock=time.monotonic):
        self.seconds, self.capacity, self.clock = float(seconds), capacity, clock
        self._kept = collections.OrderedDict()   # key -> (until, status, headers, body, tag)

    @classmethod
    def from_config(cls, config):
        return cls(float(config.get("PUBLIC_CACHE_SECONDS", 5)))

    def headers(self):
        return {"Cache-Control": f"public, max-age={int(self.seconds)}"}

    def get(self, key):
        """The kept ``(body, tag, content_type)`` for ``key``, or None."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        if kept[0] <= self.clock():
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return kept[1:]

    def put(self, key, body, tag, content_type):
        if self.seconds <= 0:
            return
        self._kept[key] = (self.clock() + self.seconds, body, tag, content_type)
        self._kept.move_to_end(key)
        while len(self._kept) > self.capacity:
            self._kept.popitem(last=False)

    def clear(self):
        self._kept.clear()

    def answer(self, request, body, tag, content_type):
        """The answer to ``request`` for a body with ``tag``: 304 when the client has it already."""
        headers = {"ETag": tag, **self.headers()}
        if matches(request.headers.get("If-None-Match"), tag):
            return Response(status=304, headers=headers)
        return Response(body, status=200, headers=headers, content_type=content_type)
