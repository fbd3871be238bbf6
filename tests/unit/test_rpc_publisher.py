"""A call or a reply is published once, and again through kombu's retries only after a connection
or channel error (chassis/rpc.py, RpcPublisher)."""
from unittest import mock

import pytest
from amqp.exceptions import ConnectionForced, RecoverableChannelError
from kombu import Connection
from nameko.constants import DEFAULT_RETRY_POLICY

from chassis import rpc


def publishing(*failures):
    """The producer's publish calls of one message, its first attempts failing with ``failures``, and
    what the publish raised (None)."""
    publisher = rpc.RpcPublisher({"AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/"})
    with mock.patch("chassis.rpc.producers") as producers:
        producer = producers[publisher.connection].acquire.return_value.__enter__.return_value
        producer.connection = Connection("amqp://guest:guest@127.0.0.1:5672/")  # never connected
        producer.publish.side_effect = [*failures, None]
        try:
            publisher.publish(b"{}", "reply-1", content_type="application/json", correlation_id="c-1")
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            return producer.publish.call_args_list, exc
        return producer.publish.call_args_list, None


def test_a_message_that_meets_no_error_is_published_once_without_kombu_s_retry_wrapper():
    (call,), _ = publishing()
    assert "retry" not in call.kwargs and call.kwargs["correlation_id"] == "c-1"


@pytest.mark.parametrize("failure", [
    ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError(32, "Broken pipe"),
    ConnectionForced("CONNECTION_FORCED - broker forced connection closure"), RecoverableChannelError("closed"),
])
def test_a_message_that_meets_a_broken_connection_is_published_again_through_kombu_s_retries(failure):
    (first, again), raised = publishing(failure)
    assert raised is None
    assert again.kwargs["retry"] is True and again.kwargs["retry_policy"] == DEFAULT_RETRY_POLICY
    assert again.args == first.args and {**again.kwargs, "retry": False, "retry_policy": None} == {
        **first.kwargs, "retry": False, "retry_policy": None}


def test_a_message_that_meets_another_error_is_not_published_again():
    calls, raised = publishing(TypeError("not serializable"))
    assert len(calls) == 1 and isinstance(raised, TypeError)
