"""The gateway's calls to the services: what a service answered passes through; a call the broker
could not carry is a 503, never a 500."""
import json

import pytest
from amqp.exceptions import ConnectionForced, MessageNacked, NotFound as QueueNotFound
from nameko.exceptions import MethodNotFound, RemoteError

from chassis import errors
from gateway import api
from gateway.rpc import TimedService


class Proxy:
    """A stand-in RPC proxy whose every method raises ``exc``."""

    def __init__(self, exc):
        self.exc = exc

    def __getattr__(self, method_name):
        def method(*args, **kwargs):
            raise self.exc
        return method


@pytest.mark.parametrize("exc", [
    MessageNacked(),
    ConnectionForced("CONNECTION_FORCED - broker forced connection closure"),
    QueueNotFound("NOT_FOUND - no queue 'rpc.reply-gateway'"),
    RuntimeError("This consumer has been stopped, and can no longer be used"),
    ConnectionRefusedError(111, "ECONNREFUSED"),
])
def test_a_call_the_broker_cannot_carry_is_a_503_naming_the_service(exc):
    with pytest.raises(api.ServiceUnavailable) as raised:
        TimedService(Proxy(exc), "enterprises", 5).register({"uscc": "x"})
    response = api.response_for(raised.value)
    assert response.status_code == 503
    assert json.loads(response.get_data())["error"]["details"] == {"service": "enterprises"}


@pytest.mark.parametrize("exc", [
    errors.NotFound("no enterprise 91110000"),
    errors.ValidationFailed("bad", {"uscc": ["invalid"]}),
    RemoteError("KeyError", "a bug in the service"),
    MethodNotFound("portrait"),
    api.ServiceUnavailable("its own call timed out"),
])
def test_what_a_service_answered_passes_through_as_it_came(exc):
    with pytest.raises(type(exc)) as raised:
        TimedService(Proxy(exc), "enterprises", 5).register({"uscc": "x"})
    assert raised.value is exc


def test_an_answer_within_the_timeout_is_returned():
    class Answering:
        def get(self, uscc):
            return {"uscc": uscc}
    assert TimedService(Answering(), "enterprises", 5).get("91110000") == {"uscc": "91110000"}
