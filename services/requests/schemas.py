"""The requests service's contracts: RPC payloads, HTTP bodies and event payloads.

The gateway validates HTTP bodies with these same schemas; consumers of the
``request.*`` events read their payloads as described here.
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis.periods import PERIOD_FORMAT
from chassis.provinces import ProvincialEventType
from reference import credit_codes, regions
from reference.credit_codes import CreditCode
from reference.validators import check_known_region as check_region
from services.agencies.schemas import AREAS as SERVICE_AREAS
from services.enterprises.schemas import check_county, source_version

KINDS = ("general", "arrears")

SUBMITTED, ASSIGNED, ACCEPTED, IN_PROGRESS = "submitted", "assigned", "accepted", "in_progress"
RESOLVED, REVISITED, CLOSED, WITHDRAWN = "resolved", "revisited", "closed", "withdrawn"
STATES = (SUBMITTED, ASSIGNED, ACCEPTED, IN_PROGRESS, RESOLVED, REVISITED, CLOSED, WITHDRAWN)
OPEN_STATES = frozenset({SUBMITTED, ASSIGNED, ACCEPTED, IN_PROGRESS, RESOLVED, REVISITED})
FINAL_STATES = frozenset({CLOSED, WITHDRAWN})

# Actions a caller names in ``POST /requests/{id}/transitions``.
ACTIONS = ("accept", "start", "resolve", "transfer", "return", "escalate", "withdraw",
           "reopen", "close")
# Parties: who may act on a request (the service names the party of each caller's role).
ENTERPRISE, AGENCY, ADMIN, SYSTEM = "enterprise", "agency", "admin", "system"
_HANDLING = (ASSIGNED, ACCEPTED, IN_PROGRESS)

# The whole lifecycle (诉求办理流程): (action, from state, to state, parties allowed). The service
# refuses anything else; the OpenAPI document and docs/requests.md show it as a diagram.
TRANSITIONS = (
    ("assign", SUBMITTED, ASSIGNED, {SYSTEM}),
    ("accept", ASSIGNED, ACCEPTED, {AGENCY}),
    ("start", ACCEPTED, IN_PROGRESS, {AGENCY}),
    ("resolve", ACCEPTED, RESOLVED, {AGENCY}),
    ("resolve", IN_PROGRESS, RESOLVED, {AGENCY}),
    ("transfer", SUBMITTED, ASSIGNED, {ADMIN}),
    *(("transfer", state, ASSIGNED, {AGENCY, ADMIN}) for state in _HANDLING),
    *(("return", state, ASSIGNED, {AGENCY}) for state in _HANDLING),
    *(("escalate", state, ASSIGNED, {AGENCY, ADMIN, SYSTEM}) for state in _HANDLING),
    ("withdraw", SUBMITTED, WITHDRAWN, {ENTERPRISE}),
    ("withdraw", ASSIGNED, WITHDRAWN, {ENTERPRISE}),
    ("revisit", RESOLVED, REVISITED, {ENTERPRISE, AGENCY}),
    ("reopen", REVISITED, IN_PROGRESS, {ENTERPRISE}),
    ("close", RESOLVED, CLOSED, {ENTERPRISE}),
    ("close", REVISITED, CLOSED, {ENTERPRISE, AGENCY, ADMIN}),
)

# The event each step announces (the service takes submit, assign and revisit itself).
EVENT_OF_ACTION = {
    "submit": "request.submitted", "assign": "request.assigned", "accept": "request.accepted",
    "start": "request.started", "resolve": "request.resolved", "transfer": "request.transferred",
    "return": "request.returned", "escalate": "request.escalated", "withdraw": "request.withdrawn",
    "revisit": "request.revisited", "reopen": "request.reopened", "close": "request.closed",
}

# 拖欠账款: who may be complained about (保障中小企业款项支付条例 第三条).
GOVERNMENT, PUBLIC_INSTITUTION, LARGE_ENTERPRISE = "government", "public_institution", "large_enterprise"
DEBTOR_TYPES = (GOVERNMENT, PUBLIC_INSTITUTION, LARGE_ENTERPRISE)
# GB 32100: the registration authority and kind of body each debtor type is registered as.
DEBTOR_KINDS = {GOVERNMENT: credit_codes.GOVERNMENT_BODY, PUBLIC_INSTITUTION: credit_codes.PUBLIC_INSTITUTION,
                LARGE_ENTERPRISE: credit_codes.ENTERPRISE}
DEBTOR_NAMES = {GOVERNMENT: "机关", PUBLIC_INSTITUTION: "事业单位", LARGE_ENTERPRISE: "大型企业"}
MAX_AMOUNT_YUAN = 10**13


def debtor_kind_problem(debtor_type, debtor_uscc):
    """Why ``debtor_type`` contradicts the debtor's credit code (GB 32100 kind digits), or None."""
    expected, actual = DEBTOR_KINDS[debtor_type], credit_codes.kind_of(debtor_uscc)
    if expected == actual:
        return None
    return (f"a {debtor_type} debtor ({DEBTOR_NAMES[debtor_type]}) has a credit code starting {expected} "
            f"({credit_codes.kind_name(expected)}); {debtor_uscc} starts {actual} "
            f"({credit_codes.kind_name(actual)})")


def check_period(value):
    if not PERIOD_FORMAT.match(value or ""):
        raise ValidationError("period must be YYYY, YYYY-Qn or YYYY-MM, e.g. 2026-11")


class ArrearsClaim(Schema):
    """拖欠账款: what an SME says it is owed, by whom, and from when the payment term runs."""

    debtor_uscc = CreditCode(required=True, metadata={"description": "The debtor's unified social credit code"})
    debtor_type = fields.String(required=True, validate=validate.OneOf(DEBTOR_TYPES), metadata={
        "description": "government (机关, credit code 11…), public_institution (事业单位, 12…) or "
                       "large_enterprise (大型企业, 91…)", "example": LARGE_ENTERPRISE})
    amount = fields.Decimal(required=True, as_string=False, places=2,
                            validate=validate.Range(min=0, min_inclusive=False, max=MAX_AMOUNT_YUAN),
                            metadata={"description": "Amount owed, yuan", "example": 125000.0})
    contract_date = fields.Date(required=True, metadata={
        "description": "Day the contract was made: it decides the rules that apply and the size classes "
                       "(保障中小企业款项支付条例 第三条)"})
    delivery_date = fields.Date(required=True, metadata={
        "description": "Day the goods, works or services were delivered (交付)"})
    agreed_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=365),
                                 metadata={"description": "Payment term the contract sets, in days"})
    accepted_on = fields.Date(allow_none=True, metadata={
        "description": "Day the inspection or acceptance (检验/验收) was passed, where the contract calls "
                       "for one; the term runs from it (第十条)"})
    inspection_days = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=365),
                                     metadata={"description": "Inspection or acceptance period the contract "
                                                              "agrees, in days from delivery (第十条)"})
    settlement_confirmed_on = fields.Date(allow_none=True, metadata={
        "description": "Periodic or progress settlement (定期/履行进度结算): day both sides confirmed the "
                       "amount; the term runs from it (第九条第三款)"})

    @validates_schema
    def _dates(self, data, **kwargs):
        if "contract_date" in data and "delivery_date" in data:
            if data["delivery_date"] < data["contract_date"]:
                raise ValidationError("delivery cannot precede the contract", field_name="delivery_date")
        if data.get("accepted_on") and data.get("delivery_date") and data["accepted_on"] < data["delivery_date"]:
            raise ValidationError("acceptance cannot precede delivery", field_name="accepted_on")
        if (data.get("settlement_confirmed_on") and data.get("contract_date")
                and data["settlement_confirmed_on"] < data["contract_date"]):
            raise ValidationError("a settlement cannot be confirmed before the contract",
                                  field_name="settlement_confirmed_on")

    @validates_schema
    def _debtor_kind(self, data, **kwargs):
        if data.get("debtor_type") in DEBTOR_TYPES and data.get("debtor_uscc"):
            problem = debtor_kind_problem(data["debtor_type"], data["debtor_uscc"])
            if problem:
                raise ValidationError(problem, field_name="debtor_type")


_AS_CLAIMED = "only when the claim gave it"


class ArrearsFacts(ArrearsClaim):
    """An arrears claim with what the rules make of it."""

    amount = fields.String(metadata={"description": "Amount owed, yuan, as a decimal string", "example": "125000.00"})
    agreed_days = fields.Integer(allow_none=True, metadata={"x-optional": _AS_CLAIMED})
    accepted_on = fields.Date(allow_none=True, metadata={"x-optional": _AS_CLAIMED})
    inspection_days = fields.Integer(allow_none=True, metadata={"x-optional": _AS_CLAIMED})
    settlement_confirmed_on = fields.Date(allow_none=True, metadata={"x-optional": _AS_CLAIMED})

    payment_rules = fields.String(allow_none=True, metadata={
        "description": "Version of 保障中小企业款项支付条例 governing the contract: 2025 (contracts from "
                       "2025-06-01), 2020 (from 2020-09-01), null (before the regulation)"})
    payment_term_days = fields.Integer(allow_none=True, metadata={"description": "null: no term applies"})
    payment_term_basis = fields.String(metadata={
        "description": "statutory, agreed, agreed_capped (a public payer's term cut to 60 days) or "
                       "no_statutory_term"})
    term_starts_on = fields.Date(metadata={"description": "Day the term runs from (not itself counted)"})
    term_start_basis = fields.String(metadata={
        "description": "delivery, acceptance, inspection_period_end or settlement_confirmed"})
    term_end_nominal = fields.Date(allow_none=True, metadata={
        "description": "The term's last day before a rest day or holiday moves it"})
    payment_due_date = fields.Date(allow_none=True, metadata={
        "description": "Last day to pay: the next working day if the term ends on a rest day or holiday "
                       "(民法典 第二百零三条); null when no term applies"})
    due_date_provisional = fields.Boolean(metadata={
        "description": "The due date counts days of a year whose holiday schedule is not yet published"})
    overdue = fields.Boolean(allow_none=True)
    days_overdue = fields.Integer(allow_none=True)
    notes = fields.List(fields.String(), metadata={
        "description": "What the answer assumed (e.g. the term runs from delivery) and why a term or "
                       "due date is missing or moved"})


class RequestSubmission(Schema):
    """What an enterprise says when it raises a request (提出诉求)."""

    service_area = fields.String(validate=validate.OneOf(SERVICE_AREAS),
                                 metadata={"description": "Required unless ``arrears`` is given (then rights)"})
    title = fields.String(required=True, validate=validate.Length(min=2, max=200))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    region_code = fields.String(required=True, validate=check_county, metadata={
        "description": "County-level division (GB/T 2260) where the request is raised", "example": "110105"})
    park = fields.String(allow_none=True, validate=validate.Length(max=100),
                         metadata={"description": "Industrial park or cluster, for routing to its station"})
    arrears = fields.Nested(ArrearsClaim, allow_none=True)
    policy_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1), metadata={
        "description": "The published policy the request is about (e.g. after its push notice), if any"})

    @validates_schema
    def _area(self, data, **kwargs):
        if data.get("arrears"):
            if data.get("service_area", "rights") != "rights":
                raise ValidationError("an arrears complaint belongs to the rights service area",
                                      field_name="service_area")
        elif not data.get("service_area"):
            raise ValidationError("required", field_name="service_area")


class TransitionRequest(Schema):
    """A step in a request's lifecycle asked for by a caller."""

    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason = fields.String(allow_none=True, validate=validate.Length(max=1000),
                           metadata={"description": "Required for transfer, return and escalate"})
    target_agency_id = fields.Integer(strict=True, allow_none=True,
                                      metadata={"description": "The agency to transfer to"})
    provider_id = fields.Integer(strict=True, allow_none=True, metadata={
        "description": "Quality service provider engaged (on accept, start or resolve)"})

    @validates_schema
    def _target(self, data, **kwargs):
        if data.get("action") == "transfer" and not data.get("target_agency_id"):
            raise ValidationError("required for transfer", field_name="target_agency_id")


class RatingSubmission(Schema):
    """满意度评价: the enterprise's verdict on a resolution."""

    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    solved = fields.Boolean(required=True, metadata={"description": "Whether the problem is solved"})
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class RevisitCallRecord(Schema):
    """回访: what an agency learnt when it called the enterprise back."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    solved = fields.Boolean(allow_none=True)


class HistoryEntry(Schema):
    """One transition in a request's append-only history."""

    at = fields.DateTime()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String()
    actor_role = fields.String()
    reason = fields.String(allow_none=True)
    from_agency_id = fields.Integer(allow_none=True)
    to_agency_id = fields.Integer(allow_none=True)


class Rating(Schema):
    round = fields.Integer()
    score = fields.Integer()
    solved = fields.Boolean()
    comment = fields.String()
    agency_id = fields.Integer(allow_none=True)
    rated_at = fields.DateTime()


class RevisitCall(Schema):
    agency_id = fields.Integer(allow_none=True)
    solved = fields.Boolean(allow_none=True)
    note = fields.String()
    called_by = fields.String()
    called_at = fields.DateTime()


class ServiceRequestSummary(Schema):
    """诉求 as lists show it."""

    id = fields.UUID()
    uscc = fields.String()
    kind = fields.String(validate=validate.OneOf(KINDS))
    service_area = fields.String()
    title = fields.String()
    region_code = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    agency_id = fields.Integer(allow_none=True)
    agency_name = fields.String(allow_none=True)
    accept_by = fields.Date(allow_none=True, metadata={"description": "Last day to accept (受理时限), China time"})
    resolve_by = fields.Date(allow_none=True, metadata={"description": "Last day to resolve (办结时限)"})
    expected_answer_by = fields.Date(allow_none=True, metadata={
        "description": "When the enterprise can expect its answer; null once answered"})
    deadline_provisional = fields.Boolean(metadata={
        "description": "A deadline counts days of a year whose holidays are not yet published"})
    overdue = fields.Boolean()
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime()


class ServiceRequest(ServiceRequestSummary):
    """诉求: a request an SME raises with the network, with its whole history."""

    description = fields.String()
    park = fields.String(allow_none=True)
    agency_level = fields.String(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    policy_id = fields.Integer(allow_none=True, metadata={"description": "The policy the request is about"})
    reopen_count = fields.Integer()
    escalation_count = fields.Integer()
    archived = fields.Boolean(metadata={"description": "Closed and read-only (归档)"})
    accepted_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    arrears = fields.Nested(ArrearsFacts, allow_none=True)
    ratings = fields.List(fields.Nested(Rating))
    revisits = fields.List(fields.Nested(RevisitCall))
    history = fields.List(fields.Nested(HistoryEntry))


class RequestFilter(Schema):
    """Filters on a list of requests (each narrows the caller's own scope)."""

    state = fields.String(validate=validate.OneOf(STATES))
    service_area = fields.String(validate=validate.OneOf(SERVICE_AREAS))
    region = fields.String(validate=validate.Regexp(r"^\d{2}(\d{2}){0,2}$"), metadata={
        "description": "Region prefix: 2 (province), 4 (city) or 6 (county) digits"})
    agency_id = fields.Integer()
    uscc = CreditCode()
    kind = fields.String(validate=validate.OneOf(KINDS))
    overdue = fields.Boolean()
    open = fields.Boolean(metadata={"description": "true: not yet closed or withdrawn; false: closed or withdrawn"})
    submitted_from = fields.Date()
    submitted_to = fields.Date()


class AssessmentQuery(Schema):
    region = fields.String(required=True, validate=check_region, metadata={
        "description": "Province, city or county code", "example": "320102"})
    period = fields.String(required=True, validate=check_period, metadata={
        "description": "YYYY, YYYY-Qn or YYYY-MM", "example": "2026-11"})


class Assessment(Schema):
    """评估问效: how a region handled the requests raised in it during a period."""

    region = fields.String()
    level = fields.String()
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "Last day of the period"})
    received = fields.Integer(metadata={"description": "Requests raised in the region in the period"})
    accepted = fields.Integer()
    accepted_on_time = fields.Integer()
    accepted_on_time_pct = fields.Float(allow_none=True)
    resolved = fields.Integer()
    resolved_on_time = fields.Integer()
    resolved_on_time_pct = fields.Float(allow_none=True)
    escalations = fields.Integer(metadata={"description": "Escalations of these requests"})
    escalations_received = fields.Integer(metadata={
        "description": "Escalations of the period's requests to agencies of this region"})
    ratings = fields.Integer()
    average_satisfaction = fields.Float(allow_none=True)
    revisit_coverage_pct = fields.Float(allow_none=True)
    resolved_not_solved_pct = fields.Float(allow_none=True)


class StaffPerformanceQuery(Schema):
    period = fields.String(required=True, validate=check_period, metadata={
        "description": "YYYY, YYYY-Qn or YYYY-MM", "example": "2026-Q3"})


class StaffFigures(Schema):
    """绩效考评: one staff member's figures at one agency for a period, from the request history."""

    subject = fields.String(metadata={"description": "The staff member's token subject"})
    accepted = fields.Integer(metadata={"description": "Acceptances (受理) by the staff member"})
    accepted_on_time = fields.Integer()
    accepted_on_time_pct = fields.Float(allow_none=True)
    resolved = fields.Integer(metadata={"description": "Resolutions (办结); a reopened request resolved "
                                                       "again counts twice"})
    resolved_on_time = fields.Integer()
    resolved_on_time_pct = fields.Float(allow_none=True)
    ratings = fields.Integer(metadata={"description": "Ratings of those resolutions"})
    average_satisfaction = fields.Float(allow_none=True)
    not_solved_pct = fields.Float(allow_none=True, metadata={"description": "Ratings saying not solved"})
    revisit_coverage_pct = fields.Float(allow_none=True, metadata={
        "description": "Resolutions followed by a rating or revisit call"})
    escalations_caused = fields.Integer(metadata={
        "description": "Escalations of requests the staff member escalated, or had accepted and still held"})


class StaffPerformance(StaffFigures):
    period = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    agency_id = fields.Integer()


class HolidayRange(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=50), metadata={"example": "春节"})
    first = fields.Date(required=True)
    last = fields.Date(required=True)


# The years a holiday schedule may be loaded for (the path's year).
HOLIDAY_YEARS = (2000, 2100)


class HolidaySchedule(Schema):
    """国务院办公厅 节假日安排 for one year: days off and make-up working days (调休上班)."""

    holidays = fields.List(fields.Nested(HolidayRange), required=True)
    workdays = fields.List(fields.Date(), load_default=list,
                           metadata={"description": "Weekend days that are working days"})
    source = fields.String(load_default="", validate=validate.Length(max=200),
                           metadata={"example": "国办发明电〔2026〕7号"})


class HolidayScheduleLoaded(Schema):
    year = fields.Integer()
    holidays = fields.Integer()
    workdays = fields.Integer()
    recomputed = fields.Integer(metadata={"description": "Provisional deadlines recomputed"})


class HolidayScheduleAnnounced(Schema):
    """Payload of ``holiday_schedule.loaded``: one year's schedule as operators loaded it, replacing
    any earlier one of that year (the days, expanded from their ranges)."""

    year = fields.Integer(required=True)
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)
    source = fields.String(load_default="")


class ClockSetting(Schema):
    offset_seconds = fields.Float(required=True, validate=validate.Range(min=-10**9, max=10**9))


class ClockReading(Schema):
    now = fields.DateTime()
    offset_seconds = fields.Float()
    escalated = fields.Integer(metadata={"description": "Requests the sweep escalated on moving the clock",
                                         "x-optional": "only in the answer to setting the clock"})


# -- event payloads ------------------------------------------------------------

class RequestTransitioned(Schema):
    """Payload of every ``request.<transition>`` event."""

    request_id = fields.UUID(required=True)
    action = fields.String(required=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(required=True)
    uscc = fields.String(required=True)
    service_area = fields.String(required=True)
    region_code = fields.String(required=True)
    agency_id = fields.Integer(allow_none=True)
    agency_region_code = fields.String(allow_none=True, metadata={"description": "Region of the agency holding it now"})
    from_agency_id = fields.Integer(allow_none=True)
    from_agency_region_code = fields.String(allow_none=True, metadata={
        "description": "Region of the agency that held it before this step"})
    accept_by = fields.Date(allow_none=True)
    resolve_by = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    actor_role = fields.String(required=True)
    at = fields.DateTime(required=True)
    policy_id = fields.Integer(allow_none=True, metadata={"description": "The policy the request is about"})
    origin_province = fields.String(allow_none=True, metadata={
        "description": "The province whose portal submitted it (its progress goes back there); null otherwise"})
    origin_ref = fields.String(allow_none=True, metadata={"description": "The portal's own reference"})


class DeadlineMissed(Schema):
    """Payload of ``request.deadline_missed``."""

    request_id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"description": "accept or resolve"})
    due = fields.Date(required=True)
    agency_id = fields.Integer(required=True)
    uscc = fields.String(required=True)
    service_area = fields.String(required=True)
    region_code = fields.String(required=True)
    detected_at = fields.DateTime(required=True)
    origin_province = fields.String(allow_none=True)
    origin_ref = fields.String(allow_none=True)


class RequestRated(Schema):
    """Payload of ``request.rated`` (the provider library and the assessment read it)."""

    request_id = fields.String(required=True)
    uscc = fields.String(required=True)
    agency_id = fields.Integer(allow_none=True)
    service_area = fields.String(required=True)
    region_code = fields.String(required=True)
    score = fields.Integer(required=True)
    solved = fields.Boolean(required=True)
    comment = fields.String(required=True)
    provider_id = fields.Integer(allow_none=True)
    origin_province = fields.String(allow_none=True)
    origin_ref = fields.String(allow_none=True)


# -- what provinces publish (onenet.provinces.in) ---------------------------------------

PORTAL_REF = {"required": True, "validate": validate.Length(min=1, max=64),
              "metadata": {"description": "The portal's own reference of the request, unique in the province"}}
# What a provincial portal may do to a request: as the holding agency, or as the enterprise.
PORTAL_AGENCY_ACTIONS = ("accept", "start", "resolve", "transfer", "return", "escalate")
PORTAL_ENTERPRISE_ACTIONS = ("withdraw", "close")


class ProvincialRequestSubmittedV1(Schema):
    """``request.submitted`` version 1: a request an SME raised on the provincial portal (诉求).

    It is routed and handled like any other request; its progress comes back on
    the province's outbound queue with ``origin_ref``. The region must lie in the
    publishing province.
    """

    source_version = source_version()
    request_ref = fields.String(**PORTAL_REF)
    uscc = CreditCode(required=True, metadata={"description": "The enterprise that raised it"})
    service_area = fields.String(required=True, validate=validate.OneOf(SERVICE_AREAS))
    title = fields.String(required=True, validate=validate.Length(min=2, max=200))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    region_code = fields.String(required=True, validate=check_county)
    park = fields.String(allow_none=True, validate=validate.Length(max=100))


class ProvincialRequestTransitionedV1(Schema):
    """``request.transitioned`` version 1: a step taken on the provincial portal.

    By the holding agency (``agency_id``, an agency of the province: accept,
    start, resolve, transfer, return, escalate) or by the enterprise on a
    request of the province (withdraw, close). The request is named by the
    portal's ``request_ref`` or OneNet's ``request_id``.
    """

    source_version = source_version()
    request_ref = fields.String(validate=validate.Length(min=1, max=64))
    request_id = fields.UUID()
    action = fields.String(required=True, validate=validate.OneOf(PORTAL_AGENCY_ACTIONS + PORTAL_ENTERPRISE_ACTIONS))
    agency_id = fields.Integer(strict=True, metadata={"description": "The acting agency (agency actions)"})
    reason = fields.String(allow_none=True, validate=validate.Length(max=1000))
    target_agency_id = fields.Integer(strict=True, allow_none=True, metadata={"description": "For transfer"})

    @validates_schema
    def _names_one_request(self, data, **kwargs):
        if ("request_ref" in data) == ("request_id" in data):
            raise ValidationError("name the request by request_ref or by request_id, not both")
        if data.get("action") in PORTAL_AGENCY_ACTIONS and "agency_id" not in data:
            raise ValidationError("required for an agency's action", field_name="agency_id")
        if data.get("action") == "transfer" and not data.get("target_agency_id"):
            raise ValidationError("required for transfer", field_name="target_agency_id")


REQUEST_SUBMITTED = ProvincialEventType(
    type="request.submitted", owner="requests", schemas={1: ProvincialRequestSubmittedV1},
    summary="A request raised on the provincial portal: routed like any other, its progress sent back",
    example={"source_version": 1, "request_ref": "GD-2026-000123", "uscc": "91440106MA59C5XK1G",
             "service_area": "finance_talent", "title": "申请中小企业融资担保",
             "description": "企业拟扩大产线，需500万元流动资金贷款担保。", "region_code": "440106",
             "park": None})
REQUEST_TRANSITIONED = ProvincialEventType(
    type="request.transitioned", owner="requests", schemas={1: ProvincialRequestTransitionedV1},
    summary="A step on a request taken on the provincial portal, by the holding agency or the enterprise",
    example={"source_version": 2, "request_ref": "GD-2026-000123", "action": "accept", "agency_id": 1931,
             "reason": None})
PROVINCIAL_EVENTS = (REQUEST_SUBMITTED, REQUEST_TRANSITIONED)

# What the requests service publishes on onenet.events: type → payload schema (its outbox checks each event).
EVENTS = {
    **{event_type: RequestTransitioned for event_type in EVENT_OF_ACTION.values()},
    "request.deadline_missed": DeadlineMissed,
    "request.rated": RequestRated,
    "holiday_schedule.loaded": HolidayScheduleAnnounced,
}
