"""Webhook destinations (SSRF, OWASP API7) and signatures (Standard Webhooks)."""
import socket

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.notifications import webhooks
from services.notifications.webhooks import DestinationRules, RefusedDestination

STRICT = DestinationRules()
LOCAL = DestinationRules(allow_http=True, allowed_networks=DestinationRules.from_config(
    {"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8, ::1/128"}).allowed_networks)


def resolving_to(*addresses):
    def getaddrinfo(host, port, type=0):
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]
    return getaddrinfo


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.5.5.5", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.100.100.200",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fd00:ec2::254", "fc00::5",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::",
])
def test_hosts_resolving_to_non_public_addresses_are_refused(address):
    with pytest.raises(RefusedDestination, match="non-public addresses are refused"):
        webhooks.resolve("https://hooks.example.com/x", STRICT, resolving_to(address))


def test_one_non_public_address_among_public_ones_refuses_the_host():
    with pytest.raises(RefusedDestination, match="10.0.0.7"):
        webhooks.resolve("https://hooks.example.com/x", STRICT, resolving_to("93.184.215.14", "10.0.0.7"))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_accepted_and_kept_for_the_connection(address):
    destination = webhooks.resolve("https://hooks.example.com:8443/in?x=1", STRICT, resolving_to(address))
    assert (destination.scheme, destination.host, destination.port, destination.target) == \
        ("https", "hooks.example.com", 8443, "/in?x=1")
    assert [str(a) for a in destination.addresses] == [address]


def test_operator_allowed_networks_let_loopback_through_but_not_other_private_ranges():
    assert webhooks.resolve("http://localhost:9000/h", LOCAL, resolving_to("127.0.0.1")).port == 9000
    assert webhooks.resolve("http://[::1]:9000/h", LOCAL, resolving_to("::1")).host == "::1"
    with pytest.raises(RefusedDestination):
        webhooks.resolve("http://intranet:9000/h", LOCAL, resolving_to("192.168.0.10"))


@pytest.mark.parametrize("url, problem", [
    ("http://hooks.example.com/x", "must be https"),
    ("ftp://hooks.example.com/x", "must start with https://"),
    ("https://user:pw@hooks.example.com/x", "user name or password"),
    ("https:///nohost", "names no host"),
    ("https://hooks.example.com/x#frag", "fragment"),
    ("https://hooks.example.com:99999/x", "not a URL"),
])
def test_malformed_or_plain_http_urls_are_refused_before_any_lookup(url, problem):
    with pytest.raises(RefusedDestination, match=problem):
        webhooks.resolve(url, STRICT, resolving_to("93.184.215.14"))


def test_an_unresolvable_host_is_refused():
    def fails(host, port, type=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    with pytest.raises(RefusedDestination, match="does not resolve"):
        webhooks.resolve("https://nowhere.invalid/x", STRICT, fails)


def test_signature_verifies_with_the_standard_webhooks_reference_library():
    secret = webhooks.new_secret()
    body = '{"type":"notice.created","data":{"title":"政策直享"}}'.encode()
    headers = webhooks.signed_headers(secret, "dlv_42", body)
    assert Webhook(secret).verify(body, headers) == {"type": "notice.created", "data": {"title": "政策直享"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_signature_matches_a_fixed_vector():
    # key bytes 0x00..0x1f; HMAC-SHA256 over "msg_1.1700000000.{}" computed independently (openssl).
    secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert webhooks.signature(secret, "msg_1", 1700000000, b"{}") == \
        "v1,fhksJF5ElKjlPoT/jtefCO5XjQPvhf7Dhf/8R1ad9yU="
