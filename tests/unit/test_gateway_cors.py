"""Which origins a browser may call the gateway from, and what the answers tell it."""
import pytest

from gateway.cors import ALLOWED_HEADERS, CorsConfigError, CorsPolicy

POLICY = CorsPolicy.from_setting("https://portal.example.cn, http://localhost:*")


@pytest.mark.parametrize("origin, allowed", [
    ("https://portal.example.cn", True),
    ("HTTPS://Portal.Example.CN", True),
    ("http://portal.example.cn", False),         # another scheme is another origin
    ("https://portal.example.cn:8443", False),   # another port too
    ("https://evil.example.cn", False),
    ("http://localhost:5173", True),
    ("http://localhost", True),
    ("http://localhost.evil.cn:5173", False),
    ("http://localhost:5173.evil.cn", False),
    ("https://localhost:5173", False),
    ("null", False),
    ("", False),
    (None, False),
])
def test_only_configured_origins_are_allowed(origin, allowed):
    assert POLICY.allows(origin) is allowed


def test_nothing_is_allowed_when_no_origin_is_configured():
    policy = CorsPolicy.from_setting("")
    assert not policy.enabled
    assert policy.response_headers("http://localhost:5173") == {"Vary": "Origin"}


@pytest.mark.parametrize("setting", ["*", "portal.example.cn", "https://portal.example.cn/app", "ftp://x.cn"])
def test_a_wildcard_or_what_is_not_an_origin_is_refused_at_start(setting):
    with pytest.raises(CorsConfigError):
        CorsPolicy.from_setting(setting)


def test_an_allowed_origin_is_named_never_a_wildcard_and_no_credentials_mode_is_offered():
    headers = POLICY.response_headers("http://localhost:5173")
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in headers
    exposed = headers["Access-Control-Expose-Headers"].split(", ")
    assert {"X-Correlation-ID", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(exposed)


def test_a_preflight_lists_the_methods_and_headers_a_page_may_send():
    headers = POLICY.preflight_headers("https://portal.example.cn", "PATCH", ["GET", "OPTIONS", "PATCH"])
    assert headers["Access-Control-Allow-Origin"] == "https://portal.example.cn"
    assert headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, PATCH"
    assert headers["Access-Control-Allow-Headers"].split(", ") == list(ALLOWED_HEADERS)
    assert int(headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("origin, method", [("https://evil.example.cn", "GET"),
                                            ("https://portal.example.cn", "DELETE")])
def test_a_preflight_from_another_origin_or_for_another_method_gets_no_allowance(origin, method):
    assert POLICY.preflight_headers(origin, method, ["GET", "OPTIONS"]) == {"Vary": "Origin"}
