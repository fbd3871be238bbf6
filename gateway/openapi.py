"""The OpenAPI 3.1 document, generated from the routes and their marshmallow schemas.

apispec turns the schemas into components; the build then makes the document say
what the server does:

- every field of a schema the server answers with is ``required`` (the services
  answer every field, null where the field is nullable), unless the field's
  metadata says when it is absent (``x-optional``);
- each vocabulary (service areas, levels, states, actions, size classes, tiers,
  legal forms, debtor types, …) is one shared component, referred to wherever its
  values are taken or given (:data:`VOCABULARIES`);
- each operation's description says who may call it (from the route's access
  table), what it does (the route's docstring), the order of the items of a list (the
  route's ``order``, also ``x-order``) and which events it emits; each has an example
  of its body and of its answer, built from the schemas' examples;
- the ``requests`` tag carries the request lifecycle: a state diagram and a table of
  who may take which action, generated from the transition table (``python -m
  gateway.openapi lifecycle`` writes the same into docs/requests.md).
"""
import copy
import functools
import json
import os
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import EXCLUDE, Schema, fields, validate

from chassis import errors as domain_errors
from chassis.text import TEXT_PATTERN
from gateway import access, api
from gateway.api import CORRELATION_HEADER, IDEMPOTENCY_HEADER, ApiRoute
from services.activities import schemas as activities
from services.agencies import schemas as agencies
from services.enterprises import schemas as enterprises
from services.notifications import schemas as notifications
from services.requests import schemas as requests

TITLE = "OneNet API"
X_TITLE = "全国中小企业服务一张网"
# 2.0.0: OpenAPI 3.1, nullable fields said so, vocabularies as components, filters renamed (the old
# names deprecated), every operation described. 2.1.0: rules the server already checked stated (keys
# of free objects, conditions between fields, typed criteria, periods of 1900-2099, least amounts,
# province codes, holiday years); periods outside 1900-2099, which could fail with a 500, are a 422.
# 2.2.0: the public reads the gateway keeps (routes declared cached) state their ETag and
# Cache-Control, take If-None-Match and answer 304. 2.3.0: successes and 304s state the rate limit's
# RateLimit-Limit, -Remaining and -Reset headers; a 429 states them, and Retry-After, as always sent.
# 2.3.1: the other error answers state the RateLimit-* headers too (the budget is spent first).
# 2.4.0: the scoring catalogue's policy_reach and policy_read (政策直享) join the indicator enum.
# 2.5.0: a notice kind more, activity_update (a place won from an activity's waitlist, an occurrence
# moved to another day), about an occurrence.
VERSION = "2.5.0"
OPENAPI_VERSION = "3.1.0"
_PATH_PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")

ERROR_STATUSES = {
    "400": "Malformed request (not JSON, wrong content type, nested too deep)",
    "401": "Missing, invalid or expired bearer token (answered with `WWW-Authenticate: Bearer`); on a "
           "public operation, a token that is sent and invalid",
    "403": "The caller's role or scope does not allow this",
    "404": "No such object (or not visible to the caller: the same answer)",
    "409": "Conflicts with the stored state (a duplicate, an action not allowed from the state)",
    "413": "Body too large",
    "422": "Validation failed; `details` names each field and its problems (`idempotency_key_reused`: an "
           "Idempotency-Key sent again with another request)",
    "429": "Rate limit exceeded; `Retry-After` says when to try again",
    "503": "A service did not answer in time; try again shortly",
}

# Who each role is, for the "who may call" line of every operation.
ROLE_WORDS = {
    "anonymous": "anyone without a token",
    "national_admin": "national admins",
    "province_admin": "province admins",
    "city_admin": "city admins",
    "county_admin": "county admins",
    "agency_staff": "agency staff",
    "enterprise": "enterprise users",
    "province_system": "provincial systems",
    "lead_firm": "lead-firm users",
}
OUTCOME_WORDS = {
    access.HIDDEN: "404, as if it did not exist",
    access.REFUSED: "403",
}

TAGS = {
    "enterprises": "SME profiles (一企一档): registration, changes and their history, portrait, size class, "
                   "criteria queries and imports.",
    "requests": "Service requests (诉求): submission, the lifecycle below, ratings, revisit calls and "
                "assessment figures.",
    "policies": "Policies (政策): drafting, publication, withdrawal, reach and the push to matching SMEs.",
    "notifications": "Inboxes of enterprises and agencies: notices, read marks, preferences.",
    "webhooks": "Webhook subscriptions of enterprises and agencies, signed deliveries and their log.",
    "agencies": "The agency hierarchy, service stations, routing and published service guides.",
    "library": "The basic-information library: laws, experts, FAQs, service products and cases, and search.",
    "providers": "The quality service-provider library: applications, admission, evaluation and exit.",
    "capacity": "Agencies' capacity records: funding, premises, IT build-out, by year.",
    "staff": "Agencies' staff, their qualifications, trainings and secondments.",
    "scoring": "Scoring models and runs over provinces and counties, honours and nominations.",
    "activities": "Service activities: publication, recurrence, registration, check-in and ratings.",
    "matchmaking": "Lead firms, the supply-chain and financing need boards.",
    "operations": "Operators' controls: the clock, holiday schedules.",
    "open311": "Open311 GeoReport v2 over requests, for standard clients.",
    "meta": "This document.",
}

# Vocabularies: one component each, referred to wherever the values occur. A field whose enum
# is exactly one of these sets refers to its component; a subset stays inline (a restriction).
VOCABULARIES = {
    "ServiceArea": (agencies.AREAS, "Service area (服务领域): " + ", ".join(
        f"`{code}` {name}" for code, name in agencies.SERVICE_AREAS.items())),
    "AgencyLevel": (agencies.LEVELS, "Level of an agency in the network"),
    "IssuerLevel": (agencies.ISSUER_LEVELS, "Level of the agency that issued a policy"),
    "PolicyState": (agencies.POLICY_STATES, "State of a policy"),
    "LawCategory": (agencies.LAW_CATEGORIES, "Category of a law or regulation"),
    "MembershipState": (agencies.MEMBERSHIP_STATES, "State of a provider's membership of the library"),
    "SearchKind": (agencies.SEARCH_KINDS, "Kind of library entry"),
    "SizeClass": (enterprises.SIZE_CLASSES, "Size class (企业规模) under 工信部联企业〔2011〕300号"),
    "Tier": (enterprises.TIERS, "Tier of a quality SME (优质中小企业梯度培育)"),
    "TierLevel": (enterprises.ISSUING_LEVELS, "Level of the authority that awarded a tier"),
    "LegalForm": (tuple(enterprises.LEGAL_FORMS), "Legal form of an enterprise"),
    "RequestState": (requests.STATES, "State of a request; see the diagram in the `requests` tag"),
    "RequestAction": (requests.ACTIONS, "Action a caller takes on a request; see the diagram in the "
                                         "`requests` tag"),
    "RequestKind": (requests.KINDS, "Kind of request: general, or arrears owed to an SME (拖欠账款)"),
    "DebtorType": (requests.DEBTOR_TYPES, "Who owes the arrears"),
    "NoticeKind": (tuple(notifications.KINDS), "Kind of notice"),
    "Channel": (notifications.CHANNELS, "Channel a notice goes out by"),
    "ActivityKind": (tuple(activities.KINDS), "Kind of service activity"),
    "Collateral": (tuple(activities.COLLATERAL_KINDS), "Collateral offered for a financing need"),
    "ChainOutcome": (activities.CHAIN_OUTCOMES, "Outcome of a supply-chain offer"),
}


# Rules the contracts enforce in Python (a function validator or a field class), stated in the
# document as a pattern, a format of its own (for property-based clients to generate values by)
# and an example the server accepts. Keyed by the validator's or the field class's name.
USCC_EXAMPLE = "91110000600037341L"
_DIVISION = {"type": "string", "pattern": "^[0-9]{6}$", "example": "110105"}
RULES = {
    "check_division": dict(_DIVISION, format="gb2260-division", description="A GB/T 2260 division code in use "
                           "(6 digits), or 000000 for the whole country"),
    "check_known_region": dict(_DIVISION, format="gb2260-region", description="A known GB/T 2260 province, city "
                               "or county code (6 digits)"),
    "check_province_or_nation": {"pattern": "^[0-9]{2}0000$", "format": "gb2260-province", "example": "330000",
                                 "description": "A province's GB/T 2260 code, or 000000 for the whole country"},
    "check_county": dict(_DIVISION, format="gb2260-county", description="A county-level GB/T 2260 division "
                         "code in use (6 digits)"),
    "check_region_prefix": {"pattern": "^([0-9]{2}|[0-9]{4}|[0-9]{6})$", "format": "region-prefix",
                            "example": "1101", "description": "Region prefix: a province (2 digits), city (4) "
                                                              "or county (6) of a known division code"},
    "RegionPrefix": {"pattern": "^([0-9]{2}|[0-9]{4}|[0-9]{6})$", "format": "region-prefix", "example": "1101",
                     "description": "Region prefix: a province (2 digits), city (4) or county (6) of a known "
                                    "division code; a province's or city's full code (320000) reads as its prefix"},
    "check_industry": {"pattern": "^[A-Ta-t]([0-9]{2}([0-9]{1,2})?)?$", "format": "gb4754", "example": "C39",
                       "description": "GB/T 4754-2017 industry: a section letter A–T, or with its division "
                                      "(C39), group or class"},
    "check_profile_industry": {"pattern": "^[A-Ta-t][0-9]{2}([0-9]{1,2})?$", "format": "gb4754", "example": "C39",
                               "description": "GB/T 4754-2017 division (C39), group or class"},
    "check_period": {"pattern": "^(19|20)[0-9]{2}(-(Q[1-4]|0[1-9]|1[0-2]))?$", "format": "period",
                     "example": "2026-Q3", "description": "A year (2026), a quarter (2026-Q3) or a month (2026-11), "
                                                          "of the years 1900–2099"},
    "check_cursor": {"pattern": "^[A-Za-z0-9_=-]+$", "format": "cursor",
                     "example": notifications.INBOX_CURSOR_EXAMPLE, "description": "Opaque"},
    "check_time_zone": {"pattern": "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", "format": "time-zone",
                        "example": "Asia/Shanghai", "description": "A time zone of the IANA database"},
    # A tag is read with its surrounding blanks removed: some character must not be a blank.
    "Tag": {"pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*"
                       "[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$",
            "example": "专精特新", "description": "A label (标签) of 1–50 characters, not all blanks"},
    "CreditCode": {"pattern": "^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$", "format": "uscc",
                   "example": USCC_EXAMPLE,
                   "description": "Unified social credit code (统一社会信用代码, GB 32100): 18 characters whose "
                                  "last is a check character (blanks, dashes and lower case are also read)"},
}


# Path parameters checked beyond their type, by name.
PATH_PARAMETER_RULES = {
    "year": {"minimum": requests.HOLIDAY_YEARS[0], "maximum": requests.HOLIDAY_YEARS[1]},
}


def stated_rules(self, field, ret=None, **kwargs):
    """apispec attribute function: what :data:`RULES` states for ``field``, exclusive bounds, and
    that a URL is http(s)."""
    found = _exclusive_bounds(field)
    if isinstance(field, fields.Url):
        found["pattern"] = "^https?://[^\\s/]+"
    key_choices = [check.choices for check in getattr(getattr(field, "key_field", None), "validators", ())
                   if isinstance(check, validate.OneOf)]
    if key_choices:
        found["propertyNames"] = {"enum": list(key_choices[0])}
    if field.metadata.get("x-schema"):
        found["x-schema"] = field.metadata["x-schema"]
    return {**found, **_rule_of(field)}


def _exclusive_bounds(field):
    bounds = {}
    for check in field.validators:
        if isinstance(check, validate.Range):
            places = getattr(field, "places", None) if isinstance(field, fields.Decimal) else None
            if check.min is not None and not check.min_inclusive and places is not None:
                # Rounded to its places before the check: the least amount is one unit of the last place.
                unit = float(places) if not isinstance(places, int) else 10.0 ** -places
                bounds["minimum"] = float(check.min) + unit
            elif check.min is not None and not check.min_inclusive:
                bounds["exclusiveMinimum"] = float(check.min) if not isinstance(check.min, int) else check.min
            if check.max is not None and not check.max_inclusive:
                bounds["exclusiveMaximum"] = float(check.max) if not isinstance(check.max, int) else check.max
    return bounds


def _rule_of(field):
    names = [type(field).__name__] + [getattr(check, "__name__", "") for check in field.validators]
    for name in names:
        if name in RULES:
            rule = dict(RULES[name])
            given = field.metadata.get("description")
            if given:
                rule["description"] = f"{given}. {rule['description']}" if rule["description"] not in given else given
            if "example" in field.metadata:
                rule.pop("example")
            return {key: value for key, value in rule.items() if key != "type"}
    return {}


# The public reads a gateway keeps (gateway.public_cache): their answers' validator and freshness.
# On a 429, always: the budget is what refused the request.
SPENT_BUDGET_HEADERS = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"},
                        "RateLimit-Limit": {"$ref": "#/components/headers/SpentRateLimitLimit"},
                        "RateLimit-Remaining": {"$ref": "#/components/headers/SpentRateLimitRemaining"},
                        "RateLimit-Reset": {"$ref": "#/components/headers/SpentRateLimitReset"}}
# Sent on every answer of every operation while the rate limit's store answers (gateway.rate_limit).
BUDGET_HEADERS = {"RateLimit-Limit": {"$ref": "#/components/headers/RateLimitLimit"},
                  "RateLimit-Remaining": {"$ref": "#/components/headers/RateLimitRemaining"},
                  "RateLimit-Reset": {"$ref": "#/components/headers/RateLimitReset"}}
KEPT_ANSWER_HEADERS = {"ETag": {"$ref": "#/components/headers/ETag"},
                       "Cache-Control": {"$ref": "#/components/headers/CacheControl"}}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The `ETag` of an answer the client holds (or several, comma-separated; `*` for any): "
                   "when the answer would have that tag, it is 304 without a body (RFC 9110 §13.1.2). "
                   "A weak tag (`W/\"…\"`) compares as the strong one.",
}
IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "A key the client makes for this one write (a UUID, say) and sends again, unchanged, "
                   "when it retries the same write. The first answer is kept 24 hours: a retry with the "
                   "same key and the same request gets the same status and body, and nothing is done "
                   "twice; the same key with another request is a 422 `idempotency_key_reused`. A key is "
                   "the caller's own: another caller's equal key is another key.",
}


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True, metadata={"example": "the body is invalid"})
    details = fields.Dict(required=True, metadata={
        "description": "Per-field problems (field → list of messages) or other context, such as "
                       "`allowed` (the actions or methods one may take instead)",
        "example": {"region_code": ["'999999' is not a GB/T 2260 division code"]}})
    correlation_id = fields.String(required=True, metadata={
        "description": f"The `{CORRELATION_HEADER}` of the exchange, to quote to operators",
        "example": "c6b7e5c2b1a94f1f"})


class Error(Schema):
    """The one error shape of every non-2xx answer."""

    error = fields.Nested(ErrorDetail, required=True)


OPEN311_PREFIX = "/open311/"


class Open311ErrorItem(Schema):
    code = fields.Integer(required=True, metadata={"description": "The HTTP status", "example": 404})
    description = fields.String(required=True, metadata={"example": "no request 12"})


def error_codes():
    """Every ``error.code`` the API answers with."""
    codes = {"internal_error"}
    pending = [api.ApiError, domain_errors.DomainError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return sorted(codes - {domain_errors.DomainError.code})


# Schema-level checks (a contract's ``validates_schema`` hooks, by name) that JSON Schema can state:
# each gives what its schema must add, from the marshmallow schema. Checks that compare two values
# (an end after its start, a minimum under its maximum) are said in the fields' descriptions only.
def _some_change(schema):
    """``chassis.contracts.Changes``: at least one field, and with a field that is no change (a
    reason) one more."""
    stated = {"minProperties": 1}
    if len(schema.not_changes) == 1:
        [aside] = schema.not_changes
        stated.update({"if": {"required": [aside]}, "then": {"minProperties": 2}})
    return stated


def _when(condition, then, otherwise=None):
    rule = {"if": condition, "then": then}
    if otherwise is not None:
        rule["else"] = otherwise
    return rule


def _is(field, value):
    return {"properties": {field: {"const": value}}, "required": [field]}


def _absent_or_null(field):
    return {"properties": {field: {"type": "null"}}}


# Conditions are written as if/then (not as alternatives with anyOf), which client generators
# leave aside: the body keeps its one model.
SCHEMA_CHECKS = {
    "_at_least_one_change": _some_change,
    "_not_empty": lambda schema: {"minProperties": 1},
    "_some_channel": lambda schema: {"minProperties": 1},
    "_where_and_when": lambda schema: _when(_absent_or_null("venue"), {
        "required": ["online_url"], "properties": {"online_url": {"type": "string"}}}),
    "_funded_needs_amount_and_day": lambda schema: _when(_is("funded", True), {"required": ["amount", "funded_on"]}),
    "_staff": lambda schema: _when(_is("kind", "staff"), {"required": ["staff_id"],
                                                          "properties": {"staff_id": {"type": "integer"}}},
                                   {"properties": {"staff_id": {"type": "null"}}}),
    "_station_park": lambda schema: _when(_is("level", "station"), {"required": ["park"]},
                                          {"not": {"required": ["park"]}}),
    "_area": lambda schema: _when(_absent_or_null("arrears"), {"required": ["service_area"]},
                                  {"properties": {"service_area": {"const": "rights"}}}),
    # GB 32100: a debtor's credit code starts with its kind (11 机关, 12 事业单位, 91 企业).
    "_debtor_kind": lambda schema: {"allOf": [
        _when(_is("debtor_type", kind), {"properties": {"debtor_uscc": {"pattern": f"^{digits}"}}})
        for kind, digits in requests.DEBTOR_KINDS.items()]},
    "SecondmentFields._consistent": lambda schema: _when(_is("kind", "enterprise"), {"required": ["uscc"]},
                                                         {"not": {"required": ["uscc"]}}),
}


def _stated_schema_checks(schema):
    """The JSON Schema that states ``schema``'s checks of :data:`SCHEMA_CHECKS` (``{}``: none):
    keywords merged, and more than one condition each a part of ``allOf``."""
    stated, parts = {}, []
    for hook in getattr(schema, "_hooks", {}).get("validates_schema", ()):
        rule = SCHEMA_CHECKS.get(f"{type(schema).__name__}.{hook[0]}") or SCHEMA_CHECKS.get(hook[0])
        fragment = rule(schema) if rule is not None else {}
        part = {key: value for key, value in fragment.items() if key in ("if", "then", "else", "anyOf")}
        stated.update({key: value for key, value in fragment.items() if key not in part})
        if part and part not in parts:
            parts.append(part)
    if len(parts) == 1:
        stated.update(parts[0])
    elif parts:
        stated["allOf"] = parts
    return stated


def routes_of(service_cls):
    """Every :class:`ApiRoute` declared on ``service_cls``, with its method name."""
    for name in sorted(dir(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                yield name, entrypoint


def openapi_path(url):
    return _PATH_PARAM.sub(r"{\2}", url)


def security_of(entrypoint):
    """Bearer for every non-public route; an Open311 route also takes the token as ``api_key``
    (optional on its public routes)."""
    schemes = [{"bearer": []}] + ([{"api_key": []}] if entrypoint.api_key else [])
    if entrypoint.public:
        return [{}] + schemes if entrypoint.api_key else []
    return schemes


def callers_of(entrypoint):
    """The roles that may call a route (``anonymous`` first when it is public)."""
    table = entrypoint.access
    return [caller for caller in access.CALLERS if caller in table]


def who_may_call(entrypoint):
    """The access table in words: who may call, and what they get outside their scope."""
    table = entrypoint.access
    callers = callers_of(entrypoint)
    if set(callers) == set(access.CALLERS):
        text = "**Who may call:** everyone, with or without a token."
    else:
        text = "**Who may call:** " + ", ".join(ROLE_WORDS.get(caller, caller) for caller in callers) + "."
    outside = []
    for situation, what in (("other_region", "another region's"), ("other_enterprise", "another enterprise's")):
        for outcome, words in OUTCOME_WORDS.items():
            who = [ROLE_WORDS.get(caller, caller) for caller in callers if table[caller][situation] == outcome]
            if who:
                outside.append(f"{', '.join(who)} asking for {what} object get {words}")
    if outside:
        text += " Outside their scope: " + "; ".join(outside) + "."
    return text


def _docstring(service_cls, name):
    doc = getattr(getattr(service_cls, name, None), "__doc__", None) or ""
    return re.sub(r"\s*\n\s*", " ", doc.strip().split("\n\n")[0].strip()) if doc.strip() else ""


def query_parameters(entrypoint, converter):
    """The query parameters under the API's names (:func:`gateway.api.public_query_names`), each
    contract's own name beside it as a deprecated alias."""
    parameters = converter.schema2parameters(entrypoint.query_schema, location="query")
    renamed = {old: new for new, old in entrypoint.query_names.items()}
    aliases = []
    for parameter in parameters:
        if parameter["name"] in renamed:
            alias = dict(copy.deepcopy(parameter), deprecated=True, required=False,
                         description=f"Deprecated: use `{renamed[parameter['name']]}`.")
            parameter["name"] = renamed[parameter["name"]]
            aliases.append(alias)
    return parameters + aliases


KEYSET_PAGES = ("**Pages:** keyset: follow `next`, or send `next_cursor` as `cursor` with "
                "the same filters; a cursor that was changed, or is sent with other filters, is 422 on `cursor`.")


def operation(name, entrypoint, service_cls=None, converter=None):
    events = list(getattr(entrypoint, "emits", ()) or ())
    parts = [entrypoint.summary.rstrip(".") + "." if entrypoint.summary else "",
             _docstring(service_cls, name) if service_cls is not None else "",
             f"**Order:** {entrypoint.order.rstrip('.')}." if entrypoint.order else "",
             KEYSET_PAGES if "cursor" in getattr(entrypoint.query_schema, "_declared_fields", {}) else "",
             who_may_call(entrypoint)]
    if entrypoint.method != "GET":
        parts.append("**Events:** " + (", ".join(f"`{event}`" for event in events) if events
                                       else "none.") )
    op = {
        "operationId": name,
        "summary": entrypoint.summary or name.replace("_", " "),
        "description": "\n\n".join(part for part in parts if part),
        "tags": list(entrypoint.tags),
        "x-roles": callers_of(entrypoint),
        "security": security_of(entrypoint),
        "parameters": [
            {"in": "path", "name": param, "required": True,
             "schema": dict({"type": "integer"} if converter == "int" else {"type": "string"},
                            **PATH_PARAMETER_RULES.get(param, {}))}
            for converter, param in _PATH_PARAM.findall(entrypoint.url)
        ],
        "responses": {},
    }
    if events:
        op["x-events"] = events
    if entrypoint.order:
        op["x-order"] = entrypoint.order
    if entrypoint.idempotent:
        op["parameters"].append("IdempotencyKey")
    if entrypoint.query_schema is not None and converter is not None:
        op["parameters"] += query_parameters(entrypoint, converter)
    elif entrypoint.query_schema is not None:
        op["parameters"].append({"in": "query", "schema": entrypoint.query_schema})
    if entrypoint.body_schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": entrypoint.body_schema}}}
    success = {"description": "Success", "headers": answer_headers()}
    if isinstance(entrypoint.response_schema, (tuple, list)):
        success["content"] = {"application/json": {"schema": {"anyOf": list(entrypoint.response_schema)}}}
    elif entrypoint.response_schema is not None:
        success["content"] = {"application/json": {"schema": entrypoint.response_schema}}
    elif entrypoint.media_type != "application/json":
        success["content"] = {entrypoint.media_type: {"schema": {"type": "string"}}}
    op["responses"][str(entrypoint.status)] = success
    if entrypoint.cached:
        op["parameters"].append("IfNoneMatch")
        success["headers"].update(KEPT_ANSWER_HEADERS)
        op["responses"]["304"] = {
            "description": "Not modified: `If-None-Match` named this answer's `ETag`; no body",
            "headers": {**answer_headers(), **KEPT_ANSWER_HEADERS}}
    open311 = entrypoint.url.startswith(OPEN311_PREFIX)
    error_schema = {"type": "array", "items": "Open311Error"} if open311 else "Error"
    for status, description in ERROR_STATUSES.items():
        if status in ("409",) and entrypoint.method == "GET":
            continue
        answer = {"description": description, "headers": answer_headers(),
                  "content": {"application/json": {"schema": error_schema}}}
        if status == "401":
            answer["headers"]["WWW-Authenticate"] = {"$ref": "#/components/headers/WWWAuthenticate"}
        if status == "429":
            answer["headers"].update(SPENT_BUDGET_HEADERS)
        op["responses"][status] = answer
    return op


BUDGET_WORDS = {  # header: (what it says, its least value)
    "Limit": (("Requests the caller may make in the rate limit's window (`RATE_LIMIT`, 600 a minute unless "
               "configured); each caller (a token's subject, else the client address) has a budget of its own, "
               "shared by every gateway"), 1),
    "Remaining": ("Requests left in the caller's budget", 0),
    "Reset": ("Seconds until the budget gives a request back", 1),
}
UNCHECKED = ("; sent while the rate limit's store (Redis) answers: without it requests pass unchecked and "
             "no budget is stated")


def budget_headers():
    """The components of :data:`BUDGET_HEADERS`, optional (a request passes unchecked while the rate
    limit's store does not answer), and of :data:`SPENT_BUDGET_HEADERS`, required (IETF
    draft-ietf-httpapi-ratelimit-headers)."""
    headers = {}
    for field, (description, least) in BUDGET_WORDS.items():
        schema = {"type": "integer", "minimum": least}
        headers[f"RateLimit{field}"] = {"description": description + UNCHECKED, "schema": schema}
        headers[f"SpentRateLimit{field}"] = {"description": description, "required": True, "schema": schema}
    return headers


def answer_headers():
    """The headers of an operation's answers (successes, 304s and errors; a 429 states the budget
    as required): its correlation id, always, and the caller's rate-limit budget (which every
    answer carries while the store answers)."""
    return {CORRELATION_HEADER: {"$ref": "#/components/headers/CorrelationId"}, **BUDGET_HEADERS}


@functools.lru_cache(maxsize=4)
def served(service_cls):
    """The document the gateway serves: built once per process (the routes do not change)."""
    return build(service_cls)


def build(service_cls):
    """The OpenAPI document (a dict) for the gateway's ``/api/v1`` and Open311 routes."""
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title=TITLE, version=VERSION, openapi_version=OPENAPI_VERSION, plugins=[marshmallow_plugin],
        info={"description": (
                  f"The HTTP API of the national SME public-service network ({X_TITLE}). "
                  "Every operation says who may call it; errors always have the shape of `Error`, whose "
                  "`code` is one of `ErrorCode`. Send `Authorization: Bearer <JWT>`; every answer carries "
                  f"`{CORRELATION_HEADER}` (the one sent, or a new one), and errors repeat it in "
                  "`error.correlation_id`. Every answer states the caller's rate-limit budget "
                  "(`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`) while the rate limit's store "
                  "answers; a `429` also says in `Retry-After` when to try again."),
              "x-title": X_TITLE,
              "contact": {"name": "OneNet maintainers", "url": "https://github.com/onenet/onenet"},
              "license": {"name": "Proprietary", "identifier": "LicenseRef-OneNet"}},
        servers=[{"url": "{scheme}://{host}", "description": "A OneNet gateway (`make run`: http://127.0.0.1:8000)",
                  "variables": {"scheme": {"default": "http", "enum": ["http", "https"]},
                                "host": {"default": "127.0.0.1:8000"}}}],
        tags=[{"name": name, "description": _tag_description(name)} for name in TAGS])
    marshmallow_plugin.converter.add_attribute_function(stated_rules)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.security_scheme("api_key", {"type": "apiKey", "in": "query", "name": "api_key"})
    spec.components.parameter("IdempotencyKey", "header", IDEMPOTENCY_KEY)
    spec.components.schema("Error", schema=Error)
    spec.components.schema("Open311Error", schema=Open311ErrorItem)
    spec.components.header("CorrelationId", {
        "description": "Follows the exchange through every service and log line; the one sent "
                       "(1–64 of A–Z a–z 0–9 . _ : -), or a new one", "schema": {"type": "string"}})
    spec.components.header("WWWAuthenticate", {"description": "`Bearer` (RFC 6750)",
                                               "schema": {"type": "string"}})
    spec.components.parameter("IfNoneMatch", "header", IF_NONE_MATCH)
    spec.components.header("ETag", {
        "description": "A digest of the body (a strong entity tag, RFC 9110 §8.8.3); send it back in "
                       "`If-None-Match` to be answered 304 while the answer is the same",
        "required": True, "schema": {"type": "string"}})
    spec.components.header("CacheControl", {
        "description": "`public, max-age=<seconds>`: the same for every caller; the gateway keeps it that "
                       "long (`PUBLIC_CACHE_SECONDS`, 5), unless a write through the gateway comes first",
        "required": True, "schema": {"type": "string"}})
    spec.components.header("RetryAfter", {"description": "Seconds until the caller may try again (the same as "
                                                          "`RateLimit-Reset`)",
                                          "required": True, "schema": {"type": "integer", "minimum": 1}})
    for name, header in budget_headers().items():
        spec.components.header(name, header)
    paths = {}
    for name, entrypoint in routes_of(service_cls):
        if entrypoint.url.startswith(("/api/", OPEN311_PREFIX)):
            paths.setdefault(openapi_path(entrypoint.url), {})[entrypoint.method.lower()] = \
                operation(name, entrypoint, service_cls, marshmallow_plugin.converter)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    # Decimal bounds (money) become JSON numbers, as in every answer.
    document = json.loads(json.dumps(spec.to_dict(), default=api.json_default))
    # What each schema's own checks require of a body (a change changes something, …).
    for key, name in marshmallow_plugin.converter.refs.items():
        schema = key[0]()
        stated = _stated_schema_checks(schema)
        if schema.unknown == EXCLUDE:
            # Fields it does not know are taken and left aside (an Open311 client's own fields).
            stated["additionalProperties"] = {"type": ["string", "number", "boolean", "null"]}
        if stated and name in document["components"]["schemas"]:
            document["components"]["schemas"][name].update(stated)
    _finish(document)
    return state_text_pattern(document)


def _tag_description(name):
    if name == "requests":
        return TAGS[name] + "\n\n" + lifecycle_markdown()
    return TAGS[name]


# -- the request lifecycle, from the requests contract's transition table ------------------------

PARTY_WORDS = {"enterprise": "the enterprise", "agency": "the holding agency", "admin": "region admins",
               "system": "OneNet itself"}
PARTY_ORDER = tuple(PARTY_WORDS)
LIFECYCLE_BEGIN = "<!-- request lifecycle: generated by `python -m gateway.openapi lifecycle` from lifecycle.py; do not edit -->"
LIFECYCLE_END = "<!-- end of request lifecycle -->"


def _who(parties):
    return ", ".join(PARTY_WORDS[party] for party in PARTY_ORDER if party in parties)


def lifecycle_markdown(transitions=None):
    """The request's states and actions as a Mermaid state diagram and a table: who may take
    each action from which state (generated from the transition table, so it cannot drift)."""
    transitions = requests.TRANSITIONS if transitions is None else transitions
    edges, rows = {}, {}
    for action, source, target, parties in transitions:
        edges.setdefault((source, target), []).append(f"{action} ({_who(parties)})")
        rows.setdefault((action, target, frozenset(parties)), []).append(source)
    lines = ["```mermaid", "stateDiagram-v2", f"    [*] --> {requests.STATES[0]}: submit (the enterprise)"]
    lines += [f"    {source} --> {target}: {'; '.join(labels)}" for (source, target), labels in edges.items()]
    lines += [f"    {state} --> [*]" for state in requests.STATES if state in requests.FINAL_STATES]
    lines += ["```", "", "| action | from | to | who |", "|---|---|---|---|",
              f"| (submit) | — | {requests.STATES[0]} | the enterprise |"]
    for (action, target, parties), sources in rows.items():
        shown = action if action in requests.ACTIONS else f"({action})"
        lines.append(f"| {shown} | {', '.join(sources)} | {target} | {_who(parties)} |")
    lines += ["", "Actions in parentheses are OneNet's own (routing, a rating or a revisit call); callers take "
                  "the others with `POST /api/v1/requests/{request_id}/transitions`. Any other action answers "
                  "409 with `details.allowed`: the actions the caller may take instead."]
    return "\n".join(lines)


def write_lifecycle(path, check=False):
    """Put :func:`lifecycle_markdown` between the markers of ``path`` (docs/requests.md); with
    ``check``, only say whether it is there already. Returns True when the file is up to date."""
    with open(path, encoding="utf-8") as source:
        text = source.read()
    start, end = text.index(LIFECYCLE_BEGIN) + len(LIFECYCLE_BEGIN), text.index(LIFECYCLE_END)
    wanted = text[:start] + "\n" + lifecycle_markdown() + "\n" + text[end:]
    if not check and wanted != text:
        with open(path, "w", encoding="utf-8") as target:
            target.write(wanted)
    return wanted == text



# -- finishing the document -------------------------------------------------------------------

def _finish(document):
    schemas = document["components"]["schemas"]
    schemas["ErrorCode"] = {"type": "string", "enum": error_codes(),
                            "description": "What went wrong, for programs (the message is for people)"}
    schemas["ErrorDetail"]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode",
                                                    "example": "validation_failed"}
    _walk(document, _standard_formats)
    _walk(document, _typed_objects)
    answered = _components_under(document, _response_roots(document))
    taken = _components_under(document, _request_roots(document))
    # A schema also taken as input is echoed as given: its answers have what its input requires.
    for name in answered - taken:
        _require_answered_fields(schemas[name])
    for name, schema in schemas.items():
        _drop_markers(schema)
    for name, (values, description) in VOCABULARIES.items():
        schemas[name] = {"type": "string", "enum": list(values), "description": description}
    _walk(document, _refer_to_vocabularies, skip=set(VOCABULARIES))
    _walk(document, _name_sort_orders)
    _examples(document)


def _walk(node, visit, skip=frozenset(), path=()):
    """Calls ``visit(node, path)`` on every schema-like dict of the document, depth first."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if path == ("components", "schemas") and key in skip:
                continue
            _walk(value, visit, skip, path + (key,))
        visit(node, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, visit, skip, path + (index,))


def _typed_objects(node, path):
    """A free object that a contract checks against a schema of its own (``x-schema``: a policy's
    criteria are a ``Criteria``) refers to that schema."""
    name = node.pop("x-schema", None)
    if name is not None:
        kept = {key: node[key] for key in ("description", "example") if key in node}
        node.clear()
        node.update(kept, **{"$ref": f"#/components/schemas/{name}"})


def _standard_formats(node, path):
    if node.get("format") == "url" and "type" in node:
        node["format"] = "uri"


def _refs_under(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs_under(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs_under(value, found)
    return found


def _components_under(document, roots):
    schemas, seen, pending = document["components"]["schemas"], set(), list(roots)
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs_under(schemas[name], set()) - seen)
    return seen


def _operations(document):
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            yield path, method, op


def _response_roots(document):
    found = set()
    for _, _, op in _operations(document):
        _refs_under(op.get("responses", {}), found)
    return found


def _request_roots(document):
    found = set()
    for _, _, op in _operations(document):
        _refs_under(op.get("requestBody", {}), found)
        _refs_under(op.get("parameters", []), found)
    return found


def _require_answered_fields(schema):
    """Every property of a schema the server answers with is required, unless marked
    ``x-optional`` (absent in some answers)."""
    properties = schema.get("properties")
    if not properties:
        return
    schema["required"] = [name for name, prop in properties.items() if not prop.get("x-optional")]
    if not schema["required"]:
        del schema["required"]


def _drop_markers(schema):
    for prop in schema.get("properties", {}).values():
        reason = prop.pop("x-optional", None)
        if isinstance(reason, str):
            prop["description"] = (prop.get("description", "").rstrip(".") + ". " if prop.get("description")
                                   else "") + reason[0].upper() + reason[1:]


def _name_sort_orders(node, path):
    """A sort order ``-name`` is NAME_DESC (and ``name`` NAME_ASC) in generated clients, not VALUE_1."""
    values = node.get("enum")
    if values and all(isinstance(value, str) for value in values) and any(v.startswith("-") for v in values):
        node["x-enum-varnames"] = [value.lstrip("-").upper() + ("_DESC" if value.startswith("-") else "_ASC")
                                   for value in values]
        node.setdefault("description", "Sort order: a field name ascending, `-` before it descending")


def _vocabulary_of(values):
    given = {value for value in values if value is not None}
    for name, (vocabulary, _) in VOCABULARIES.items():
        if given == set(vocabulary):
            return name
    return None


def _refer_to_vocabularies(node, path):
    if "enum" not in node or "$ref" in node or path[:2] == ("components", "headers"):
        return
    if len(path) >= 2 and path[-2:] == ("servers", ) or "variables" in path:
        return
    name = _vocabulary_of(node["enum"])
    if name is None:
        return
    nullable = None in node["enum"] or (isinstance(node.get("type"), list) and "null" in node["type"])
    ref = {"$ref": f"#/components/schemas/{name}"}
    kept = {key: value for key, value in node.items() if key not in ("enum", "type", "description")}
    if node.get("description") and not node["description"].startswith(VOCABULARIES[name][1][:20]):
        kept["description"] = node["description"]
    node.clear()
    node.update(kept)
    if nullable:
        node["anyOf"] = [ref, {"type": "null"}]
    else:
        node.update(ref)


# -- examples -----------------------------------------------------------------------------------

def _examples(document):
    """An example for every body and every success answer, built from the schemas' own examples
    (a field without one gets a value of its type, its vocabulary's first value, or its format)."""
    schemas = document["components"]["schemas"]
    for _, _, op in _operations(document):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body:
            body["example"] = example_of(body["schema"], schemas, request=True)
        for status, answer in op["responses"].items():
            media = answer.get("content", {}).get("application/json")
            if media is not None and "example" not in media and status.startswith("2"):
                media["example"] = example_of(media["schema"], schemas)
            elif media is not None and "example" not in media and status == "404" and "items" not in media["schema"]:
                media["example"] = {"error": {"code": "not_found", "message": "no such object",
                                              "details": {}, "correlation_id": "c6b7e5c2b1a94f1f"}}


_FORMAT_EXAMPLES = {"date": "2026-03-31", "date-time": "2026-03-31T10:00:00+08:00", "uri": "https://example.org/",
                    "email": "contact@example.org", "uuid": "3f8e1a52-5b8a-4c1e-9d55-0d8f3e0f6a11",
                    "time": "09:00:00"}


def example_of(schema, schemas, request=False, seen=()):
    """A value that the OpenAPI ``schema`` accepts (refs resolved against ``schemas``; a schema met
    again inside itself is left out)."""
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return None if name in seen else example_of(schemas[name], schemas, request, seen + (name,))
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema and "properties" not in schema:
            choices = [choice for choice in schema[key] if choice.get("type") != "null"] or schema[key]
            return example_of(choices[0], schemas, request, seen)
    if "enum" in schema:
        return next((value for value in schema["enum"] if value is not None), None)
    if "default" in schema and schema["default"] is not None:
        return copy.deepcopy(schema["default"])
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((each for each in kind if each != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        if not properties and isinstance(schema.get("additionalProperties"), dict):
            return {"key": example_of(schema["additionalProperties"], schemas, request, seen)}
        wanted = list(schema.get("required", [])) if request else list(properties)
        # The schema's own checks (stated as alternatives and conditions) want their fields too.
        wanted += schema.get("anyOf", [{}])[0].get("required", [])
        for part in schema.get("allOf", []):
            wanted += part.get("anyOf", [{}])[0].get("required", [])
        if not wanted and schema.get("minProperties"):
            wanted = list(properties)[:schema["minProperties"]]
        found = {name: example_of(properties[name], schemas, request, seen) for name in properties if name in wanted}
        for part in [schema] + schema.get("allOf", []):
            condition = part.get("if", {}).get("properties", {})
            if condition and all(found.get(name) == rule.get("const") for name, rule in condition.items()):
                found.update({name: example_of(properties[name], schemas, request, seen)
                              for name in part["then"].get("required", []) if name not in found})
                wanted += part["then"].get("required", [])
        return {name: value for name, value in found.items() if value is not None or name in wanted}
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas, request, seen)
        return [] if item is None else [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if schema.get("maximum", 1) >= 1 else schema.get("minimum", 0)
    if kind == "number":
        return max(schema.get("minimum", 1.5), 1.5) if schema.get("maximum", 1.5) >= 1.5 else schema.get("minimum", 0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if schema.get("format") in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[schema["format"]]
    if "pattern" in schema:
        return next((candidate for candidate in _PATTERN_CANDIDATES if re.search(schema["pattern"], candidate)), None)
    return "text"


# Values tried, in order, on a pattern without an example of its own.
_PATTERN_CANDIDATES = [rule["example"] for rule in RULES.values()] + [
    "2026-Q3", "2026", "09:00", "11", "+86 10 6500 1234", "A1"]


# Strings whose values a format, an enum or a pattern of their own already confines.
_CONFINED = ("enum", "const", "pattern", "format")


# Schemas only ever answered, whose text may quote what the caller sent (an error's message).
_ANSWERS_ONLY = ("Error", "ErrorDetail", "Open311Error")


def state_text_pattern(node):
    """Every other string of the document, and every key an object takes freely, says what the
    gateway enforces for all text (:mod:`chassis.text`): no control characters. Returns ``node``,
    changed in place."""
    schemas = node.get("components", {}).get("schemas", {})
    skipped = {id(schemas[name]) for name in _ANSWERS_ONLY if name in schemas}
    pending = [node]
    while pending:
        item = pending.pop()
        if id(item) in skipped:
            continue
        if isinstance(item, dict):
            kinds = item.get("type")
            if (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)) and \
                    not any(key in item for key in _CONFINED):
                item["pattern"] = TEXT_PATTERN
            # An object that takes keys of the caller's choosing: the keys are text too.
            if (kinds == "object" or (isinstance(kinds, list) and "object" in kinds)) and \
                    item.get("additionalProperties", "properties" not in item) not in (False, None) and \
                    "propertyNames" not in item:
                item["propertyNames"] = {"pattern": TEXT_PATTERN}
            pending.extend(value for key, value in item.items() if key not in ("example", "examples", "default"))
        elif isinstance(item, list):
            pending.extend(item)
    return node


DOCUMENT_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "openapi.json")


def document_text(service_cls):
    """The document as committed in ``docs/openapi.json`` (what the gateway serves)."""
    return json.dumps(build(service_cls), ensure_ascii=False, indent=1, default=api.json_default) + "\n"


REQUESTS_DOC = os.path.join(os.path.dirname(DOCUMENT_PATH), "requests.md")


def main(argv=None):
    """``python -m gateway.openapi`` writes the document the gateway serves to
    ``docs/openapi.json``, which the front-end teams' tools and the breaking-change
    check read; ``python -m gateway.openapi lifecycle`` writes the request lifecycle into
    docs/requests.md; ``--check`` only says whether the committed one is out of date."""
    import argparse
    from gateway.service import GatewayService
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("what", nargs="?", choices=("document", "lifecycle"), default="document")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "lifecycle":
        if not write_lifecycle(REQUESTS_DOC, check=args.check) and args.check:
            raise SystemExit(f"{REQUESTS_DOC} is out of date: run python -m gateway.openapi lifecycle")
        return
    text = document_text(GatewayService)
    current = ""
    if os.path.exists(DOCUMENT_PATH):
        with open(DOCUMENT_PATH, encoding="utf-8") as handle:
            current = handle.read()
    if args.check:
        if current != text:
            raise SystemExit(f"{DOCUMENT_PATH} is out of date: run python -m gateway.openapi")
        return
    with open(DOCUMENT_PATH, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {os.path.relpath(DOCUMENT_PATH)}")


if __name__ == "__main__":
    main()
