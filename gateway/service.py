"""The gateway: OneNet's HTTP API for front-end teams and provincial systems.

It holds no business data. Each route authenticates and authorises the caller,
validates input with the owning service's schema and calls the services over
RPC. Routes live in ``gateway/routes/``, one module per owning service; the
OpenAPI document is generated from them.
"""
from nameko.dependency_providers import Config

from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from gateway.routes.activities import ActivityRoutes
from gateway.routes.agencies import AgencyRoutes
from gateway.routes.enterprises import EnterpriseRoutes
from gateway.routes.matchmaking import MatchmakingRoutes
from gateway.routes.meta import MetaRoutes
from gateway.routes.notifications import NotificationRoutes
from gateway.routes.open311 import Open311Routes
from gateway.routes.requests import RequestRoutes


class GatewayService(AgencyRoutes, EnterpriseRoutes, NotificationRoutes, RequestRoutes, Open311Routes,
                     ActivityRoutes, MatchmakingRoutes, MetaRoutes):
    """HTTP API under ``/api/v1`` plus health for load balancers (``/metrics``: the ops port)."""

    name = "gateway"

    config = Config()
    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
