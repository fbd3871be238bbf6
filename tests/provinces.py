"""Helpers for tests of the provinces' traffic: their users' URLs and events."""
import itertools
import time
import os
from urllib.parse import quote, urlsplit

from chassis import provinces

_versions = itertools.count(1)


def province_url(code, passwords, password=None):
    """The AMQP URL a province's client connects with: its own user, the suite's vhost."""
    where = urlsplit(os.environ["ONENET_AMQP_URI"])
    user = provinces.user_name(code, os.environ["ONENET_PROVINCE_USER_PREFIX"])
    secret = password if password is not None else passwords[code]
    return f"amqp://{quote(user, safe='')}:{quote(secret, safe='')}@{where.hostname}:{where.port or 5672}{where.path}"


def next_version():
    return next(_versions)


def enterprise_payload(uscc, region_code="440106", version=None, **changes):
    """A valid ``enterprise.upserted`` payload for ``uscc`` in ``region_code``."""
    payload = {"source_version": version or next_version(), "uscc": uscc, "name": "广州测试制造有限公司",
               "region_code": region_code, "industry_code": "C34",
               "figures": [{"year": 2024, "employees": 40, "revenue": 1800}]}
    payload.update(changes)
    return payload


def outbound_until(url, predicate, timeout=20.0):
    """The first event on the province's outbound queue that ``predicate`` accepts (every event
    read on the way is acknowledged); AssertionError naming what came instead after ``timeout``."""
    from onenet_province import OutboundConsumer
    seen = []
    deadline = time.monotonic() + timeout
    with OutboundConsumer(url) as consumer:
        while time.monotonic() < deadline:
            consumer.run(seen.append, idle_timeout=0.3)
            found = [event for event in seen if predicate(event)]
            if found:
                return found[0]
    raise AssertionError(f"no such outbound event within {timeout}s; got {[e['type'] for e in seen]}")
