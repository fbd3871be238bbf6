"""A reply to a process's call reaches the call unacknowledged; a reply is encoded once; a delivery whose
acknowledgement meets a broker going away leaves the process up (chassis/rpc.py, chassis/queues.py)."""
import json
from unittest import mock

import pytest

from chassis import rpc
from chassis.queues import SettlingQueueConsumer


def test_a_reply_reaches_its_call_unacknowledged():
    listener = rpc.RpcProxy("enterprises").rpc_reply_listener
    answered = listener.get_reply_event("call-1")
    message = mock.Mock(properties={"correlation_id": "call-1"}, delivery_info={"routing_key": "rpc.reply-gateway-1"})

    listener.handle_message({"result": {"uscc": "91110000"}, "error": None}, message)

    assert answered.ready() and answered.wait() == {"result": {"uscc": "91110000"}, "error": None}
    message.ack.assert_not_called()
    listener.handle_message({"result": None, "error": None}, message)  # a reply nobody waits for any more


def test_the_reply_queue_is_consumed_without_acknowledgements_and_every_other_queue_with():
    listener, entrypoint = rpc.RpcProxy("enterprises").rpc_reply_listener, mock.Mock(spec=["queue"])
    consumer = SettlingQueueConsumer()
    consumer._providers, consumer.container = [listener, entrypoint], mock.Mock(max_workers=10, accept=["json"])
    listener.queue = entrypoint.queue = mock.Mock()
    consumers = dict(zip([listener, entrypoint], consumer.get_consumers(mock.Mock, channel=None)))
    assert consumers[listener].no_ack is True and consumers[entrypoint].no_ack is False


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


def replied(result, exc_info=None):
    consumer = rpc.RpcConsumer()
    consumer.publisher = mock.Mock()
    call = mock.Mock(properties={"content_type": "application/json", "reply_to": "reply-1", "correlation_id": "c-1"})
    answer = consumer.send_reply(call, "json", result, exc_info)
    (body, routing_key), properties = consumer.publisher.publish.call_args
    assert (routing_key, properties["correlation_id"], properties["content_type"]) == ("reply-1", "c-1",
                                                                                    "application/json")
    return json.loads(body), answer


def test_a_reply_is_published_encoded_as_its_call_was():
    assert replied({"uscc": "91110000"}) == ({"result": {"uscc": "91110000"}, "error": None},
                                             ({"uscc": "91110000"}, None))


def test_a_result_that_cannot_be_encoded_is_answered_by_unserializable_value_error():
    body, (result, exc_info) = replied({"when": object()})
    assert body["result"] is None and body["error"]["exc_type"] == "UnserializableValueError"
    assert result is None and exc_info is not None
