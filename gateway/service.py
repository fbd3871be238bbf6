"""The gateway: OneNet's HTTP API for front-end teams and provincial systems.

It holds no business data. Each route authenticates and authorises the caller,
validates input with the owning service's schema and calls the services over
RPC. The OpenAPI document is generated from these routes.
"""
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from chassis import ops
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from gateway import auth, openapi, pages
from gateway.api import Forbidden, NotFound, route
from gateway.rpc import ServiceProxy
from services.enterprises import schemas as enterprise_schemas
from services.notifications import schemas as notification_schemas

REGION_ADMINS = auth.REGION_ADMINS
NoticePage = pages.page_schema(notification_schemas.Notice, "NoticePage")


class GatewayService:
    """HTTP API under ``/api/v1`` plus ``/metrics`` and health for operators."""

    name = "gateway"

    config = Config()
    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    enterprises = ServiceProxy("enterprises")
    notifications = ServiceProxy("notifications")

    # -- enterprises -------------------------------------------------------

    @route("POST", "/api/v1/enterprises", roles=REGION_ADMINS + (auth.PROVINCE_SYSTEM,),
           body=enterprise_schemas.EnterpriseRegistration, response=enterprise_schemas.Enterprise,
           status=201, tags=["enterprises"],
           summary="Register an SME in the caller's region")
    def register_enterprise(self, call):
        """An admin (or provincial system) registers an SME inside its own region."""
        if not call.principal.covers_region(call.body["region_code"]):
            raise Forbidden(f"region {call.body['region_code']} is outside your scope",
                            {"region_code": call.body["region_code"]})
        return self.enterprises.register(call.body)

    @route("GET", "/api/v1/enterprises/<uscc>", roles=REGION_ADMINS + (auth.ENTERPRISE,),
           response=enterprise_schemas.Enterprise, tags=["enterprises"],
           summary="One enterprise's profile")
    def get_enterprise(self, call, uscc):
        """An enterprise reads itself; region admins read enterprises of their region."""
        principal = call.principal
        if principal.role == auth.ENTERPRISE and not principal.is_enterprise(uscc):
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        enterprise = self.enterprises.get(uscc)
        if principal.role != auth.ENTERPRISE and not principal.covers_region(enterprise["region_code"]):
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        return enterprise

    # -- notifications -----------------------------------------------------

    @route("GET", "/api/v1/notifications", roles=(auth.ENTERPRISE,), query=pages.PageQuery,
           response=NoticePage, tags=["notifications"],
           summary="The calling enterprise's inbox, newest first")
    def list_notifications(self, call):
        """An enterprise user's own notices."""
        limit, offset = pages.window(call.query)
        found = self.notifications.inbox_page(call.principal.scope, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    # -- the contract and operations --------------------------------------

    @route("GET", "/api/v1/openapi.json", public=True, tags=["meta"],
           summary="This OpenAPI document")
    def openapi_document(self, call):
        return openapi.build(type(self))

    @route("GET", "/metrics", public=True)
    def metrics(self, call):
        return self._ops("/metrics")

    @route("GET", "/health/live", public=True)
    def live(self, call):
        return self._ops("/health/live")

    @route("GET", "/health/ready", public=True)
    def ready(self, call):
        return self._ops("/health/ready")

    def _ops(self, path):
        status, content_type, body = ops.respond(path, self.config)
        return Response(body, status=status, content_type=content_type)
