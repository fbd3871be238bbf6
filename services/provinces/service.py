"""The provinces relay: what concerns a province, put on its outbound queue.

It consumes the network's events that provinces hear about (see
:data:`services.provinces.schemas.OUTBOUND`) and publishes each, unchanged, to
``onenet.provinces.out`` under ``<code>.<type>`` for every province it
concerns (:func:`routing.concerned`), with confirms, before acknowledging it.
It keeps no data: a crash between publish and acknowledgement publishes again,
and a province drops an ``event_id`` it has seen.
"""
import structlog

from chassis.events import handles
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.provinces import ProvincesOutbound
from services.provinces import routing

log = structlog.get_logger(__name__)


class ProvincesService:
    """Forwards requests' progress, policies and national tier decisions to the provinces."""

    name = "provinces"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    outbound = ProvincesOutbound()

    @handles("request.*")
    def forward_request_progress(self, event):
        """A request's step: to the province whose portal submitted it, and an escalation to
        the provinces of the agencies it moved between."""
        return self._forward(event)

    @handles("policy.*")
    def forward_policies(self, event):
        """A policy published, withdrawn or expired: to every province its scope includes."""
        return self._forward(event)

    @handles("enterprise.tier_changed")
    def forward_tier_decisions(self, event):
        """A national tier decision on an enterprise: to the enterprise's province."""
        return self._forward(event)

    def _forward(self, event):
        codes = routing.concerned(event)
        if codes:
            self.outbound.send(event, codes)
            log.info("forwarded_to_provinces", type=event["type"], provinces=sorted(codes))
        return sorted(codes)
