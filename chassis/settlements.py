"""Acknowledging a run of deliveries with one ``basic.ack``.

A ``basic.ack`` with ``multiple`` set acknowledges every delivery of the channel up to its
delivery tag, whoever handles it. :class:`Unsettled` keeps, per channel, the deliveries not yet
acknowledged or requeued, in tag order, so that one acknowledgement is sent for a batch only
when the batch's deliveries are the oldest unsettled ones of the channel: a delivery still
being handled elsewhere, or on its way to a delay or dead-letter queue, is never acknowledged
by someone else's batch. Deliveries of a batch that are not such a run are acknowledged one by one.
"""
import weakref


class Unsettled:
    """The unsettled delivery tags of each channel, oldest first."""

    def __init__(self):
        self._by_channel = weakref.WeakKeyDictionary()

    def delivered(self, channel, tag):
        """Note a delivery on ``channel`` (tags grow with each delivery of a channel)."""
        tags = self._by_channel.get(channel)
        if tags is None:
            tags = self._by_channel[channel] = {}
        tags[tag] = None

    def settled(self, channel, tag):
        """Forget a delivery acknowledged or requeued on its own."""
        tags = self._by_channel.get(channel)
        if tags is not None:
            tags.pop(tag, None)

    def oldest_run(self, channel, tags):
        """The highest tag of the oldest unsettled deliveries of ``channel`` that are all among
        ``tags`` (None when the oldest is not among them); those deliveries are forgotten, as the
        caller acknowledges them with one ``multiple`` acknowledgement."""
        unsettled = self._by_channel.get(channel)
        if not unsettled:
            return None
        run = []
        for tag in unsettled:
            if tag not in tags:
                break
            run.append(tag)
        for tag in run:
            del unsettled[tag]
        return run[-1] if run else None

    def count(self, channel):
        return len(self._by_channel.get(channel) or ())
