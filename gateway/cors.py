"""Cross-origin calls from browsers (CORS, the WHATWG Fetch standard).

Front-end teams serve their single-page apps from origins of their own; a browser
lets such a page call the gateway only when the gateway names that origin. The
origins allowed are configured (``CORS_ORIGINS``, from ``ONENET_CORS_ORIGINS``):
exact origins (``https://portal.example.cn``), or ``scheme://host:*`` for any port
of one host (what ``make run`` allows for ``localhost`` and ``127.0.0.1``). Nothing
is allowed when none is configured.

The answer always names the one origin that asked, never ``*``, and says
``Vary: Origin`` so that caches keep the answers apart. No credentials mode is
offered (``Access-Control-Allow-Credentials`` is never sent): callers send their
bearer token in ``Authorization``, not in cookies.
"""
from dataclasses import dataclass

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-ID")
EXPOSED_HEADERS = ("X-Correlation-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                   "Retry-After")
# How long a browser may keep a preflight's answer (seconds).
MAX_AGE = 600


class CorsConfigError(ValueError):
    """An entry of ``CORS_ORIGINS`` that is not an origin."""


def _origin_entry(entry):
    scheme, sep, rest = entry.partition("://")
    if entry == "*":
        raise CorsConfigError("CORS_ORIGINS may not be '*': name each origin (scheme://host[:port]), "
                              "or scheme://host:* for any port of one host")
    if not sep or scheme not in ("http", "https") or not rest or "/" in rest:
        raise CorsConfigError(f"CORS_ORIGINS entry {entry!r} is not an origin (scheme://host[:port])")
    return entry.lower()


@dataclass(frozen=True)
class CorsPolicy:
    """Which origins may call, and the headers that tell a browser so."""

    origins: frozenset = frozenset()
    any_port_hosts: frozenset = frozenset()

    @classmethod
    def from_setting(cls, setting):
        """From a comma-separated ``CORS_ORIGINS`` value (empty: no origin)."""
        exact, any_port = set(), set()
        for entry in (part.strip() for part in str(setting or "").split(",")):
            if not entry:
                continue
            origin = _origin_entry(entry)
            if origin.endswith(":*"):
                any_port.add(origin[:-2])
            else:
                exact.add(origin)
        return cls(frozenset(exact), frozenset(any_port))

    @property
    def enabled(self):
        return bool(self.origins or self.any_port_hosts)

    def allows(self, origin):
        if not origin:
            return False
        origin = origin.lower()
        if origin in self.origins:
            return True
        host, sep, port = origin.rpartition(":")
        if sep and port.isdigit() and "://" in host and host in self.any_port_hosts:
            return True
        return origin in self.any_port_hosts  # the scheme's default port

    def preflight_headers(self, origin, requested_method, allowed_methods):
        """The headers of the answer to a preflight (``OPTIONS`` with
        ``Access-Control-Request-Method``); only ``Vary`` when it is refused."""
        headers = {"Vary": "Origin"}
        if self.allows(origin) and requested_method in allowed_methods:
            headers.update({
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(sorted(allowed_methods)),
                "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                "Access-Control-Max-Age": str(MAX_AGE),
            })
        return headers

    def response_headers(self, origin):
        """The headers that let the page at ``origin`` read an answer."""
        headers = {"Vary": "Origin"}
        if self.allows(origin):
            headers.update({"Access-Control-Allow-Origin": origin,
                            "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS)})
        return headers
