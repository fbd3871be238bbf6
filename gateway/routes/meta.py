"""The API's own contract and the health endpoints that load balancers ask.

``/metrics`` is not here: the gateway serves it on its ops port (``OPS_PORT``,
9100) with ``/health/*``, like every service, never on the public API port.
"""
from werkzeug.wrappers import Response

from chassis import ops
from gateway import access, openapi
from gateway.api import route


class MetaRoutes:
    @route("GET", "/api/v1/openapi.json", access=access.PUBLIC, tags=["meta"],
           summary="This OpenAPI document")
    def openapi_document(self, call):
        return openapi.served(type(self))

    @route("GET", "/health/live", access=access.PUBLIC)
    def live(self, call):
        return self._ops("/health/live")

    @route("GET", "/health/ready", access=access.PUBLIC)
    def ready(self, call):
        return self._ops("/health/ready")

    def _ops(self, path):
        status, content_type, body = ops.respond(path, self.config)
        return Response(body, status=status, content_type=content_type)
