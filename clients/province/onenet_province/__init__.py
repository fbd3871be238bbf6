"""OneNet's client for provincial platforms: publish events into the network, hear back.

    from onenet_province import Publisher, OutboundConsumer, DeadLetters, new_event

See the README beside this package.
"""
from onenet_province.consumer import DeadLetter, DeadLetters, OutboundConsumer
from onenet_province.errors import (AccessRefused, AuthenticationFailed, ConnectionLost, HandlerFailed,
                                    InvalidEvent, NotConfirmed, ProvinceClientError, Unroutable)
from onenet_province.events import new_event
from onenet_province.publisher import Publisher

__all__ = ["Publisher", "OutboundConsumer", "DeadLetters", "DeadLetter", "new_event", "ProvinceClientError",
           "InvalidEvent", "AuthenticationFailed", "AccessRefused", "Unroutable", "NotConfirmed",
           "ConnectionLost", "HandlerFailed"]
