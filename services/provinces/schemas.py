"""The provinces relay's contract: which network events reach which province's outbound queue.

A province reads ``province.<code>.outbound``; each message is the network
event itself (the envelope and payload of docs/events.md, same ``event_id``)
under the routing key ``<code>.<type>``. Delivery is at least once: a province
drops an ``event_id`` it has seen.
"""
from services.agencies.schemas import NATIONWIDE
from services.enterprises.schemas import NATIONAL_DECIDER

# binding on onenet.events -> which provinces it reaches
OUTBOUND = {
    "request.*": "every step of a request its portal submitted (origin_province); an escalation "
                 "also to the provinces of the agency it left and the agency it reached",
    "policy.*": "policies published, withdrawn or expired whose scope includes it (000000: every province)",
    "enterprise.tier_changed": f"tier decisions of the national level ({NATIONAL_DECIDER}) on its "
                               "enterprises",
}

__all__ = ["OUTBOUND", "NATIONWIDE", "NATIONAL_DECIDER"]
