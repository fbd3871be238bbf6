"""What a parked RPC call says and where a replayed one goes (chassis/rpc.py, chassis/deadletters.py)."""
from unittest import mock

import pytest

from chassis.deadletters import route_back
from chassis.rpc import unanswerable

A_CALL = {"args": [], "kwargs": {}}


@pytest.mark.parametrize("body, properties, names_a_method, reason", [
    (A_CALL, {"correlation_id": "c"}, True, "call cannot be answered: no reply_to"),
    (A_CALL, {"reply_to": "r"}, True, "call cannot be answered: no correlation_id"),
    (A_CALL, {"reply_to": "", "correlation_id": ""}, True, "call cannot be answered: no reply_to; no correlation_id"),
    ({"value": 1}, {}, False, "call cannot be answered: no reply_to; no correlation_id; "
                              "its routing key names no method of the service; its body has no args or kwargs"),
    ([1, 2], {"correlation_id": "c"}, True, "call cannot be answered: no reply_to; its body has no args or kwargs"),
])
def test_a_parked_call_says_everything_that_is_wrong_with_it(body, properties, names_a_method, reason):
    assert unanswerable(body, properties, names_a_method) == reason


def parked(headers):
    return mock.Mock(headers=headers)


@pytest.mark.parametrize("queue, headers, route", [
    ("notifications.welcome_enterprise", {"x-onenet-original-routing-key": "enterprise.registered"},
     ("", "notifications.welcome_enterprise")),
    ("rpc-enterprises", {"x-onenet-original-exchange": "nameko-rpc",
                         "x-onenet-original-routing-key": "enterprises.get"}, ("nameko-rpc", "enterprises.get")),
    ("rpc-enterprises", {"x-death": [{"reason": "delivery_limit", "exchange": "nameko-rpc",
                                      "routing-keys": ["enterprises.search"]}]}, ("nameko-rpc", "enterprises.search")),
])
def test_a_replayed_event_goes_into_its_queue_and_a_replayed_call_to_its_method(queue, headers, route):
    assert route_back(parked(headers), queue) == route
