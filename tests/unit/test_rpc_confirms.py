"""RPC calls and replies go without publisher confirms unless RPC_CONFIRMS says otherwise (chassis/rpc.py)."""
from unittest import mock

import pytest

from kombu import Connection
from kombu.exceptions import ChannelError
from nameko.exceptions import UnknownService

from chassis import rpc


@pytest.mark.parametrize("setting, confirms", [
    (None, False), ("off", False), ("", False), (False, False),
    ("on", True), (" ON ", True), ("true", True), (True, True),
])
def test_rpc_confirms_are_off_unless_switched_on(setting, confirms):
    config = {} if setting is None else {"RPC_CONFIRMS": setting}
    assert rpc.uses_confirms(config) is confirms


def test_every_config_switches_them_off_by_default():
    from chassis import config
    from infra.network import PROCESSES, ROOT
    import os
    for process in PROCESSES:
        assert rpc.uses_confirms(config.load(os.path.join(ROOT, process.config))) is False, process.name


def proxy_publisher(config, **options):
    dependency = rpc.RpcProxy("requests", **options)
    dependency.container = mock.Mock(config={"AMQP_URI": "memory://", **config})
    dependency.setup()   # as its container does, once, before any worker
    dependency.rpc_reply_listener.routing_key = "reply-1"
    worker_ctx = mock.Mock(container=dependency.container, context_data={}, call_id_stack=[])
    return dependency.get_dependency(worker_ctx), dependency.publisher


def published(config, failure=None, **options):
    """What a call's producer was given, and the call's exception if it raised one."""
    proxy, publisher = proxy_publisher(config, **options)
    with mock.patch("chassis.rpc.producers") as producers:
        producer = producers[publisher.connection].acquire.return_value.__enter__.return_value
        producer.connection = Connection("amqp://guest:guest@127.0.0.1:5672/")  # never connected
        producer.publish.side_effect = failure
        try:
            proxy.get("8a7c")
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            return publisher, producer.publish.call_args, exc
    raise AssertionError("the call returned without a reply")


def test_a_call_asks_for_no_confirm_and_no_return_of_an_unroutable_message():
    publisher, call, _ = published({}, failure=RuntimeError("stop before waiting for the reply"))
    assert publisher.connection.transport_options["confirm_publish"] is False
    assert call.kwargs["mandatory"] is False
    assert call.args == ({"args": ("8a7c",), "kwargs": {}},) and call.kwargs["routing_key"] == "requests.get"


def test_switched_on_a_call_keeps_nameko_s_confirm_and_unknown_service_detection():
    publisher, call, exc = published({"RPC_CONFIRMS": "on"}, failure=ChannelError("Basic.return: (312) NO_ROUTE"))
    assert publisher.connection.transport_options["confirm_publish"] is True
    assert call.kwargs["mandatory"] is True
    assert isinstance(exc, UnknownService) and "requests" in str(exc)


def test_every_publisher_of_a_process_shares_one_producer_pool():
    from kombu.pools import producers
    (_, one), (_, other) = proxy_publisher({}), proxy_publisher({})
    assert one.connection is not other.connection and producers[one.connection] is producers[other.connection]


def test_a_proxy_s_options_go_with_every_call():
    _, call, _ = published({}, failure=RuntimeError("stop before waiting for the reply"), expiration=15)
    assert call.kwargs["expiration"] == 15 and call.kwargs["routing_key"] == "requests.get"
