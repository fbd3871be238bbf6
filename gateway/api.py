"""The gateway's HTTP machinery: one entrypoint type for every API route.

``@route("POST", "/api/v1/enterprises", roles=[...], body=Schema)`` declares a
route with who may call it; a route that names no roles and is not ``public``
is denied to everyone. For each request the entrypoint authenticates the
caller, applies the rate limit and body-size limit, parses and validates the
JSON body, runs the service method as a nameko worker and turns whatever
happens into JSON with one error shape:
``{"error": {"code", "message", "details"}}``. It never returns a stack trace.
"""
import json
import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from urllib.parse import parse_qsl

import eventlet
import structlog
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from chassis import errors as domain_errors
from chassis.logs import CORRELATION_KEY, new_correlation_id
from chassis.metrics import HTTP_DURATION
from gateway.auth import Authenticator, InvalidToken

log = structlog.get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_FORMAT = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ApiError(Exception):
    """An answer other than success, with its HTTP status and error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message, self.details = message, details or {}


class MalformedRequest(ApiError):
    status, code = 400, "malformed_request"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowedError(ApiError):
    status, code = 405, "method_not_allowed"


def require_region(principal, region_code, what):
    """403 unless the caller administers ``region_code`` (000000: national admins only)."""
    if not principal.covers_region(region_code):
        raise Forbidden(f"{what} in region {region_code} is outside your scope",
                        {"region_code": region_code})


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unprocessable(ApiError):
    status, code = 422, "validation_failed"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


# One table from the services' domain errors to HTTP statuses.
DOMAIN_ERROR_STATUS = {
    domain_errors.ValidationFailed: 422,
    domain_errors.NotFound: 404,
    domain_errors.Conflict: 409,
    domain_errors.Forbidden: 403,
}


# Failures inside a service that pass when its database is back.
TRANSIENT_REMOTE_ERRORS = frozenset({"OperationalError", "InterfaceError", "PoolExhausted"})
# A service's own call to another service went unanswered.
UNANSWERED_REMOTE_ERRORS = frozenset({"Timeout", "RpcTimeout", "UnknownService"})


def error_body(status, code, message, details=None):
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _json_default(value):
    """Decimals (money in 万元) travel as JSON numbers; dates and the rest as strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def json_response(status, payload, headers=None):
    return Response(json.dumps(payload, ensure_ascii=False, default=_json_default), status=status,
                    headers=headers, content_type="application/json; charset=utf-8")


def response_for(exc):
    """The JSON error response for any exception raised while answering."""
    if isinstance(exc, ApiError):
        return json_response(exc.status, error_body(exc.status, exc.code, exc.message, exc.details))
    for error_type, status in DOMAIN_ERROR_STATUS.items():
        if isinstance(exc, error_type):
            return json_response(status, error_body(status, exc.code, exc.message, exc.details))
    if isinstance(exc, (UnknownService, RpcTimeout, eventlet.Timeout)) or (
            isinstance(exc, RemoteError) and exc.exc_type in UNANSWERED_REMOTE_ERRORS):
        return json_response(503, error_body(
            503, "service_unavailable", "a service did not answer in time; try again shortly"))
    if isinstance(exc, RemoteError) and exc.exc_type in TRANSIENT_REMOTE_ERRORS:
        log.error("service_dependency_unavailable", remote_error=exc.exc_type)
        return json_response(503, error_body(
            503, "service_unavailable", "a service cannot reach its database; try again shortly"))
    log.error("unhandled_error", exc_info=exc)
    return json_response(500, error_body(500, "internal_error", "an internal error occurred"))


class RateLimiter:
    """A token bucket per caller: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets = {}
        self._lock = threading.Lock()

    def allow(self, key):
        if self.rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
        return allowed


class ApiWsgiApp(WsgiApp):
    """Routes like nameko's, but unknown paths and methods answer in the JSON shape."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except RouteNotFound:
            response = response_for(NotFound(f"no route {request.path}"))
        except MethodNotAllowed as exc:
            response = response_for(MethodNotAllowedError(
                f"{request.method} is not allowed on {request.path}",
                {"allowed": sorted(exc.valid_methods or [])}))
        except HTTPException as exc:
            response = json_response(exc.code, error_body(
                exc.code, exc.name.lower().replace(" ", "_"), exc.description or exc.name))
        return response(environ, start_response)


class ApiServer(WebServer):
    """nameko's web server plus the gateway-wide policy: keys, limits, correlation ids."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.authenticator = Authenticator.from_config(config.get("JWT", {}))
        self.rate_limiter = RateLimiter(float(config.get("RATE_LIMIT_PER_MINUTE", 600)))
        self.max_body_bytes = int(config.get("MAX_BODY_BYTES", 1_048_576))

    def get_wsgi_app(self):
        return ApiWsgiApp(self)

    def make_url_map(self):
        url_map = super().make_url_map()
        url_map.strict_slashes = False
        return url_map

    def context_data_from_headers(self, request):
        given = request.headers.get(CORRELATION_HEADER, "")
        cid = given if _CORRELATION_FORMAT.match(given) else new_correlation_id()
        return {CORRELATION_KEY: cid}


@dataclass
class Call:
    """What a route's method receives: the caller, the validated body and query."""

    principal: object
    body: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    correlation_id: str = ""


class ApiRoute(HttpRequestHandler):
    """Entrypoint for one API route (see the module docstring)."""

    server = ApiServer()

    def __init__(self, method, url, roles=(), public=False, body=None, query=None,
                 response=None, status=200, summary="", tags=(), forms=False, **kwargs):
        self.roles = frozenset(roles)
        # Also take the body as an HTML form (application/x-www-form-urlencoded),
        # for clients of standards that post forms (Open311 GeoReport v2).
        self.forms = forms
        self.public = public
        self.body_schema, self.query_schema, self.response_schema = body, query, response
        self.status, self.summary, self.tags = status, summary, tuple(tags)
        super().__init__(method, url, **kwargs)

    def get_url_rule(self):
        return Rule(self.url, methods=[self.method])

    def get_entrypoint_parameters(self, request):
        return (request.onenet_call,), request.path_values

    def handle_request(self, request):
        request.shallow = False
        started = time.perf_counter()
        context_data = self.server.context_data_from_headers(request)
        cid = context_data[CORRELATION_KEY]
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        try:
            request.onenet_call = self._prepare(request, cid)
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            done = eventlet.event.Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, done))
            result = done.wait()
            response = result if isinstance(result, Response) else json_response(self.status, result)
        except Exception as exc:  # every failure becomes the one error shape
            response = response_for(exc)
        response.headers[CORRELATION_HEADER] = cid
        HTTP_DURATION.labels(self.method, self.url, str(response.status_code)).observe(
            time.perf_counter() - started)
        log.info("http_request", method=self.method, route=self.url, path=request.path,
                 status=response.status_code)
        structlog.contextvars.unbind_contextvars(CORRELATION_KEY)
        return response

    def _prepare(self, request, cid):
        principal = None
        if not self.public:
            try:
                principal = self.server.authenticator.authenticate(request.headers.get("Authorization"))
            except InvalidToken as exc:
                raise Unauthenticated(str(exc)) from None
            if principal.role not in self.roles:
                raise Forbidden(f"role {principal.role} may not {self.method} {self.url}",
                                {"allowed_roles": sorted(self.roles)})
        limiter_key = principal.subject if principal else request.remote_addr
        if not self.server.rate_limiter.allow(limiter_key):
            raise TooManyRequests("too many requests; slow down and retry")
        call = Call(principal=principal, correlation_id=cid)
        if self.query_schema is not None:
            try:
                call.query = self.query_schema().load(request.args.to_dict())
            except ValidationError as exc:
                raise Unprocessable("the query parameters are invalid", exc.messages) from None
        if self.body_schema is not None:
            call.body = self._json_body(request)
        return call

    def _json_body(self, request):
        length = request.content_length
        limit = self.server.max_body_bytes
        if length is not None and length > limit:
            raise PayloadTooLarge(f"the body may be at most {limit} bytes")
        form = self.forms and request.mimetype == "application/x-www-form-urlencoded"
        if request.mimetype != "application/json" and not form:
            raise MalformedRequest("the body must be JSON (Content-Type: application/json)")
        raw = request.stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"the body may be at most {limit} bytes")
        try:
            body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)) if form else json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedRequest(f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise MalformedRequest("the body must be a JSON object")
        try:
            self.body_schema().load(body)
        except ValidationError as exc:
            raise Unprocessable("the body is invalid", exc.messages) from None
        return body


def route(method, url, **options):
    """Declare an API route on a gateway method (see :class:`ApiRoute`)."""
    return ApiRoute.decorator(method, url, **options)
