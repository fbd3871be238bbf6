"""The API's own contract and the operators' endpoints."""
from werkzeug.wrappers import Response

from chassis import ops
from gateway import openapi
from gateway.api import route


class MetaRoutes:
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
