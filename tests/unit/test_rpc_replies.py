"""A reply to a process's call reaches the call, and the process stays up, when its acknowledgement
meets a broker going away (chassis/rpc.py, chassis/queues.py)."""
from unittest import mock

import pytest
from amqp.exceptions import ConnectionForced, RecoverableConnectionError

from chassis import rpc
from chassis.queues import SettlingQueueConsumer


def reply_message(correlation_id, ack_fails_with):
    message = mock.Mock(properties={"correlation_id": correlation_id},
                        delivery_info={"routing_key": "rpc.reply-gateway-1"})
    message.ack.side_effect = ack_fails_with
    return message


@pytest.mark.parametrize("failure", [
    ConnectionResetError(104, "Connection reset by peer"),
    BrokenPipeError(32, "Broken pipe"),
    RecoverableConnectionError("connection already closed"),
    ConnectionForced("CONNECTION_FORCED - broker forced connection closure"),
])
def test_a_reply_whose_acknowledgement_meets_a_broker_going_away_still_reaches_its_call(failure):
    listener = rpc.RpcProxy("enterprises").rpc_reply_listener
    answered = listener.get_reply_event("call-1")
    message = reply_message("call-1", failure)

    listener.handle_message({"result": {"uscc": "91110000"}, "error": None}, message)

    message.ack.assert_called_once()
    assert answered.ready()
    assert answered.wait() == {"result": {"uscc": "91110000"}, "error": None}


def test_every_proxy_of_a_onenet_process_listens_for_replies_on_the_settling_consumer():
    for target in ("enterprises", "agencies"):
        assert isinstance(rpc.RpcProxy(target).rpc_reply_listener.queue_consumer, SettlingQueueConsumer)


@pytest.mark.parametrize("settle", ["ack_message", "requeue_message"])
def test_a_delivery_the_broker_can_no_longer_take_is_logged_not_raised(settle):
    message = mock.Mock(delivery_info={"routing_key": "enterprises.on_agency_created"})
    message.ack.side_effect = message.requeue.side_effect = ConnectionResetError(104, "Connection reset by peer")
    with mock.patch("chassis.queues.log") as log:
        getattr(SettlingQueueConsumer(), settle)(message)
    log.warning.assert_called_once()
    assert log.warning.call_args.args[0] == "delivery_not_settled"
