"""The gateway's HTTP machinery: one entrypoint type for every API route.

``@route("POST", "/api/v1/enterprises", access=..., body=Schema)`` declares a
route with its access table (:mod:`gateway.access`): who may call it and what
each caller gets for objects in and out of its scope; a caller the table does
not name is turned away. For each request the entrypoint first counts it
against the caller's rate limit (shared by every replica, see
:mod:`gateway.rate_limit`), then checks the token and the role, applies the
body-size and nesting limits, parses and validates the JSON body, runs the
service method as a nameko worker and turns whatever happens into JSON with one
error shape:
``{"error": {"code", "message", "details"}}``. It never returns a stack trace.
"""
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from urllib.parse import parse_qsl

import eventlet
import structlog
from amqp.exceptions import ConnectionError as AMQPConnectionError, RecoverableConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError
from marshmallow import ValidationError
from nameko.exceptions import ContainerBeingKilled, RemoteError, RpcTimeout, UnknownService
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from chassis import contracts, errors as domain_errors, idempotency
from chassis.contracts import schema_instance
from chassis.logs import CORRELATION_KEY, new_correlation_id
from chassis.text import control_character_problems
from chassis.metrics import HTTP_DURATION
from gateway import access as access_rules, pages
from gateway.auth import Authenticator, InvalidToken
from gateway.cors import CorsPolicy
from gateway.public_cache import PublicCache, entity_tag
from gateway.rate_limit import RateLimit

log = structlog.get_logger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_FORMAT = re.compile(r"^[\x21-\x7e]{1,255}$")
CORRELATION_ENVIRON = "onenet.correlation_id"
# No OneNet body nests deeper than a few levels; deeper ones are refused before the
# schemas or the RPC serializer recurse over them.
MAX_JSON_DEPTH = 32
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
    """403 unless the caller administers ``region_code`` (000000: national admins only).

    For what a caller is about to create there; an existing object outside the
    caller's scope is :func:`hidden` instead."""
    if not principal.covers_region(region_code):
        raise Forbidden(f"{what} in region {region_code} is outside your scope",
                        {"region_code": region_code})


# How the services name a missing object: kind → (what the message calls its key, details key).
_MISSING_KEYS = {
    "enterprise": ("uscc", "uscc"),
    "request": ("id", "request_id"),
    "agency": ("id", "agency_id"),
    "policy": ("id", "policy_id"),
    "provider": ("id", "provider_id"),
    "lead firm": ("id", "lead_firm_id"),
    "staff member": ("id", "staff_id"),
    "scoring model": ("id", "model_id"),
    "scoring run": ("id", "run_id"),
    "nomination": ("id", "nomination_id"),
}


def hidden(kind, key):
    """The 404 for an object outside the caller's scope: word for word the answer the owning
    service gives for one that does not exist, so that no answer tells the two apart (its
    details arrive over RPC with the key as text)."""
    label, detail = _MISSING_KEYS.get(kind, ("id", "id"))
    return NotFound(f"no {kind} with {label} {key}", {detail: str(key)})


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


# Failures inside a service that pass when its database or the broker is back.
TRANSIENT_REMOTE_ERRORS = frozenset({
    "OperationalError", "InterfaceError", "PoolExhausted",
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "BrokenPipeError",
    "RecoverableConnectionError", "ConnectionForced", "ConnectionAbortedError", "MessageNacked",
    "PublishNotConfirmed", "TimeoutError",
})
# The gateway's own calls failing to reach the broker (it is restarting, or down).
BROKER_UNREACHABLE = (OSError, KombuOperationalError, AMQPConnectionError, RecoverableConnectionError)
# A service's own call to another service went unanswered.
UNANSWERED_REMOTE_ERRORS = frozenset({"Timeout", "RpcTimeout", "UnknownService"})


def remote_cause(exc):
    """The type name of what failed inside a service, for a ``RemoteError`` (the innermost one when
    a service passes on another service's failure: ``RemoteError`` whose value starts with the
    type, e.g. ``OperationalError FATAL: the database system is shutting down``); else None."""
    if not isinstance(exc, RemoteError):
        return None
    cause, value = exc.exc_type, str(exc.value or "")
    while cause == "RemoteError" and value:
        cause, _, value = value.partition(" ")
    return cause


def error_body(status, code, message, details=None):
    """The API's one error shape; ``correlation_id`` repeats the exchange's X-Correlation-ID."""
    cid = structlog.contextvars.get_contextvars().get(CORRELATION_KEY, "")
    return {"error": {"code": code, "message": message, "details": details or {}, "correlation_id": cid}}


def json_default(value):
    """Decimals (money in 万元) travel as JSON numbers; dates and the rest as strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def json_response(status, payload, headers=None):
    return Response(json.dumps(payload, ensure_ascii=False, default=json_default), status=status,
                    headers=headers, content_type="application/json; charset=utf-8")


def response_for(exc, shape=error_body):
    """The JSON error response for any exception raised while answering, in ``shape``
    (``shape(status, code, message, details)`` gives the body; the default is the one
    error shape of the API)."""
    status, code, message, details = error_of(exc)
    return json_response(status, shape(status, code, message, details))


def error_of(exc):
    """``(status, code, message, details)`` for an exception."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message, exc.details
    for error_type, status in DOMAIN_ERROR_STATUS.items():
        if isinstance(exc, error_type):
            return status, exc.code, exc.message, exc.details
    cause = remote_cause(exc)
    if isinstance(exc, (UnknownService, RpcTimeout, eventlet.Timeout)) or cause in UNANSWERED_REMOTE_ERRORS:
        return 503, "service_unavailable", "a service did not answer in time; try again shortly", {}
    if isinstance(exc, ContainerBeingKilled):
        # The process is going down (its supervisor starts it again): the caller retries.
        log.error("gateway_stopping", error="a request came while the container was being killed")
        return 503, "service_unavailable", "the gateway is restarting; try again shortly", {}
    if isinstance(exc, BROKER_UNREACHABLE):
        log.error("broker_unavailable", error=f"{type(exc).__name__}: {exc}")
        return 503, "service_unavailable", "the message broker cannot be reached; try again shortly", {}
    if cause in TRANSIENT_REMOTE_ERRORS:
        log.error("service_dependency_unavailable", remote_error=exc.exc_type)
        return 503, "service_unavailable", "a service cannot reach its database; try again shortly", {}
    log.error("unhandled_error", exc_info=exc)
    return 500, "internal_error", "an internal error occurred", {}


# Paths whose clients expect another error shape than the API's (a standard's own):
# path prefix → shape(status, code, message, details). Routes register theirs.
ERROR_SHAPES = {}


def error_shape_for(path):
    for prefix, shape in ERROR_SHAPES.items():
        if path.startswith(prefix):
            return shape
    return error_body


class ApiWsgiApp(WsgiApp):
    """Routes like nameko's, but unknown paths and methods answer in the JSON shape,
    ``OPTIONS`` answers with the methods a path allows (and a CORS preflight with what
    the configured origins may send), and every answer carries the CORS headers."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        shape = error_shape_for(request.path)
        cid = environ[CORRELATION_ENVIRON] = self.server.context_data_from_headers(request)[CORRELATION_KEY]
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        try:
            if request.method == "OPTIONS":
                response = self._options(request, adapter)
            else:
                provider, values = adapter.match()
                request.path_values = values
                response = provider.handle_request(request)
        except RouteNotFound:
            response = response_for(NotFound(f"no route {request.path}"), shape)
        except MethodNotAllowed as exc:
            allowed = allowed_methods(exc.valid_methods or [])
            response = response_for(MethodNotAllowedError(
                f"{request.method} is not allowed on {request.path}", {"allowed": allowed}), shape)
            response.headers["Allow"] = ", ".join(allowed)
        except HTTPException as exc:
            response = json_response(exc.code, shape(
                exc.code, exc.name.lower().replace(" ", "_"), exc.description or exc.name, {}))
        response.headers.setdefault(CORRELATION_HEADER, cid)
        structlog.contextvars.unbind_contextvars(CORRELATION_KEY)
        self._cors(request, response)
        return response(environ, start_response)

    def _options(self, request, adapter):
        """``OPTIONS``: 204 with ``Allow`` (RFC 9110); for a CORS preflight also what the
        origin may send, when it is one the gateway allows."""
        methods = adapter.allowed_methods()
        if not methods:
            raise RouteNotFound()
        allowed = allowed_methods(methods)
        response = Response(status=204, headers={"Allow": ", ".join(allowed)})
        requested = request.headers.get("Access-Control-Request-Method")
        if requested is not None:
            request.onenet_preflight = self.server.cors.preflight_headers(
                request.headers.get("Origin"), requested, allowed)
        return response

    def _cors(self, request, response):
        headers = getattr(request, "onenet_preflight", None)
        if headers is None:
            headers = self.server.cors.response_headers(request.headers.get("Origin"))
        for name, value in headers.items():
            if name == "Vary" and "Vary" in response.headers:
                response.vary.add(value)
            else:
                response.headers[name] = value


def allowed_methods(methods):
    """The methods a path answers, ``OPTIONS`` included, in a stable order."""
    return sorted(set(methods) | {"OPTIONS"})


class ApiServer(WebServer):
    """nameko's web server plus the gateway-wide policy: keys, limits, correlation ids."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.authenticator = Authenticator.from_config(config.get("JWT", {}))
        self.rate_limit = RateLimit.from_config(config)
        self.max_body_bytes = int(config.get("MAX_BODY_BYTES", 1_048_576))
        self.cors = CorsPolicy.from_setting(config.get("CORS_ORIGINS", ""))
        self.public_cache = PublicCache.from_config(config)

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


# One name for one thing across operations. Where a contract's filter still says otherwise,
# the API offers it under the word the rest of the API uses (the field of the bodies and
# answers); the contract's own word stays accepted, and deprecated, for one release.
QUERY_RENAMES = {"area": "service_area", "industry": "industry_code"}
PREFIX_PATTERN = r"^\d{2}(\d{2}){0,2}$"


def is_region_prefix(field):
    """Whether a filter takes a region prefix (2, 4 or 6 digits) rather than one division."""
    checks = [getattr(check, "__name__", "") for check in field.validators]
    patterns = [getattr(getattr(check, "regex", None), "pattern", None) for check in field.validators]
    return (type(field).__name__ == "RegionPrefix" or "check_region_prefix" in checks
            or PREFIX_PATTERN in patterns)


def public_query_names(schema_cls):
    """``{the API's name: the contract's name}`` for the filters of a query schema whose
    contract names them otherwise (``region`` for a prefix is ``region_prefix``)."""
    if schema_cls is None:
        return {}
    fields_ = schema_cls._declared_fields
    given = {field.data_key or name for name, field in fields_.items()}
    renamed = {}
    for name, field in fields_.items():
        key = field.data_key or name
        new = QUERY_RENAMES.get(key) or ("region_prefix" if key == "region" and is_region_prefix(field) else None)
        if new and new not in given:
            renamed[new] = key
    return renamed


@dataclass
class Call:
    """What a route's method receives: the caller, the validated body and query."""

    principal: object
    body: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    correlation_id: str = ""
    # The idempotency key's entries of the worker context (see :func:`idempotency_context`).
    idempotency: dict = field(default_factory=dict)
    # The HTTP request, for what few routes read of it (:attr:`base_url`).
    request: object = field(default=None, repr=False, compare=False)

    @property
    def base_url(self):
        """``scheme://host[:port]`` the caller reached the gateway at (read only by the routes
        that write links: werkzeug works it out at some cost)."""
        return self.request.host_url.rstrip("/") if self.request is not None else ""


class ApiRoute(HttpRequestHandler):
    """Entrypoint for one API route (see the module docstring)."""

    server = ApiServer()

    def __init__(self, method, url, access, body=None, query=None, response=None, status=200,
                 summary="", tags=(), forms=False, api_key=False, media_type="application/json",
                 idempotent=None, emits=(), cached=False, order=None, **kwargs):
        self.access = access_rules.table(access) if isinstance(access, str) else access
        self.roles, self.public = self.access.roles, self.access.public
        # Also take the body as an HTML form (application/x-www-form-urlencoded),
        # for clients of standards that post forms (Open311 GeoReport v2).
        self.forms = forms
        # Also take the bearer token as an ``api_key`` parameter or form field, as
        # Open311 GeoReport v2 clients send it.
        self.api_key = api_key
        self.body_schema, self.query_schema, self.response_schema = body, query, response
        self.query_names = public_query_names(query)
        self.status, self.summary, self.tags = status, summary, tuple(tags)
        # The event types a success may publish (docs/events.md), for the OpenAPI document.
        self.emits = tuple(emits)
        # For a list: the order of its items, in words (the OpenAPI document states it).
        self.order = order
        # What a success answers in, for the OpenAPI document (a route answering other than
        # JSON returns its own Response).
        self.media_type = media_type
        # Takes an Idempotency-Key (every POST but those that only compute an answer).
        self.idempotent = method == "POST" if idempotent is None else idempotent
        # A public GET whose answer is the same for every caller, kept by the gateway for a few
        # seconds and answered with an ETag (:mod:`gateway.public_cache`).
        self.cached = cached
        super().__init__(method, url, **kwargs)

    def get_url_rule(self):
        return Rule(self.url, methods=[self.method])

    def get_entrypoint_parameters(self, request):
        return (request.onenet_call,), request.path_values

    def handle_request(self, request):
        request.shallow = False
        started = time.perf_counter()
        cid = request.environ.get(CORRELATION_ENVIRON)
        if cid is None:
            cid = self.server.context_data_from_headers(request)[CORRELATION_KEY]
        context_data = {CORRELATION_KEY: cid}
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        request.onenet_budget = None
        try:
            request.onenet_call = self._prepare(request, cid)
            kept = self.server.public_cache.get(request.url) if self.cached else None
            if kept is not None:
                response = self.server.public_cache.answer(request, *kept)
            else:
                response = self._answer(request, context_data)
        except Exception as exc:  # every failure becomes the one error shape
            response = response_for(exc, error_shape_for(self.url))
        if self.method != "GET" and response.status_code < 300:
            self.server.public_cache.clear()   # the caller reads its own write
        response.headers[CORRELATION_HEADER] = cid
        if response.status_code == 401:
            response.headers.setdefault("WWW-Authenticate", 'Bearer realm="OneNet"')
        if request.onenet_budget is not None:
            response.headers.update(request.onenet_budget.headers())
        HTTP_DURATION.labels(self.method, self.url, str(response.status_code)).observe(
            time.perf_counter() - started)
        log.info("http_request", method=self.method, route=self.url, path=request.path,
                 status=response.status_code)
        structlog.contextvars.unbind_contextvars(CORRELATION_KEY)
        return response

    def _answer(self, request, context_data):
        """Run the route's method as a nameko worker; its answer as a response."""
        context_data.update(request.onenet_call.idempotency)
        args, kwargs = self.get_entrypoint_parameters(request)
        self.check_signature(args, kwargs)
        done = eventlet.event.Event()
        self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                    handle_result=partial(self.handle_result, done))
        result = done.wait()
        if not isinstance(result, Response) and "next" in getattr(self.response_schema, "_declared_fields", {}):
            result = pages.with_next_link(result, request.base_url, request.args.to_dict())
        response = result if isinstance(result, Response) else json_response(self.status, result)
        if self.cached and response.status_code == 200:
            body = response.get_data()
            tag = entity_tag(body)
            self.server.public_cache.put(request.url, body, tag, response.content_type)
            response = self.server.public_cache.answer(request, body, tag, response.content_type)
        return response

    def _prepare(self, request, cid):
        # The rate limit comes first, before the token is judged and the role checked:
        # floods of bad tokens and of calls to forbidden routes spend a budget too.
        principal, refused = None, None
        try:
            principal = self._caller(request)
        except ApiError as exc:
            refused = exc
        budget = self.server.rate_limit.spend(self.server.rate_limit.caller(principal, request))
        request.onenet_budget = budget
        if budget is not None and not budget.allowed:
            raise TooManyRequests("too many requests; retry after the seconds in Retry-After",
                                  {"retry_after_seconds": budget.reset_seconds})
        if refused is not None:
            raise refused
        if principal is None and not self.public:
            raise Unauthenticated("an Authorization: Bearer <token> header is required")
        if principal is not None and principal.role not in self.roles:
            raise Forbidden(f"role {principal.role} may not {self.method} {self.url}",
                            {"allowed_roles": sorted(self.roles)})
        call = Call(principal=principal, correlation_id=cid, request=request)
        if control_character_problems(request.path_values):  # no object has such a key
            raise NotFound(f"nothing at {request.path}")
        refused_text = control_character_problems({key: "".join(values) for key, values in request.args.lists()})
        if refused_text:
            raise Unprocessable("the query parameters are invalid", refused_text)
        if self.query_schema is not None:
            try:
                call.query = schema_instance(self.query_schema).load(self._contract_names(
                    self._without_api_key(request.args.to_dict())))
            except ValidationError as exc:
                raise Unprocessable("the query parameters are invalid", exc.messages) from None
        if self.body_schema is not None:
            call.body = self._json_body(request)
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and self.idempotent:
            call.idempotency = idempotency_context(key, principal, self.method, request.path,
                                                   call.query, call.body)
        return call

    def _caller(self, request):
        """The authenticated caller, or None for an anonymous one.

        A credential that is presented is always checked, on public routes too:
        a bad one is a 401, never a silent fall-back to anonymous."""
        credential = request.headers.get("Authorization")
        if credential is None and self.api_key:
            key = request.args.get("api_key") or self._form(request).get("api_key")
            credential = f"Bearer {key}" if key else None
        if credential is None:
            return None
        try:
            return self.server.authenticator.authenticate(credential)
        except InvalidToken as exc:
            raise Unauthenticated(str(exc)) from None

    def _contract_names(self, args):
        """The query with the API's names turned into the contract's (the API's name wins when
        a caller sends both)."""
        for new, old in self.query_names.items():
            if new in args:
                args[old] = args.pop(new)
        return args

    def _without_api_key(self, values):
        return {key: value for key, value in values.items() if key != "api_key"} if self.api_key else values

    def _raw_body(self, request):
        """The body, read once, within the size limit."""
        if not hasattr(request, "onenet_raw_body"):
            limit = self._check_declared_length(request)
            raw = request.stream.read(limit + 1)
            if len(raw) > limit:
                raise PayloadTooLarge(f"the body may be at most {limit} bytes")
            request.onenet_raw_body = raw
        return request.onenet_raw_body

    def _check_declared_length(self, request):
        limit = self.server.max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"the body may be at most {limit} bytes")
        return limit

    def _form(self, request):
        """The body as a form, when this route takes forms and one was posted; else ``{}``."""
        if not (self.forms and request.mimetype == "application/x-www-form-urlencoded"):
            return {}
        try:
            return dict(parse_qsl(self._raw_body(request).decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise MalformedRequest(f"the form is not UTF-8: {exc}") from None

    def _json_body(self, request):
        self._check_declared_length(request)
        form = self.forms and request.mimetype == "application/x-www-form-urlencoded"
        if request.mimetype != "application/json" and not form:
            raise MalformedRequest("the body must be JSON (Content-Type: application/json)")
        too_deep = MalformedRequest(f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
        if form:
            body = self._form(request)
        else:
            try:
                body = json.loads(self._raw_body(request), parse_float=json_number)
            except (ValueError, UnicodeDecodeError) as exc:
                raise MalformedRequest(f"the body is not valid JSON: {exc}") from None
            except RecursionError:  # the parser's own guard, far below what it would take to crash
                raise too_deep from None
            if nesting_depth(body) > MAX_JSON_DEPTH:
                raise too_deep
        if not isinstance(body, dict):
            raise MalformedRequest("the body must be a JSON object")
        body = self._without_api_key(body)
        refused_text = control_character_problems(body)
        if refused_text:
            raise Unprocessable("the body is invalid", refused_text)
        try:
            contracts.load(self.body_schema, body)
        except ValidationError as exc:
            raise Unprocessable("the body is invalid", exc.messages) from None
        return body


def idempotency_context(key, principal, method, path, query, body):
    """The worker-context entries that make the services answer this write once per key.

    The key is made the caller's own (two callers' equal keys never meet), and the
    fingerprint says what was asked, so that the key sent again with another request is a
    422 (:mod:`chassis.idempotency`)."""
    if not _IDEMPOTENCY_FORMAT.match(key):
        raise MalformedRequest(f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters, "
                               "without spaces", {"idempotency_key": ["malformed"]})
    caller = f"{principal.role}:{principal.scope}:{principal.subject}" if principal is not None else "anonymous"
    asked = json.dumps([method, path, query, body], sort_keys=True, ensure_ascii=False, default=str)
    return {
        idempotency.KEY: hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest(),
        idempotency.FINGERPRINT: hashlib.sha256(asked.encode()).hexdigest(),
    }


def json_number(text):
    """A JSON number with a fraction or an exponent: an ``int`` when its value is whole (``2026.0``,
    ``1e3``), since JSON has one number type and JSON Schema's ``integer`` is any whole number;
    else a ``float``."""
    value = float(text)
    return int(value) if value.is_integer() else value


def nesting_depth(value):
    """How deep arrays and objects nest in a parsed JSON ``value`` (a scalar is 0).
    Iterative, so that no input can make it recurse."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in item)
    return deepest


def route(method, url, **options):
    """Declare an API route on a gateway method (see :class:`ApiRoute`)."""
    return ApiRoute.decorator(method, url, **options)
