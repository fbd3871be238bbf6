"""An Open311 GeoReport v2 facade (JSON) over requests, for existing Open311 clients.

Mapping: a *service* is a service area (``service_code`` = ``policy``,
``rights``, ...); ``jurisdiction_id`` is the county-level division code where
the request is raised (default: the enterprise's registered county);
``service_request_id`` is the request id.  Open311's ``status`` is ``open``
until the request is closed or withdrawn, ``expected_datetime`` is the end of
the resolution deadline's day (China time) and ``agency_responsible`` the
agency holding it.  Clients authenticate with the same token as the rest of
the API, sent as Open311's ``api_key`` (query parameter or form field) or as a
bearer header; filing needs an enterprise's token.  Following a request needs
no token: anyone holding a request's id sees its public status only (state,
service, agency and times, never the description or who raised it); the
enterprise, its agency and its region's admins see it whole.  Bodies may be
posted as a form (as the specification has it) or as JSON.  Errors come in
Open311's shape, ``[{"code": <HTTP status>, "description": "..."}]``, and
``/open311/discovery.json`` tells clients where the endpoint is.
"""
from datetime import datetime, time

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from chassis.errors import NotFound as DomainNotFound
from reference import credit_codes
from reference.validators import check_region_prefix
from gateway import access, auth
from gateway.api import ERROR_SHAPES, Forbidden, Unauthenticated, Unprocessable, route
from gateway.routes.requests import READERS, actor_of
from gateway.rpc import ServiceProxy
from services.agencies.schemas import SERVICE_AREAS as AREA_NAMES
from services.requests import schemas
from reference.china_time import CHINA_TIME

# What each service area offers, for Open311 clients that show descriptions.
DESCRIPTIONS = {
    "policy": "Laws and policies explained and delivered (政策直享)",
    "cultivation": "Cultivation of innovative and specialised SMEs (专精特新梯度培育)",
    "chain": "Matching between large firms and SMEs along supply chains",
    "finance_talent": "Finance and talent services",
    "quality_brand": "Quality, standards and brand building",
    "international": "International exchange and cooperation",
    "rights": "Protection of lawful rights, including complaints about overdue payments (拖欠账款)",
    "training": "Training and consulting",
}
MAX_IDS = 50
OPEN311_PAGE = 100
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-05-01T00:00:00+08:00"
# What anyone holding a request's id may see of it.
PUBLIC_STATUS_FIELDS = ("service_request_id", "status", "service_code", "service_name",
                        "agency_responsible", "requested_datetime", "updated_datetime",
                        "expected_datetime")


def open311_error(status, code, message, details):
    """Open311's error shape: a list of ``{"code", "description"}`` (the code is the HTTP status);
    a validation failure names each field's problem in its description."""
    if status != 422:
        return [{"code": status, "description": message}]
    problems = "; ".join(f"{name}: {', '.join(map(str, problem)) if isinstance(problem, list) else problem}"
                         for name, problem in (details or {}).items())
    return [{"code": status, "description": f"{message} ({problems})" if problems else message}]


ERROR_SHAPES["/open311/"] = open311_error


class Open311Service(Schema):
    """One Open311 service: a service area of the network."""

    service_code = fields.String()
    service_name = fields.String()
    description = fields.String()
    metadata = fields.Boolean()
    type = fields.String()
    keywords = fields.String()
    group = fields.String()


class Open311RequestSubmission(Schema):
    """``POST /open311/v2/requests.json`` (GeoReport v2 fields; unknown ones ignored)."""

    class Meta:
        unknown = EXCLUDE

    service_code = fields.String(required=True, validate=validate.OneOf(schemas.SERVICE_AREAS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    jurisdiction_id = fields.String(validate=schemas.check_county, metadata={
        "description": "County-level division code; default: the enterprise's registered county"})
    title = fields.String(data_key="attribute[title]", validate=validate.Length(min=2, max=200))
    address_string = fields.String(validate=validate.Length(max=500))
    lat = fields.String()
    long = fields.String()
    account_id = fields.String()
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String()
    device_id = fields.String()
    media_url = fields.String()

    @validates_schema
    def _account(self, data, **kwargs):
        if data.get("account_id") and len(data["account_id"]) != 18:
            raise ValidationError("account_id, when given, is the enterprise's USCC", field_name="account_id")


class Open311Receipt(Schema):
    service_request_id = fields.String()
    service_notice = fields.String()
    account_id = fields.String(allow_none=True)


WHOLE_REQUEST_ONLY = {"x-optional": "only for callers in whose scope the request lies; anyone else gets the "
                                    "public status"}


class Open311ServiceRequest(Schema):
    """A request as Open311 shows it (outside the caller's scope, its public status only)."""

    service_request_id = fields.String()
    status = fields.String(metadata={"description": "open or closed"})
    status_notes = fields.String(metadata=WHOLE_REQUEST_ONLY)
    service_name = fields.String()
    service_code = fields.String()
    description = fields.String(metadata=WHOLE_REQUEST_ONLY)
    agency_responsible = fields.String(allow_none=True)
    service_notice = fields.String(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    requested_datetime = fields.String()
    updated_datetime = fields.String()
    expected_datetime = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    address_id = fields.String(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    zipcode = fields.String(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    lat = fields.Float(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    long = fields.Float(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    media_url = fields.String(allow_none=True, metadata=WHOLE_REQUEST_ONLY)
    jurisdiction_id = fields.String(metadata=WHOLE_REQUEST_ONLY)


class Open311Endpoint(Schema):
    specification = fields.String()
    url = fields.String()
    changeset = fields.String()
    type = fields.String()
    formats = fields.List(fields.String())


class Open311Discovery(Schema):
    """Where the GeoReport v2 endpoint is and what it speaks (Open311 service discovery)."""

    changeset = fields.String()
    contact = fields.String()
    key_service = fields.String()
    endpoints = fields.List(fields.Nested(Open311Endpoint))


class Open311RequestQuery(Schema):
    """``GET /open311/v2/requests.json`` parameters."""

    class Meta:
        unknown = EXCLUDE

    service_request_id = fields.String(metadata={"description": "Comma-separated ids (up to 50)"})
    service_code = fields.String(validate=validate.OneOf(schemas.SERVICE_AREAS))
    start_date = fields.DateTime()
    end_date = fields.DateTime()
    status = fields.String(validate=validate.OneOf(("open", "closed")))
    jurisdiction_id = fields.String(validate=check_region_prefix, metadata={
        "description": "Requests raised in this region: a province (2 digits), city (4) or county (6)"})


def expected_datetime(resolve_by):
    """End of the resolution deadline's day, China time, ISO 8601."""
    if not resolve_by:
        return None
    day = datetime.fromisoformat(resolve_by).date()
    return datetime.combine(day, time(23, 59, 59), CHINA_TIME).isoformat()


def service_notice(request):
    if request.get("agency_name") and request.get("expected_answer_by"):
        return (f"受理机构 {request['agency_name']}，预计 {request['expected_answer_by']} 前答复 "
                f"(held by {request['agency_name']}, answer expected by {request['expected_answer_by']})")
    if request["state"] == "submitted":
        return "已提交，待分派 (submitted, awaiting assignment to an agency)"
    return None


def as_open311(request):
    """A request in Open311 GeoReport v2 form."""
    closed = request["state"] in ("closed", "withdrawn")
    return {
        "service_request_id": request["id"],
        "status": "closed" if closed else "open",
        "status_notes": request["state"],
        "service_name": AREA_NAMES[request["service_area"]],
        "service_code": request["service_area"],
        "description": request.get("description") or request.get("title"),
        "agency_responsible": request.get("agency_name"),
        "service_notice": service_notice(request),
        "requested_datetime": request["submitted_at"],
        "updated_datetime": request.get("updated_at") or request["submitted_at"],
        "expected_datetime": expected_datetime(request.get("expected_answer_by")),
        "address": None, "address_id": None, "zipcode": None, "lat": None, "long": None,
        "media_url": None,
        "jurisdiction_id": request["region_code"],
    }


def public_status(request):
    """A request as anyone holding its id may see it."""
    shown = as_open311(request)
    return {name: shown[name] for name in PUBLIC_STATUS_FIELDS}


class Open311Routes:
    requests = ServiceProxy("requests")
    enterprises = ServiceProxy("enterprises")

    @route("GET", "/open311/discovery.json", access=access.PUBLIC, response=Open311Discovery,
           tags=["open311"], summary="Open311 service discovery: where the GeoReport v2 endpoint is")
    def open311_discovery(self, call):
        return {"changeset": CHANGESET, "contact": "全国中小企业服务一张网 (OneNet)",
                "key_service": "api_key: the OneNet token of an enterprise user (to file requests)",
                "endpoints": [{"specification": SPECIFICATION, "url": f"{call.base_url}/open311/v2",
                               "changeset": CHANGESET, "type": "production",
                               "formats": ["application/json"]}]}

    @route("GET", "/open311/v2/services.json", access=access.PUBLIC, response=Open311Service(many=True),
           tags=["open311"], summary="Open311: the service areas requests can be filed under",
           order="in the order of the service areas (the `ServiceArea` vocabulary)")
    def open311_services(self, call):
        return [{"service_code": code, "service_name": AREA_NAMES[code],
                 "description": DESCRIPTIONS.get(code, AREA_NAMES[code]), "metadata": False,
                 "type": "realtime", "keywords": code, "group": "SME services"}
                for code in schemas.SERVICE_AREAS]

    @route("POST", "/open311/v2/requests.json", access=access.callers(auth.ENTERPRISE),
           body=Open311RequestSubmission, response=Open311Receipt(many=True), status=201, forms=True,
           api_key=True, tags=["open311"],
           summary="Open311: file a request (as the calling enterprise)",
           emits=("request.submitted", "request.assigned"))
    def open311_file(self, call):
        data = Open311RequestSubmission().load(call.body)
        uscc = call.principal.scope
        if data.get("account_id") and credit_codes.compact(data["account_id"]) != uscc:
            raise Unprocessable("account_id must be the calling enterprise's USCC",
                                {"account_id": ["not the caller"]})
        region = data.get("jurisdiction_id") or self._registered_county(uscc)
        submission = {"service_area": data["service_code"], "region_code": region,
                      "title": data.get("title") or data["description"][:60].strip() or data["service_code"],
                      "description": data["description"]}
        if len(submission["title"]) < 2:
            submission["title"] = AREA_NAMES[data["service_code"]]
        created = self.requests.submit(uscc, submission, actor_of(call.principal))
        return [{"service_request_id": created["id"], "service_notice": service_notice(created),
                 "account_id": uscc}]

    @route("GET", "/open311/v2/requests.json", access=access.PUBLIC, query=Open311RequestQuery,
           response=Open311ServiceRequest(many=True), api_key=True, tags=["open311"],
           summary="Open311: requests by id (anyone: their public status) or, with an api_key, "
                   "those within the caller's scope (newest first, up to 100)",
           order="with `service_request_id`, in the order of the ids given; otherwise newest first")
    def open311_requests(self, call):
        query, principal = call.query, call.principal
        if query.get("service_request_id"):
            ids = [part.strip() for part in query["service_request_id"].split(",") if part.strip()]
            if len(ids) > MAX_IDS:
                raise Unprocessable(f"at most {MAX_IDS} ids at once", {"service_request_id": ["too many"]})
            found = []
            for request_id in ids:
                try:
                    found.append(self._as_seen_by(principal, request_id))
                except DomainNotFound:
                    continue
            return found
        if principal is None:
            raise Unauthenticated("listing requests needs an api_key; without one, ask for requests "
                                  "by service_request_id")
        if principal.role not in READERS:
            raise Forbidden(f"role {principal.role} lists no requests; ask by service_request_id")
        filters = {}
        if query.get("service_code"):
            filters["service_area"] = query["service_code"]
        if query.get("status"):
            filters["open"] = query["status"] == "open"
        if query.get("jurisdiction_id"):
            filters["region"] = query["jurisdiction_id"]
        if query.get("start_date"):
            filters["submitted_from"] = query["start_date"].astimezone(CHINA_TIME).date().isoformat()
        if query.get("end_date"):
            filters["submitted_to"] = query["end_date"].astimezone(CHINA_TIME).date().isoformat()
        page = self.requests.list(actor_of(principal), filters, OPEN311_PAGE, 0)
        return [as_open311(item) for item in page["items"]]

    @route("GET", "/open311/v2/requests/<request_id>.json", access="""
               everyone  ok  ok  ok""",
           response=Open311ServiceRequest(many=True), api_key=True, tags=["open311"],
           summary="Open311: one request (as a one-element list); without a token, or outside the "
                   "caller's scope, its public status only",
           order="one element")
    def open311_request(self, call, request_id):
        return [self._as_seen_by(call.principal, request_id)]

    def _as_seen_by(self, principal, request_id):
        """The whole request for a caller who sees it (the requests service judges), else its public
        status; ``NotFound`` when there is no such request."""
        if principal is not None and principal.role in READERS:
            try:
                return as_open311(self.requests.get(request_id, actor_of(principal)))
            except DomainNotFound:
                pass
        return public_status(self.requests.get(request_id))

    def _registered_county(self, uscc):
        try:
            return self.enterprises.get(uscc)["region_code"]
        except DomainNotFound:
            raise Unprocessable("jurisdiction_id is required: the enterprise is not registered",
                                {"jurisdiction_id": ["required"]}) from None
