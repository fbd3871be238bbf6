"""RPC calls and replies go without publisher confirms unless RPC_CONFIRMS says otherwise (chassis/rpc.py)."""
from unittest import mock

import pytest

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
    worker_ctx = mock.Mock(container=dependency.container)
    return getattr(dependency.get_dependency(worker_ctx), "get").publisher


def test_a_call_asks_for_no_confirm_and_no_return_of_an_unroutable_message():
    publisher = proxy_publisher({})
    assert isinstance(publisher, rpc.RpcPublisher) and publisher.use_confirms is False
    with mock.patch("nameko.amqp.publish.Publisher.publish") as publish:
        publisher.publish({"args": ()}, mandatory=True)
    assert publish.call_args.kwargs["mandatory"] is False


def test_switched_on_a_call_keeps_nameko_s_confirm_and_unknown_service_detection():
    publisher = proxy_publisher({"RPC_CONFIRMS": "on"})
    assert publisher.use_confirms is True
    with mock.patch("nameko.amqp.publish.Publisher.publish") as publish:
        publisher.publish({"args": ()}, mandatory=True)
    assert publish.call_args.kwargs["mandatory"] is True
