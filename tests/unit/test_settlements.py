"""A batch's deliveries are acknowledged with one basic.ack only when they are the oldest
unsettled deliveries of their channel (chassis/settlements.py, chassis/events.py)."""
from kombu.message import Message

from chassis.events import ReliableQueueConsumer


class Channel:
    """The channel side of kombu's Message.ack and requeue: what was sent, in order."""

    no_ack_consumers = None
    connection = True

    def __init__(self):
        self.sent = []

    def basic_ack(self, tag, multiple=False):
        self.sent.append(("ack", tag, multiple))

    def basic_reject(self, tag, requeue=False):
        self.sent.append(("reject", tag, requeue))


def deliveries(consumer, channel, tags):
    messages = {tag: Message(body=b"{}", delivery_tag=tag, channel=channel) for tag in tags}
    for tag in tags:
        consumer.unsettled.delivered(channel, tag)
    return messages


def test_a_batch_of_the_oldest_deliveries_is_acknowledged_once_up_to_its_highest_tag():
    consumer, channel = ReliableQueueConsumer(), Channel()
    messages = deliveries(consumer, channel, range(1, 8))
    consumer.ack_messages([messages[tag] for tag in (3, 1, 2, 4)])
    assert channel.sent == [("ack", 4, True)]
    assert all(messages[tag].acknowledged for tag in (1, 2, 3, 4))
    assert not any(messages[tag].acknowledged for tag in (5, 6, 7))
    assert consumer.unsettled.count(channel) == 3


def test_a_delivery_parked_on_its_own_before_the_batch_leaves_the_run_whole():
    consumer, channel = ReliableQueueConsumer(), Channel()
    messages = deliveries(consumer, channel, range(1, 6))
    consumer.ack_message(messages[2])  # parked: its copy confirmed, then acknowledged alone
    consumer.requeue_message(messages[4])
    consumer.ack_messages([messages[1], messages[3], messages[5]])
    assert channel.sent == [("ack", 2, False), ("reject", 4, True), ("ack", 5, True)]
    assert consumer.unsettled.count(channel) == 0


def test_a_batch_behind_a_delivery_still_being_handled_is_acknowledged_one_by_one():
    consumer, channel = ReliableQueueConsumer(), Channel()
    messages = deliveries(consumer, channel, range(1, 7))
    consumer.ack_messages([messages[tag] for tag in (4, 5, 6)])  # 1-3: another batch, still in its worker
    assert channel.sent == [("ack", 4, False), ("ack", 5, False), ("ack", 6, False)]
    consumer.ack_messages([messages[tag] for tag in (1, 2, 3)])
    assert channel.sent[3:] == [("ack", 3, True)]
    assert consumer.unsettled.count(channel) == 0


def test_only_the_oldest_run_of_a_batch_shares_an_acknowledgement():
    consumer, channel = ReliableQueueConsumer(), Channel()
    messages = deliveries(consumer, channel, range(1, 7))
    consumer.ack_messages([messages[tag] for tag in (1, 2, 4, 6)])  # 3 and 5 are still being retried
    assert channel.sent == [("ack", 2, True), ("ack", 4, False), ("ack", 6, False)]
    assert consumer.unsettled.count(channel) == 2


def test_deliveries_of_a_channel_that_closed_are_not_acknowledged_on_another():
    consumer, old, new = ReliableQueueConsumer(), Channel(), Channel()
    before = deliveries(consumer, old, (1, 2))
    after = deliveries(consumer, new, (1, 2))
    old.connection = None  # the broker reclaimed its deliveries
    consumer.ack_messages([before[1], before[2], after[1], after[2]])
    assert old.sent == [] and new.sent == [("ack", 2, True)]
