"""The agencies service's contracts: RPC payloads, HTTP bodies and event payloads.

The gateway validates HTTP bodies with these same schemas. Region codes are
GB/T 2260 division codes; ``000000`` (:data:`NATIONWIDE`) stands for the whole
country (the national agency's region, a nationwide policy's scope).
"""
from dataclasses import dataclass
from datetime import date

from marshmallow import Schema, ValidationError, fields, missing, validate, validates, validates_schema

from chassis.contracts import Changes
from chassis.provinces import ProvincialEventType
from reference import regions
from reference.validators import (NATIONWIDE, check_division as check_region, check_industry,  # noqa: F401
                                  check_province_or_nation)
from reference.credit_codes import CreditCode
from services.enterprises.schemas import SIZE_CLASSES, TIERS, Criteria, source_version

LEVELS = ("national", "province", "city", "county", "station")

# 工信部企业〔2023〕213号: the service areas the network covers.
SERVICE_AREAS = {
    "policy": "法律政策宣贯",
    "cultivation": "优质企业梯度培育",
    "chain": "大中小企业链式融通",
    "finance_talent": "融资融智",
    "quality_brand": "质量标准品牌",
    "international": "国际交流合作",
    "rights": "合法权益保护（含拖欠账款）",
    "training": "培训咨询",
}
AREAS = tuple(SERVICE_AREAS)

POLICY_STATES = ("draft", "published", "expired", "withdrawn")
ISSUER_LEVELS = ("national", "province", "city", "county")
LAW_CATEGORIES = ("law", "administrative_regulation", "department_rule",
                  "local_regulation", "normative_document")
MEMBERSHIP_STATES = ("applied", "admitted", "rejected", "exited")
SEARCH_KINDS = ("policy", "law", "faq", "expert", "provider", "product", "case")

MAX_TEXT = 200_000


def criteria_errors(criteria):
    """Problems of a policy's eligibility against the enterprises service's ``Criteria``.

    Returns ``{"criteria.<field>": [problem, ...]}`` (empty when it is valid):
    unknown fields, unknown region, industry, size or tier codes, bad ranges.
    """
    if not isinstance(criteria, dict):
        return {"criteria": ["must be an object with the fields of Criteria"]}
    try:
        Criteria().load(criteria)
    except ValidationError as exc:
        return {f"criteria.{name}" if name != "_schema" else "criteria": _flat(problems)
                for name, problems in exc.messages.items()}
    return {}


def _flat(problems):
    if isinstance(problems, dict):
        return [f"item {index}: {message}" for index, messages in problems.items()
                for message in _flat(messages)]
    return list(problems)


def partial_of(schema_cls, name):
    """The same schema with every field optional (a PATCH body), named ``name``.

    At least one field must be given.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        schema_cls.__init__(self, *args, **kwargs)

    return type(name, (schema_cls, Changes), {
        "__init__": __init__,
        "__doc__": f"Changes to {schema_cls.__name__}: any subset of its fields.",
    })


def area_field(**kwargs):
    return fields.String(validate=validate.OneOf(AREAS), metadata={
        "description": "Service area: " + ", ".join(f"{code} {name}" for code, name in SERVICE_AREAS.items())},
        **kwargs)


def region_field(required=False, description="GB/T 2260 division code; 000000 = nationwide"):
    options = {"required": True} if required else {"load_default": NATIONWIDE}
    return fields.String(validate=check_region, metadata={"description": description, "example": "110105"},
                         **options)


# -- agencies ---------------------------------------------------------------

class Agency(Schema):
    """A public-service agency (中小企业公共服务机构) or service station (服务站点)."""

    id = fields.Integer()
    name = fields.String()
    level = fields.String(validate=validate.OneOf(LEVELS))
    region_code = fields.String(metadata={"description": "000000 for the national agency"})
    region_name = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    park = fields.String(allow_none=True, metadata={"description": "Park or cluster a station serves"})
    service_areas = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class AgencyAnnounced(Schema):
    """Payload of ``agency.created`` and ``agency.updated`` (``changed`` names the fields an update changed)."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    region_code = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True)
    park = fields.String(allow_none=True)
    service_areas = fields.List(fields.String())
    active = fields.Boolean()
    changed = fields.List(fields.String())


class AgencyCreation(Schema):
    """A new agency below an existing one (the national agency comes with the skeleton)."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS[1:]))
    region_code = fields.String(required=True, validate=check_region,
                                metadata={"description": "Province, city or county code matching the level; "
                                                         "a station's county", "example": "110108"})
    parent_id = fields.Integer(required=True, strict=True)
    park = fields.String(validate=validate.Length(min=2, max=100),
                         metadata={"description": "Required for a station", "example": "中关村软件园"})
    service_areas = fields.List(area_field(), validate=validate.Length(min=1))
    active = fields.Boolean(load_default=True)


class AgencyChanges(Changes):
    """What may change on an agency; its level and region are fixed."""

    name = fields.String(validate=validate.Length(min=2, max=200))
    parent_id = fields.Integer(strict=True)
    park = fields.String(validate=validate.Length(min=2, max=100))
    service_areas = fields.List(area_field(), validate=validate.Length(min=1))
    active = fields.Boolean()


class AgencyFilter(Schema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    region = fields.String(validate=validate.Regexp(r"^\d{2}(\d{2}){0,2}$"),
                           metadata={"description": "Region prefix (2, 4 or 6 digits)"})
    parent_id = fields.Integer()
    area = area_field()
    park = fields.String()


class RoutingStep(Schema):
    agency_id = fields.Integer()
    name = fields.String()
    level = fields.String()
    skipped = fields.Boolean()
    reason = fields.String()


class RoutingDecision(Schema):
    """The responsible agency for a region, park and service area, and why."""

    agency = fields.Nested(Agency)
    explanation = fields.List(fields.Nested(RoutingStep))


class RoutingQuery(Schema):
    region = fields.String(required=True, validate=check_region)
    area = area_field(required=True)
    park = fields.String(validate=validate.Length(min=2, max=100))


# -- the service guide (六公开) ------------------------------------------------

class GuideItem(Schema):
    """One service item (服务事项) with its content, process and standards."""

    service_area = area_field(required=True)
    title = fields.String(required=True, validate=validate.Length(min=2, max=200))
    content = fields.String(required=True, validate=validate.Length(min=2, max=5000))
    process = fields.List(fields.String(validate=validate.Length(min=1, max=500)), required=True,
                          validate=validate.Length(min=1, max=30))
    accept_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=30),
                                 metadata={"description": "Committed days to accept, working days"})
    resolve_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=365),
                                  metadata={"description": "Committed days to resolve, working days"})
    fee = fields.String(load_default="免费", validate=validate.Length(max=200))

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("accept_days", 0) > data.get("resolve_days", 365):
            raise ValidationError("accept_days may not exceed resolve_days", field_name="accept_days")


class GuideContact(Schema):
    address = fields.String(required=True, validate=validate.Length(min=2, max=300))
    phone = fields.String(required=True, validate=validate.Length(min=3, max=50))
    email = fields.Email()
    hours = fields.String(validate=validate.Length(max=100))


class GuideSupervision(Schema):
    """监督渠道: where to complain about the agency's service."""

    phone = fields.String(validate=validate.Length(min=3, max=50))
    email = fields.Email()
    url = fields.Url()

    @validates_schema
    def _some_channel(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one supervision channel")


class GuideContent(Schema):
    """服务指南 "六公开": items, content, process, standards, supervision, contact."""

    items = fields.List(fields.Nested(GuideItem), required=True, validate=validate.Length(min=1, max=50))
    supervision = fields.Nested(GuideSupervision, required=True)
    contact = fields.Nested(GuideContact, required=True)

    @validates_schema
    def _one_item_per_area(self, data, **kwargs):
        areas = [item["service_area"] for item in data.get("items", [])]
        repeated = sorted({area for area in areas if areas.count(area) > 1})
        if repeated:
            raise ValidationError(f"one item per service area; repeated: {', '.join(repeated)}",
                                  field_name="items")


_READ_GUIDE_ONLY = "in the guide as read (GET), not in the answer to publishing it"


class Guide(GuideContent):
    """The published guide, with what the agency's latest capacity record publishes beside the six
    publics (its service commitment and covenant, its quality certifications) and its honours."""

    agency_id = fields.Integer()
    agency_name = fields.String()
    version = fields.Integer()
    published_at = fields.DateTime()
    commitment = fields.String(metadata={"description": "服务承诺 (the latest capacity record's)",
                                         "x-optional": _READ_GUIDE_ONLY})
    covenant = fields.String(metadata={"description": "服务公约 (the latest capacity record's)",
                                       "x-optional": _READ_GUIDE_ONLY})
    certifications = fields.List(fields.Nested(lambda: CertificationHeld()), metadata={"x-optional": _READ_GUIDE_ONLY})
    honours = fields.List(fields.Nested(lambda: Honour()), metadata={"description": "选树优秀: approved honours",
                                                                     "x-optional": _READ_GUIDE_ONLY})


class GuideTimeLimits(Schema):
    accept_days = fields.Integer()
    resolve_days = fields.Integer()


class GuideItemTimeLimits(GuideTimeLimits):
    """The time limits (办理时限, working days) a guide commits to in one service area."""

    service_area = fields.String(required=True)


class GuidePublished(Schema):
    """Payload of ``guide.published``: an agency published a new version of its service guide,
    with the time limits it commits to per service area (what request deadlines are counted by)."""

    agency_id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    time_limits = fields.List(fields.Nested(GuideItemTimeLimits), required=True)


class AgencyOnRecord(AgencyAnnounced):
    """An agency in :class:`AgencySnapshot`, with the time of its last change."""

    updated_at = fields.DateTime(required=True)


class AgencySnapshot(Schema):
    """The whole hierarchy, every guide's time limits and every provider's memberships, as they are
    now: what a service that keeps a copy of them (the requests service) fills it from on its first
    start; the ``agency.*``, ``guide.published`` and ``provider.*`` events keep it current afterwards."""

    agencies = fields.List(fields.Nested(AgencyOnRecord), required=True)
    guides = fields.List(fields.Nested(GuidePublished), required=True)
    providers = fields.List(fields.Nested(lambda: ProviderOnRecord()), load_default=list)


# -- basic information library: policies ------------------------------------

class PolicyFields(Schema):
    """政策: a support policy with its eligibility in the network's Criteria shape."""

    title = fields.String(required=True, validate=validate.Length(min=4, max=300))
    issuer = fields.String(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"example": "工业和信息化部"})
    issuer_level = fields.String(required=True, validate=validate.OneOf(ISSUER_LEVELS))
    document_number = fields.String(validate=validate.Length(max=100), metadata={"example": "工信部企业〔2023〕213号"})
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(allow_none=True)
    region_code = region_field(description="Where the policy applies (its scope); 000000 nationwide")
    service_area = area_field(required=True)
    benefits = fields.String(required=True, validate=validate.Length(min=2, max=5000))
    full_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    criteria = fields.Dict(load_default=dict, metadata={"x-schema": "Criteria",
        "description": "Eligibility: a Criteria object of the enterprises service (region_prefixes, "
                       "industry_codes, size_classes, tiers, employees_min/max, revenue_min/max, "
                       "rd_ratio_min, registered_years_min, tags)"})

    @validates_schema(skip_on_field_errors=False)
    def _criteria(self, data, **kwargs):
        problems = criteria_errors(data["criteria"]) if "criteria" in data else {}
        if problems:
            raise ValidationError(problems)

    @validates_schema
    def _dates(self, data, **kwargs):
        if data.get("expires_on") and data.get("issued_on") and data["expires_on"] < data["issued_on"]:
            raise ValidationError("expires_on may not precede issued_on", field_name="expires_on")


class PolicyDraft(PolicyFields):
    agency_id = fields.Integer(required=True, strict=True,
                               metadata={"description": "The publishing agency; the scope must lie in its region"})


PolicyChanges = partial_of(PolicyFields, "PolicyChanges")


class Policy(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    title = fields.String()
    issuer = fields.String()
    issuer_level = fields.String()
    document_number = fields.String(allow_none=True)
    issued_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    region_code = fields.String()
    service_area = fields.String()
    benefits = fields.String()
    full_text = fields.String()
    criteria = fields.Dict(metadata={"x-schema": "Criteria",
                                     "description": "Eligibility in the enterprises service's Criteria shape"})
    state = fields.String(validate=validate.OneOf(POLICY_STATES))
    published_at = fields.DateTime(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PolicyWithdrawal(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class PolicyFilter(Schema):
    area = area_field()
    region = fields.String(validate=check_region,
                           metadata={"description": "Only policies that apply to this region"})
    state = fields.String(validate=validate.OneOf(POLICY_STATES[1:]), load_default="published")
    agency_id = fields.Integer()


class RegionPolicy(Schema):
    """One entry of ``policies_for_region``: a policy an enterprise there may claim."""

    id = fields.Integer()
    title = fields.String()
    criteria = fields.Dict()


class PolicyPublished(Schema):
    """Payload of ``policy.published``; ``criteria`` already narrowed to the policy's region."""

    policy_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    title = fields.String(required=True)
    document_number = fields.String(allow_none=True)
    service_area = fields.String(required=True)
    region_code = fields.String(required=True)
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(allow_none=True)
    benefits = fields.String(required=True)
    criteria = fields.Dict(required=True)


class PolicyClosed(Schema):
    """Payload of ``policy.withdrawn`` and ``policy.expired``."""

    policy_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    title = fields.String(required=True)
    region_code = fields.String(required=True)
    reason = fields.String(allow_none=True)


# -- basic information library: laws, experts, FAQs --------------------------

class LawFields(Schema):
    """法律法规: a law, regulation or normative document SMEs rely on."""

    title = fields.String(required=True, validate=validate.Length(min=4, max=300))
    category = fields.String(required=True, validate=validate.OneOf(LAW_CATEGORIES))
    issuer = fields.String(required=True, validate=validate.Length(min=2, max=200))
    document_number = fields.String(validate=validate.Length(max=100))
    issued_on = fields.Date(required=True)
    effective_on = fields.Date(allow_none=True)
    region_code = region_field()
    service_area = area_field(load_default="policy")
    full_text = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    url = fields.Url(allow_none=True)


class Law(LawFields):
    id = fields.Integer()
    updated_at = fields.DateTime()
    document_number = fields.String(allow_none=True, metadata={"example": "工信部企业〔2023〕213号"})


class ExpertFields(Schema):
    """专家: a named expert in the network's pool, with the areas they advise on."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    organization = fields.String(required=True, validate=validate.Length(min=2, max=200))
    position = fields.String(validate=validate.Length(max=100), metadata={"example": "研究员"})
    service_areas = fields.List(area_field(), required=True, validate=validate.Length(min=1))
    specialties = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                              load_default=list, validate=validate.Length(max=20))
    region_code = region_field(required=True, description="Where the expert is based")
    phone = fields.String(validate=validate.Length(min=3, max=50))
    email = fields.Email()
    available = fields.Boolean(load_default=True)
    bio = fields.String(load_default="", validate=validate.Length(max=5000))


class Expert(ExpertFields):
    id = fields.Integer()
    updated_at = fields.DateTime()
    position = fields.String(allow_none=True, metadata={"example": "研究员"})
    phone = fields.String(allow_none=True, metadata={"x-optional": "only for admins and agency staff"})
    email = fields.Email(allow_none=True, metadata={"x-optional": "only for admins and agency staff"})
    contact_route = fields.String(metadata={
        "description": "How to reach the expert, for callers that do not see phone and e-mail",
        "x-optional": "only for callers that do not see phone and e-mail"})


class ExpertFilter(Schema):
    area = area_field()
    region = fields.String(validate=check_region)
    available = fields.Boolean()


class FaqFields(Schema):
    """常见问题: a question SMEs ask and the network's answer."""

    question = fields.String(required=True, validate=validate.Length(min=4, max=500))
    answer = fields.String(required=True, validate=validate.Length(min=2, max=20_000))
    service_area = area_field(required=True)
    region_code = region_field()


class Faq(FaqFields):
    id = fields.Integer()
    updated_at = fields.DateTime()


class AreaRegionFilter(Schema):
    area = area_field()
    region = fields.String(validate=check_region,
                           metadata={"description": "Only entries that apply to this region"})


# -- quality service provider library (优质服务机构库) --------------------------

class StoredDate(fields.Date):
    """A date that may come back from a JSON document as an ISO string."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return super()._serialize(value, attr, obj, **kwargs)


class Qualification(Schema):
    """A qualification document (资质证明) of a provider."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    issuer = fields.String(required=True, validate=validate.Length(min=2, max=200))
    valid_until = StoredDate(allow_none=True)


class ProviderContact(Schema):
    person = fields.String(validate=validate.Length(max=100))
    phone = fields.String(validate=validate.Length(min=3, max=50))
    email = fields.Email()
    address = fields.String(validate=validate.Length(max=300))


class ProviderFields(Schema):
    """A market service provider (市场化服务机构) known to the network."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    uscc = CreditCode(required=True)
    region_code = fields.String(required=True, validate=check_region)
    established_on = fields.Date(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    contact = fields.Nested(ProviderContact, load_default=dict)
    qualifications = fields.List(fields.Nested(Qualification), load_default=list,
                                 validate=validate.Length(max=50))
    served_enterprises = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=10_000_000),
                                        metadata={"description": "Service record: SMEs served in the last three years"})

    @validates("established_on")
    def _not_future(self, value, **kwargs):
        if value > date.today():
            raise ValidationError("established_on may not be in the future")


ProviderChanges = partial_of(ProviderFields, "ProviderChanges")


class ProviderMembership(Schema):
    service_area = fields.String()
    state = fields.String(validate=validate.OneOf(MEMBERSHIP_STATES))
    since = fields.DateTime()
    latest_score = fields.Float(allow_none=True)


class ProviderDecisionRecord(Schema):
    service_area = fields.String()
    action = fields.String()
    reason = fields.String()
    actor = fields.String()
    at = fields.DateTime()


class ProviderEvaluation(Schema):
    """One period's evaluation (评估) of a provider in one service area."""

    provider_id = fields.Integer()
    service_area = fields.String()
    period = fields.String()
    capability = fields.Float()
    management = fields.Float()
    service_quality = fields.Float()
    satisfaction = fields.Float(allow_none=True, metadata={"description": "From enterprises' ratings; null when none"})
    ratings = fields.Integer()
    score = fields.Float()
    below_threshold = fields.Boolean()
    exited = fields.Boolean()
    evaluated_at = fields.DateTime()


_READ_BY_ID = "in a provider read by its id, not in lists"


class Provider(ProviderFields):
    id = fields.Integer()
    contact = fields.Nested(ProviderContact, metadata={"x-optional": "only for the provider itself and admins of its region"})
    memberships = fields.List(fields.Nested(ProviderMembership), metadata={"x-optional": _READ_BY_ID})
    decisions = fields.List(fields.Nested(ProviderDecisionRecord), metadata={
        "x-optional": "only for the provider itself and admins of its region"})
    evaluations = fields.List(fields.Nested(ProviderEvaluation), metadata={"x-optional": _READ_BY_ID})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProviderApplication(Schema):
    service_area = area_field(required=True)


class ProviderDecision(Schema):
    """An admin's decision on a provider in one area: admit, reject or exit, with the reason."""

    service_area = area_field(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("admit", "reject", "exit")))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


PERIOD_PATTERN = r"^\d{4}-Q[1-4]$"


class EvaluationInput(Schema):
    """An evaluator's scores (0–100) for one provider, area and quarter (e.g. 2026-Q2)."""

    service_area = area_field(required=True)
    period = fields.String(required=True,
                           validate=validate.Regexp(PERIOD_PATTERN, error="period must look like 2026-Q2"))
    capability = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    management = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    service_quality = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class ProviderFilter(Schema):
    area = area_field()
    region = fields.String(validate=check_region)
    state = fields.String(validate=validate.OneOf(MEMBERSHIP_STATES), load_default="admitted",
                          metadata={"description": "Membership state in some area (in ``area`` when given)"})
    uscc = CreditCode(metadata={"description": "Find one provider by its USCC, any state"})


class ProviderAnnounced(Schema):
    """Payload of ``provider.registered`` and ``provider.updated``: who the provider is and where."""

    provider_id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    region_code = fields.String(required=True)


class ProviderAreaOnRecord(Schema):
    """A provider's membership in one service area in :class:`AgencySnapshot`, with its time."""

    service_area = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(MEMBERSHIP_STATES))
    since = fields.DateTime(required=True)


class ProviderOnRecord(ProviderAnnounced):
    """A provider in :class:`AgencySnapshot`, with the time of its last change and its memberships."""

    updated_at = fields.DateTime(required=True)
    memberships = fields.List(fields.Nested(ProviderAreaOnRecord), required=True)


class ProviderAdmitted(Schema):
    """Payload of ``provider.admitted``."""

    provider_id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    service_area = fields.String(required=True)
    readmission = fields.Boolean(required=True)
    reason = fields.String(required=True)


class ProviderExited(Schema):
    """Payload of ``provider.exited``."""

    provider_id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    service_area = fields.String(required=True)
    automatic = fields.Boolean(required=True)
    reason = fields.String(required=True)


class ProviderEvaluated(Schema):
    """Payload of ``provider.evaluated``: one quarter's evaluation in one service area."""

    provider_id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    service_area = fields.String(required=True)
    period = fields.String(required=True)
    score = fields.Float(required=True)
    threshold = fields.Float(required=True)
    below_threshold = fields.Boolean(required=True)
    exited = fields.Boolean(required=True)
    capability = fields.Float()
    management = fields.Float()
    service_quality = fields.Float()
    satisfaction = fields.Float(allow_none=True)
    ratings = fields.Integer()


# -- service products and cases (服务产品和案例库) ------------------------------

class Classification(Schema):
    """Who a product or case is for: industries, size classes and tiers (empty = any)."""

    service_area = area_field(required=True)
    industry_codes = fields.List(fields.String(validate=check_industry), load_default=list,
                                 metadata={"example": ["C39", "I"]})
    size_classes = fields.List(fields.String(validate=validate.OneOf(SIZE_CLASSES)), load_default=list)
    tiers = fields.List(fields.String(validate=validate.OneOf(TIERS)), load_default=list)
    region_code = region_field()
    provider_id = fields.Integer(strict=True, allow_none=True)
    agency_id = fields.Integer(strict=True, allow_none=True)


class ProductFields(Classification):
    """服务产品: a standardised service an agency or provider offers."""

    title = fields.String(required=True, validate=validate.Length(min=4, max=300))
    summary = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    description = fields.String(load_default="", validate=validate.Length(max=20_000))
    fee = fields.String(load_default="免费", validate=validate.Length(max=200))


class Product(ProductFields):
    id = fields.Integer()
    updated_at = fields.DateTime()


class CaseFields(Classification):
    """服务案例: a worked case — what was done for an SME, and the outcome."""

    title = fields.String(required=True, validate=validate.Length(min=4, max=300))
    summary = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    body = fields.String(load_default="", validate=validate.Length(max=MAX_TEXT))
    outcome = fields.String(load_default="", validate=validate.Length(max=2000))
    product_id = fields.Integer(strict=True, allow_none=True)


class Case(CaseFields):
    id = fields.Integer()
    updated_at = fields.DateTime()


@dataclass(frozen=True)
class LibraryKind:
    """A kind of library entry and its contracts: to add one, to change one, one as read."""

    name: str
    fields: type
    changes: type
    view: type


# The entries kept the same way: laws and regulations (法律法规), experts (专家), FAQs
# (常见问题), service products (服务产品) and cases (服务案例).
LIBRARY_KINDS = {
    "law": LibraryKind("law", LawFields, partial_of(LawFields, "LawChanges"), Law),
    "expert": LibraryKind("expert", ExpertFields, partial_of(ExpertFields, "ExpertChanges"), Expert),
    "faq": LibraryKind("faq", FaqFields, partial_of(FaqFields, "FaqChanges"), Faq),
    "product": LibraryKind("product", ProductFields, partial_of(ProductFields, "ProductChanges"), Product),
    "case": LibraryKind("case", CaseFields, partial_of(CaseFields, "CaseChanges"), Case),
}


class CatalogueFilter(Schema):
    area = area_field()
    industry = fields.String(validate=check_industry, metadata={"description": "Section or division, e.g. C or C39"})
    size_class = fields.String(validate=validate.OneOf(SIZE_CLASSES))
    tier = fields.String(validate=validate.OneOf(TIERS))
    region = fields.String(validate=check_region)
    provider_id = fields.Integer()


# -- search -----------------------------------------------------------------

class SearchFilter(Schema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=100),
                      metadata={"description": "Words to find (Chinese or not); every word must occur",
                                "example": "专精特新"})
    kind = fields.String(validate=validate.OneOf(SEARCH_KINDS))
    area = area_field()

    @validates("q")
    def _meaningful(self, value, **kwargs):
        if len(value.strip()) < 2:
            raise ValidationError("give at least two characters to search for")


class SearchHit(Schema):
    kind = fields.String(validate=validate.OneOf(SEARCH_KINDS))
    id = fields.Integer()
    title = fields.String()
    snippet = fields.String()
    service_area = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)


# -- capacity of each agency (夯实基层基础) ------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_STAFF = 100_000
MAX_FUNDING_WAN_YUAN = 10_000_000  # 1,000 亿元 a year is far beyond any agency
FUNDING_SOURCES = {
    "fiscal": "财政资金",
    "special_fund": "专项资金",
    "purchased_services": "政府购买服务",
    "other": "其他",
}


def year_field(strict=True, **kwargs):
    """A year (2000–2100); in a query string (``strict=False``) its digits."""
    return fields.Integer(strict=strict, validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR),
                          metadata={"example": 2026}, **kwargs)


def province_of_region(region_code):
    """The two-digit province a region code lies in (``00`` for 000000, the national agency's)."""
    return str(region_code)[:2]


class StaffQualification(Schema):
    """A professional qualification and how many of the agency's service staff hold it."""

    qualification = fields.String(required=True, validate=validate.Length(min=2, max=100),
                                  metadata={"example": "中级经济师"})
    holders = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_STAFF))


class Funding(Schema):
    """The year's funding by source, in 万元."""

    fiscal = fields.Decimal(as_string=False, places=2, load_default=0,
                            validate=validate.Range(min=0, max=MAX_FUNDING_WAN_YUAN),
                            metadata={"description": "财政资金, 万元"})
    special_fund = fields.Decimal(as_string=False, places=2, load_default=0,
                                  validate=validate.Range(min=0, max=MAX_FUNDING_WAN_YUAN),
                                  metadata={"description": "专项资金, 万元"})
    purchased_services = fields.Decimal(as_string=False, places=2, load_default=0,
                                        validate=validate.Range(min=0, max=MAX_FUNDING_WAN_YUAN),
                                        metadata={"description": "政府购买服务, 万元"})
    other = fields.Decimal(as_string=False, places=2, load_default=0,
                           validate=validate.Range(min=0, max=MAX_FUNDING_WAN_YUAN),
                           metadata={"description": "其他, 万元"})


class Premises(Schema):
    """The service hall (服务大厅)."""

    hall_area_m2 = fields.Decimal(as_string=False, places=1, allow_none=True,
                                  validate=validate.Range(min=1, max=1_000_000),
                                  metadata={"description": "Service hall area, m²"})
    address = fields.String(allow_none=True, validate=validate.Length(min=2, max=300))


class ItBuildOut(Schema):
    """信息化建设: whether the agency is connected to the network and how much it serves online."""

    network_connected = fields.Boolean(required=True)
    online_service_pct = fields.Decimal(as_string=False, places=2, allow_none=True,
                                        validate=validate.Range(min=0, max=100),
                                        metadata={"description": "Share of services offered online, %"})


class Certification(Schema):
    """A quality certification the agency holds (ISO 9001, a service-standard certification)."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=200),
                         metadata={"example": "ISO 9001 质量管理体系认证"})
    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    issuer = fields.String(required=True, validate=validate.Length(min=2, max=200))
    expires_on = StoredDate(required=True)


class CapacityRecordFields(Schema):
    """One agency's capacity for a year: staff, funding, premises, IT, certifications, and the
    service commitment and covenant it publishes (服务承诺、服务公约)."""

    year = year_field(required=True)
    full_time_staff = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_STAFF))
    part_time_staff = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_STAFF))
    qualifications = fields.List(fields.Nested(StaffQualification), load_default=list,
                                 validate=validate.Length(max=50))
    funding = fields.Nested(Funding, required=True)
    premises = fields.Nested(Premises, load_default=dict)
    it = fields.Nested(ItBuildOut, required=True)
    certifications = fields.List(fields.Nested(Certification), load_default=list,
                                 validate=validate.Length(max=50))
    commitment = fields.String(load_default="", validate=validate.Length(max=5000),
                               metadata={"description": "服务承诺, shown in the agency's guide"})
    covenant = fields.String(load_default="", validate=validate.Length(max=5000),
                             metadata={"description": "服务公约, shown in the agency's guide"})

    @validates_schema
    def _holders_are_staff(self, data, **kwargs):
        staff = data.get("full_time_staff", 0) + data.get("part_time_staff", 0)
        over = [item["qualification"] for item in data.get("qualifications", []) if item["holders"] > staff]
        if over:
            raise ValidationError(f"more holders than service staff ({staff}): {', '.join(over)}",
                                  field_name="qualifications")
        names = [item["qualification"] for item in data.get("qualifications", [])]
        if len(set(names)) != len(names):
            raise ValidationError("each qualification once", field_name="qualifications")


class CertificationHeld(Certification):
    expired = fields.Boolean(metadata={"description": "Past its expiry date today"})


class CapacityRecord(Schema):
    """One version of an agency's capacity record for a year."""

    agency_id = fields.Integer()
    region_code = fields.String()
    year = fields.Integer()
    version = fields.Integer()
    full_time_staff = fields.Integer()
    part_time_staff = fields.Integer()
    qualifications = fields.List(fields.Nested(StaffQualification))
    funding = fields.Dict(keys=fields.String(), values=fields.Float(),
                          metadata={"description": "万元 by source: fiscal, special_fund, purchased_services, other"})
    funding_total = fields.Float(metadata={"description": "万元"})
    premises = fields.Dict()
    it = fields.Dict()
    certifications = fields.List(fields.Nested(CertificationHeld))
    commitment = fields.String()
    covenant = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    year_closed = fields.Boolean(metadata={"description": "The province has closed the year: read-only"})


class CapacityVersions(Schema):
    items = fields.List(fields.Nested(CapacityRecord))


class CapacityYearQuery(Schema):
    year = year_field(strict=False, required=True)


class CapacityYearClosing(Schema):
    """Close a province's year: its agencies' capacity records for it are frozen."""

    province = fields.String(required=True, validate=check_province_or_nation,
                             metadata={"description": "The province's code (330000), or 000000 for the "
                                                      "national agency's own record", "example": "330000"})
    year = year_field(required=True)


class CapacityYearClosed(Schema):
    province = fields.String()
    year = fields.Integer()
    closed_by = fields.String()
    closed_at = fields.DateTime()


class CoverageQuery(Schema):
    region = fields.String(required=True, validate=check_region,
                           metadata={"description": "A province, city or county (000000: the country)",
                                     "example": "640000"})
    year = year_field(strict=False, required=True)


class RegionCoverage(Schema):
    """What a region has: county-level divisions with an agency, parks with a station, SMEs,
    staff and funding (capacity records of the year), and the ratios."""

    region = fields.String()
    name = fields.String(allow_none=True)
    level = fields.String()
    counties = fields.Integer(metadata={"description": "County-level divisions in use today"})
    counties_with_agency = fields.Integer()
    county_coverage_pct = fields.Float(allow_none=True)
    parks = fields.Integer(metadata={"description": "Parks and clusters named by SMEs or stations"})
    parks_with_station = fields.Integer()
    park_coverage_pct = fields.Float(allow_none=True)
    smes = fields.Integer(metadata={"description": "Medium, small and micro enterprises on record"})
    full_time_staff = fields.Integer()
    part_time_staff = fields.Integer()
    staff = fields.Integer()
    staff_per_1000_smes = fields.Float(allow_none=True)
    funding_wan_yuan = fields.Float()
    funding_per_sme_yuan = fields.Float(allow_none=True)
    training_hours = fields.Float()
    training_hours_per_staff = fields.Float(allow_none=True)


class ParkWithoutStation(Schema):
    region_code = fields.String()
    park = fields.String()


class Coverage(RegionCoverage):
    """Coverage indicators (覆盖情况) of a region for a year, with its child regions."""

    year = fields.Integer()
    as_of = fields.DateTime()
    counties_without_agency = fields.List(fields.String())
    parks_without_station = fields.List(fields.Nested(ParkWithoutStation))
    children = fields.List(fields.Nested(RegionCoverage))


# -- staff (队伍建设) ---------------------------------------------------------------

STAFF_POSTS_MAX = 100
SECONDMENT_KINDS = ("park", "enterprise")


class StaffMemberFields(Schema):
    """One member of an agency's service staff, known by the subject of their token."""

    subject = fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "The ``sub`` claim of the member's token"})
    name = fields.String(required=True, validate=validate.Length(min=2, max=100))
    post = fields.String(required=True, validate=validate.Length(min=2, max=STAFF_POSTS_MAX),
                         metadata={"example": "服务专员"})
    qualifications = fields.List(fields.String(validate=validate.Length(min=2, max=100)), load_default=list,
                                 validate=validate.Length(max=20))
    active = fields.Boolean(load_default=True)


StaffMemberChanges = partial_of(StaffMemberFields, "StaffMemberChanges")


class TrainingFields(Schema):
    """A training a staff member took (培训): course, hours, date, provider."""

    course = fields.String(required=True, validate=validate.Length(min=2, max=200))
    hours = fields.Decimal(as_string=False, places=1, required=True, validate=validate.Range(min=0.5, max=1000))
    held_on = fields.Date(required=True)
    provider = fields.String(required=True, validate=validate.Length(min=2, max=200))

    @validates("held_on")
    def _not_ahead(self, value, **kwargs):
        if value > date.today():
            raise ValidationError("a training is recorded once held, not before")


class Training(Schema):
    id = fields.Integer()
    course = fields.String()
    hours = fields.Float()
    held_on = fields.Date()
    provider = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class SecondmentFields(Schema):
    """A secondment (派驻) of a staff member to a park or an enterprise, from and to."""

    kind = fields.String(required=True, validate=validate.OneOf(SECONDMENT_KINDS))
    place = fields.String(required=True, validate=validate.Length(min=2, max=200),
                          metadata={"description": "The park's or the enterprise's name"})
    uscc = CreditCode(metadata={"description": "The enterprise's USCC (kind enterprise)"})
    region_code = fields.String(required=True, validate=check_region)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("may not precede starts_on", field_name="ends_on")
        if data.get("kind") == "enterprise" and not data.get("uscc"):
            raise ValidationError("an enterprise secondment names the enterprise's USCC", field_name="uscc")
        if data.get("kind") == "park" and data.get("uscc"):
            raise ValidationError("only an enterprise secondment has a USCC", field_name="uscc")


class Secondment(Schema):
    id = fields.Integer()
    kind = fields.String()
    place = fields.String()
    uscc = fields.String(allow_none=True)
    region_code = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


_NOT_BESIDE_FIGURES = "not in the staff member shown beside performance figures"


class StaffMember(Schema):
    id = fields.Integer()
    agency_id = fields.Integer()
    agency_region_code = fields.String(metadata={"description": "The agency's region (for scope checks)",
                                                 "x-optional": _NOT_BESIDE_FIGURES})
    subject = fields.String()
    name = fields.String()
    post = fields.String()
    qualifications = fields.List(fields.String())
    active = fields.Boolean()
    training_hours = fields.Float(metadata={"description": "Hours of every training recorded",
                                            "x-optional": _NOT_BESIDE_FIGURES})
    trainings = fields.List(fields.Nested(Training), metadata={"x-optional": _NOT_BESIDE_FIGURES})
    secondments = fields.List(fields.Nested(Secondment), metadata={"x-optional": _NOT_BESIDE_FIGURES})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StaffFilter(Schema):
    subject = fields.String(validate=validate.Length(min=1, max=200))
    active = fields.Boolean()


# -- scoring (考核评价) ------------------------------------------------------------

# The fixed catalogue a scoring model chooses its indicators from: key -> (group, unit, meaning).
# Each is computed per region from stored facts as they stood at a run's cut-off.
SCORING_INDICATORS = {
    "county_coverage": ("coverage", "%", "县级机构覆盖率: county-level divisions with an active agency"),
    "park_coverage": ("coverage", "%", "园区站点覆盖率: parks and clusters with an active service station"),
    "staff_per_1000_smes": ("capacity", "staff per 1,000 SMEs",
                            "服务人员配备: full- and part-time service staff of the year's capacity records "
                            "per 1,000 SMEs"),
    "funding_per_sme": ("capacity", "yuan per SME", "经费保障: the year's funding from every source per SME"),
    "accepted_on_time": ("timeliness", "%", "按时受理率: the year's requests accepted without missing a deadline"),
    "resolved_on_time": ("timeliness", "%", "按时办结率: the year's requests resolved without missing a deadline"),
    "satisfaction": ("satisfaction", "score 1-5", "满意度: mean rating of the year's requests"),
    "training_hours_per_staff": ("training", "hours per staff member",
                                 "培训学时: hours of training held in the year per service staff member"),
    "activities_held": ("activities", "occurrences",
                        "服务活动: occurrences of service activities held in the year at the region's agencies"),
    "activity_participation": ("activities", "attendances per 100 SMEs",
                               "活动参与: check-ins at the year's activities per 100 SMEs"),
    "policy_reach": ("policies", "enterprises per 100 SMEs",
                     "政策直享覆盖: enterprises told of at least one matching policy in the year per 100 SMEs"),
    "policy_read": ("policies", "%", "政策知晓率: the year's policy notices read by their enterprises"),
}
INDICATORS = tuple(SCORING_INDICATORS)
# Whom a model scores: the national model ranks provinces, a province's model its counties.
UNIT_LEVEL = {"national": "province", "province": "county"}
NOMINATION_KINDS = ("agency", "staff")
NOMINATION_STATES = ("nominated", "approved", "rejected")


class IndicatorChoice(Schema):
    """One indicator of a model: its weight (%, all weights summing to 100) and target value
    (the value that earns the indicator's whole weight)."""

    indicator = fields.String(required=True, validate=validate.OneOf(
        INDICATORS, error="{input} is not in the catalogue ({choices})"))
    weight = fields.Decimal(as_string=False, places=2, required=True,
                            validate=validate.Range(min=0, min_inclusive=False, max=100))
    target = fields.Decimal(as_string=False, places=2, required=True,
                            validate=validate.Range(min=0, min_inclusive=False, max=1_000_000))


class ScoringModelFields(Schema):
    """A scoring model: which catalogue indicators count, with what weight and target."""

    scope = fields.String(required=True, validate=check_province_or_nation, metadata={
        "description": "A province's code for its model of its counties, 000000 for the national "
                       "model of provinces", "example": "330000"})
    year = year_field(required=True)
    indicators = fields.List(fields.Nested(IndicatorChoice), required=True,
                             validate=validate.Length(min=1, max=len(INDICATORS)))

    @validates_schema
    def _weights(self, data, **kwargs):
        chosen = data.get("indicators") or []
        names = [item["indicator"] for item in chosen]
        if len(set(names)) != len(names):
            raise ValidationError("each indicator once", field_name="indicators")
        total = sum(item["weight"] for item in chosen)
        if chosen and total != 100:
            raise ValidationError(f"the weights sum to {total.normalize():f}%, not 100%", field_name="indicators")


class ScoringModel(Schema):
    id = fields.Integer()
    scope = fields.String()
    year = fields.Integer()
    version = fields.Integer(metadata={"description": "1 for the first model of the scope and year, then +1 per change"})
    level = fields.String(validate=validate.OneOf(tuple(UNIT_LEVEL.values())),
                          metadata={"description": "The regions it scores"})
    indicators = fields.List(fields.Nested(IndicatorChoice))
    created_by = fields.String()
    created_at = fields.DateTime()


class ScoringModelQuery(Schema):
    scope = fields.String(required=True, validate=check_region)
    year = year_field(strict=False, required=True)


class ScoringModels(Schema):
    items = fields.List(fields.Nested(ScoringModel))


class CatalogueIndicator(Schema):
    indicator = fields.String()
    group = fields.String()
    unit = fields.String()
    meaning = fields.String()


class IndicatorCatalogue(Schema):
    items = fields.List(fields.Nested(CatalogueIndicator))


class ScoringRunRequest(Schema):
    """Run a model over the facts as they stood at ``facts_cutoff`` (default: now)."""

    model_id = fields.Integer(required=True, strict=True)
    facts_cutoff = fields.AwareDateTime(metadata={"description": "Not in the future"})


class IndicatorScore(Schema):
    indicator = fields.String()
    value = fields.Float(allow_none=True, metadata={"description": "null: no basis (no SMEs, no requests…)"})
    target = fields.Float()
    weight = fields.Float()
    attainment = fields.Float(allow_none=True, metadata={"description": "min(100, 100 × value / target)"})


class RegionScore(Schema):
    rank = fields.Integer(allow_none=True)
    region_code = fields.String()
    region_name = fields.String(allow_none=True)
    score = fields.Float(allow_none=True, metadata={
        "description": "Σ weight × attainment / Σ weight over the indicators with a value"})
    indicators = fields.List(fields.Nested(IndicatorScore))
    facts = fields.Dict(metadata={"description": "The counts each value was computed from"})


class ScoringRunSummary(Schema):
    id = fields.Integer()
    model_id = fields.Integer()
    model_version = fields.Integer()
    scope = fields.String()
    year = fields.Integer()
    level = fields.String()
    facts_cutoff = fields.DateTime()
    created_by = fields.String()
    created_at = fields.DateTime()


class ScoringRun(ScoringRunSummary):
    results = fields.List(fields.Nested(RegionScore))


class ScoringRunQuery(Schema):
    scope = fields.String(required=True, validate=check_region)
    year = year_field(strict=False)


class ScoringRecomputation(Schema):
    """A run computed again from the facts as they stood at its cut-off, with its model version."""

    run_id = fields.Integer()
    identical = fields.Boolean(metadata={"description": "Every rank, score and value as stored"})
    differences = fields.List(fields.String())
    results = fields.List(fields.Nested(RegionScore))


# -- 选树优秀 ---------------------------------------------------------------------

class NominationFields(Schema):
    """Nominate an outstanding agency, or a member of its staff, from a run."""

    kind = fields.String(required=True, validate=validate.OneOf(NOMINATION_KINDS))
    agency_id = fields.Integer(required=True, strict=True)
    staff_id = fields.Integer(strict=True, metadata={"description": "The staff member (kind staff)"})
    title = fields.String(required=True, validate=validate.Length(min=2, max=100),
                          metadata={"example": "优秀服务机构"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))

    @validates_schema
    def _staff(self, data, **kwargs):
        if (data.get("kind") == "staff") != (data.get("staff_id") is not None):
            raise ValidationError("a staff nomination names staff_id, an agency nomination does not",
                                  field_name="staff_id")


class NominationReview(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class Nomination(Schema):
    id = fields.Integer()
    run_id = fields.Integer()
    scope = fields.String()
    year = fields.Integer()
    kind = fields.String()
    agency_id = fields.Integer()
    agency_name = fields.String()
    region_code = fields.String()
    staff_id = fields.Integer(allow_none=True)
    staff_name = fields.String(allow_none=True)
    title = fields.String()
    reason = fields.String()
    state = fields.String(validate=validate.OneOf(NOMINATION_STATES))
    nominated_by = fields.String()
    nominated_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class Honour(Schema):
    """An approved honour, shown on the agency's public page."""

    title = fields.String()
    kind = fields.String()
    staff_name = fields.String(allow_none=True)
    year = fields.Integer()
    scope = fields.String(metadata={"description": "Who awarded it: a province's code, or 000000"})
    awarded_on = fields.Date()


class Honours(Schema):
    items = fields.List(fields.Nested(Honour))


# -- events -----------------------------------------------------------------------

class CapacityRecorded(Schema):
    """Payload of ``capacity.recorded``: a new version of an agency's record for a year."""

    agency_id = fields.Integer(required=True)
    region_code = fields.String(required=True)
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    full_time_staff = fields.Integer(required=True)
    part_time_staff = fields.Integer(required=True)
    funding_total = fields.Float(required=True)


class CapacityYearClosedEvent(Schema):
    """Payload of ``capacity.year_closed``."""

    province = fields.String(required=True)
    year = fields.Integer(required=True)


class RunScore(Schema):
    region_code = fields.String(required=True)
    rank = fields.Integer(allow_none=True)
    score = fields.Float(allow_none=True)


class ScoringRunCompleted(Schema):
    """Payload of ``scoring.run_completed``."""

    run_id = fields.Integer(required=True)
    scope = fields.String(required=True)
    year = fields.Integer(required=True)
    level = fields.String(required=True)
    model_id = fields.Integer(required=True)
    model_version = fields.Integer(required=True)
    facts_cutoff = fields.String(required=True)
    results = fields.List(fields.Nested(RunScore), required=True)


class HonourAwarded(Schema):
    """Payload of ``honour.awarded``: a nomination approved."""

    nomination_id = fields.Integer(required=True)
    run_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    agency_id = fields.Integer(required=True)
    staff_id = fields.Integer(allow_none=True)
    title = fields.String(required=True)
    scope = fields.String(required=True)
    year = fields.Integer(required=True)


# -- what provinces publish (onenet.provinces.in) ---------------------------------------

PROVINCIAL_LEVELS = ("province", "city", "county", "station")


class ProvincialAgencyV1(Schema):
    """``agency.upserted`` version 1: an agency or park station the province runs.

    A province, city or county agency is the one of its region (the national
    skeleton has one per division: the first upsert takes it over under the
    province's reference and sets its name, areas and state); a station is
    created under its county's agency. The region must lie in the province.
    """

    source_version = source_version()
    agency_ref = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "The province's own reference of the agency"})
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    level = fields.String(required=True, validate=validate.OneOf(PROVINCIAL_LEVELS))
    region_code = fields.String(required=True, validate=check_region, metadata={
        "description": "The agency's province, city or county code; a station's county"})
    park = fields.String(validate=validate.Length(min=2, max=100), metadata={"description": "A station's park"})
    service_areas = fields.List(area_field(), validate=validate.Length(min=1))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _station_park(self, data, **kwargs):
        if (data.get("level") == "station") != bool(data.get("park")):
            raise ValidationError("a station names its park, and only a station", field_name="park")


class ProvincialPolicyPublishedV1(PolicyFields):
    """``policy.published`` version 1: a provincial policy collected into the national library (惠企政策汇集).

    Published at once under the agency of its scope's region, and pushed to the
    SMEs it applies to like any other policy. A newer version of a published
    policy withdraws it and publishes its replacement. The scope (``region_code``)
    must lie in the province.
    """

    source_version = source_version()
    policy_ref = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={
        "description": "The province's own reference of the policy"})

    def on_bind_field(self, field_name, field_obj):
        if field_name == "region_code":
            field_obj.required, field_obj.load_default = True, missing


class ProvincialPolicyWithdrawnV1(Schema):
    """``policy.withdrawn`` version 1: the province withdraws a policy it published."""

    source_version = source_version()
    policy_ref = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


AGENCY_UPSERTED = ProvincialEventType(
    type="agency.upserted", owner="agencies", schemas={1: ProvincialAgencyV1},
    summary="An agency or park station the province runs: takes over its region's agency, or adds a station",
    example={"source_version": 3, "agency_ref": "GD-AG-440106", "name": "广州市天河区中小企业服务中心",
             "level": "county", "region_code": "440106", "service_areas": ["policy", "finance_talent", "rights"],
             "active": True})
POLICY_PUBLISHED = ProvincialEventType(
    type="policy.published", owner="agencies", schemas={1: ProvincialPolicyPublishedV1},
    summary="A provincial policy collected into the national library and pushed to the SMEs it applies to",
    example={"source_version": 1, "policy_ref": "GD-POL-2026-017", "title": "广东省专精特新中小企业贷款贴息",
             "issuer": "广东省工业和信息化厅", "issuer_level": "province", "document_number": "粤工信〔2026〕17号",
             "issued_on": "2026-03-01", "expires_on": "2027-12-31", "region_code": "440000",
             "service_area": "finance_talent", "benefits": "按贷款市场报价利率的50%给予贴息，每家每年最高100万元。",
             "full_text": "", "criteria": {"tiers": ["specialized_sme"], "size_classes": ["small", "micro"]}})
POLICY_WITHDRAWN = ProvincialEventType(
    type="policy.withdrawn", owner="agencies", schemas={1: ProvincialPolicyWithdrawnV1},
    summary="The province withdraws a policy it published",
    example={"source_version": 2, "policy_ref": "GD-POL-2026-017", "reason": "政策调整，由新文件替代"})
PROVINCIAL_EVENTS = (AGENCY_UPSERTED, POLICY_PUBLISHED, POLICY_WITHDRAWN)

# What the agencies service publishes on onenet.events: type → payload schema (its outbox checks each event).
EVENTS = {
    "agency.created": AgencyAnnounced,
    "agency.updated": AgencyAnnounced,
    "policy.published": PolicyPublished,
    "policy.withdrawn": PolicyClosed,
    "policy.expired": PolicyClosed,
    "provider.registered": ProviderAnnounced,
    "provider.updated": ProviderAnnounced,
    "provider.admitted": ProviderAdmitted,
    "provider.exited": ProviderExited,
    "provider.evaluated": ProviderEvaluated,
    "capacity.recorded": CapacityRecorded,
    "capacity.year_closed": CapacityYearClosedEvent,
    "scoring.run_completed": ScoringRunCompleted,
    "honour.awarded": HonourAwarded,
    "guide.published": GuidePublished,
}
