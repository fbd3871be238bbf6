"""Webhooks: where a delivery may go, how it is signed, how it is sent.

**Where (SSRF, OWASP API7).** A URL must be https (http only when the operator
allows it) and every address its host resolves to must be a public one:
loopback, private, link-local, carrier-grade NAT, cloud metadata (169.254.169.254,
100.100.100.200, fd00:ec2::254), multicast and reserved addresses are refused,
unless the operator allows a network that holds them (``WEBHOOK_ALLOWED_NETWORKS``).
The check runs when the subscription is made and again before every delivery,
after DNS resolution; the request then goes to the very address that was
checked (the host name still travels in ``Host`` and in TLS SNI, and the
certificate is verified against it), so a name that re-resolves elsewhere
between check and connect gains nothing. Redirects are not followed.

**How it is signed (Standard Webhooks).** ``webhook-id``, ``webhook-timestamp``
(Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"`` with the secret ``whsec_<base64 key>``.
"""
import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3

SECRET_PREFIX = "whsec_"
USER_AGENT = "OneNet-Webhooks/1"
MAX_RESPONSE_BYTES = 64 * 1024


class RefusedDestination(ValueError):
    """A URL that deliveries may not go to, with the reason."""


@dataclass(frozen=True)
class DestinationRules:
    """What the operator allows: plain http, and networks otherwise refused (e.g. loopback)."""

    allow_http: bool = False
    allowed_networks: tuple = ()

    @classmethod
    def from_config(cls, config):
        allow_http = str(config.get("WEBHOOK_ALLOW_HTTP", "off")).lower() in ("on", "true", "1", "yes")
        networks = config.get("WEBHOOK_ALLOWED_NETWORKS") or []
        if isinstance(networks, str):
            networks = [part for part in networks.replace(",", " ").split()]
        return cls(allow_http, tuple(ipaddress.ip_network(str(net).strip(), strict=False)
                                     for net in networks if str(net).strip()))


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    addresses: tuple  # checked IP addresses, in resolver order


def permitted(address, rules):
    """Whether deliveries may connect to ``address`` (an ``ipaddress`` object)."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in rules.allowed_networks):
        return True
    return address.is_global and not address.is_multicast


def parse(url, rules):
    """The parts of a webhook URL, or :class:`RefusedDestination` saying what is wrong with it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedDestination(f"not a URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise RefusedDestination("the URL must start with https://")
    if parts.scheme == "http" and not rules.allow_http:
        raise RefusedDestination("the URL must be https (plain http is not allowed here)")
    if not parts.hostname:
        raise RefusedDestination("the URL names no host")
    if parts.username or parts.password:
        raise RefusedDestination("the URL may not carry a user name or password")
    if parts.fragment:
        raise RefusedDestination("the URL may not carry a #fragment")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target


def resolve(url, rules, getaddrinfo=socket.getaddrinfo):
    """Check ``url`` and resolve its host now: a :class:`Destination` whose every address is
    permitted, else :class:`RefusedDestination`."""
    scheme, host, port, target = parse(url, rules)
    try:
        infos = getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedDestination(f"the host {host} does not resolve: {exc}") from None
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise RefusedDestination(f"the host {host} does not resolve")
    refused = [str(address) for address in addresses if not permitted(address, rules)]
    if refused:
        raise RefusedDestination(f"the host {host} resolves to {', '.join(refused)}: loopback, private, "
                                 "link-local, metadata and other non-public addresses are refused")
    return Destination(scheme, host, port, target, tuple(addresses))


# -- signing ------------------------------------------------------------------------------------

def new_secret():
    """A fresh signing secret, shown once to the subscriber."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret, message_id, timestamp, body):
    """``v1,<base64 HMAC-SHA256>`` of ``"{message_id}.{timestamp}.{body}"`` (Standard Webhooks)."""
    key = base64.b64decode(secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret)
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret, message_id, body, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, message_id, timestamp, body),
            "Content-Type": "application/json", "User-Agent": USER_AGENT}


# -- sending ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    delivered: bool
    status: int | None
    error: str | None
    duration_ms: int


def post(destination, body, headers, connect_timeout=3.0, read_timeout=10.0, ca_file=None):
    """POST ``body`` to the checked address of ``destination``; a 2xx is delivered.

    Never raises for the receiver's faults: a refused connection, a timeout, a
    TLS failure or a non-2xx answer comes back as an undelivered :class:`Answer`.
    """
    started = time.monotonic()
    address = str(destination.addresses[0])
    host_header = destination.host if destination.port in (80, 443) else f"{destination.host}:{destination.port}"
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    if destination.scheme == "https":
        context = ssl.create_default_context(cafile=ca_file or certifi.where())
        pool = urllib3.HTTPSConnectionPool(address, destination.port, timeout=timeout, retries=False,
                                           server_hostname=destination.host, assert_hostname=destination.host,
                                           ssl_context=context, maxsize=1)
    else:
        pool = urllib3.HTTPConnectionPool(address, destination.port, timeout=timeout, retries=False, maxsize=1)
    try:
        response = pool.urlopen("POST", destination.target, body=body,
                                headers={**headers, "Host": host_header}, redirect=False,
                                preload_content=False, retries=False)
        try:
            response.read(MAX_RESPONSE_BYTES)
        finally:
            response.release_conn()
        status = response.status
        delivered = 200 <= status < 300
        error = None if delivered else f"the receiver answered HTTP {status}"
    except urllib3.exceptions.HTTPError as exc:
        status, delivered, error = None, False, _reason(exc)
    except OSError as exc:
        status, delivered, error = None, False, f"{type(exc).__name__}: {exc}"
    finally:
        pool.close()
    return Answer(delivered, status, error, int((time.monotonic() - started) * 1000))


def _reason(exc):
    inner = getattr(exc, "reason", None)
    text = str(inner or exc)
    if isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in text.lower():
        return f"no answer in time: {text}"[:500]
    return f"{type(inner or exc).__name__}: {text}"[:500]
