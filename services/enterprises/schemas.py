"""The enterprises service's contracts: RPC payloads and event payloads.

The gateway validates HTTP bodies with these same schemas, so a front-end sees
the same field names and rules the service enforces. Amounts (revenue, total
assets, R&D spend) are in 万元.
"""
from marshmallow import (Schema, ValidationError, fields, post_load, validate, validates,
                         validates_schema)
from chassis.contracts import Changes
from chassis.provinces import ProvincialEventType
from reference import industries, regions
from reference.validators import check_county, check_industry, check_region_prefix  # noqa: F401
from reference import size_rules
from reference.china_time import today
from reference.credit_codes import CreditCode

# Figures above these are taken for typing mistakes, not for firms.
MAX_EMPLOYEES = 10_000_000
MAX_AMOUNT_WAN_YUAN = 1_000_000_000  # 10 trillion yuan
MAX_IP_ITEMS = 1_000_000
FIRST_FIGURES_YEAR = 1949
MAX_LIST = 500

SIZE_CLASSES = size_rules.SIZE_CLASSES
TIERS = ("tech_sme", "innovative_sme", "specialized_sme", "little_giant")
TIER_NAMES = {"tech_sme": "科技型中小企业", "innovative_sme": "创新型中小企业",
              "specialized_sme": "专精特新中小企业", "little_giant": "专精特新\"小巨人\"企业"}
ISSUING_LEVELS = ("national", "province", "city")
# Who awards each tier, and the level its certificates then carry (the issuing
# authority decides): 小巨人 by the MIIT; 专精特新 and 创新型 by the provincial
# SME departments (or the MIIT); 科技型 by the provincial science departments.
TIER_AWARDERS = {
    "little_giant": {"national_admin": "national"},
    "specialized_sme": {"national_admin": "national", "province_admin": "province"},
    "innovative_sme": {"national_admin": "national", "province_admin": "province"},
    "tech_sme": {"province_admin": "province"},
}
# Who may change figures of a year before the last completed one (history), besides nobody:
# the administrators of the enterprise's region (the gateway confines them to it).
# Whose tier decisions are national (the MIIT's): they reach the enterprise's province.
NATIONAL_DECIDER = "national_admin"
HISTORY_EDITORS = frozenset({"national_admin", "province_admin", "city_admin", "county_admin"})
LEGAL_FORMS = {
    "limited_liability": "有限责任公司",
    "joint_stock": "股份有限公司",
    "sole_proprietorship": "个人独资企业",
    "partnership": "合伙企业",
    "individual_business": "个体工商户",
    "cooperative": "农民专业合作社",
    "other": "其他",
}
FIGURE_FIELDS = ("employees", "revenue", "total_assets", "rd_expense", "ip_class1_count")
REGISTRATION_REQUIRED = ("name", "region_code", "industry_code", "employees", "revenue")
SORTS = ("name", "-name", "uscc", "registered_on", "-registered_on", "employees", "-employees",
         "revenue", "-revenue", "created_at", "-created_at")


def check_profile_industry(value):
    """A GB/T 4754-2017 code precise enough to pick the size rule (division, or group for G59/K70)."""
    try:
        size_rules.rule_for(value)
    except size_rules.NotClassified:
        pass  # a valid code that gets no size class (J 金融业)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class Code(fields.String):
    """A code written in upper case whatever case it was sent in."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class RegionPrefix(fields.String):
    """A region prefix; a full code of a province or city (``320000``) reads as its prefix (``32``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        check_region_prefix(text)
        return regions.prefix(text.ljust(6, "0")) if len(text) == 6 else text


class Tag(fields.String):
    """A free label (标签), 1–50 characters, surrounding blanks removed."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(min=1, max=50), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def amount(**kwargs):
    return fields.Decimal(as_string=False, places=2,
                          validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN), **kwargs)


class EnterpriseContact(Schema):
    """Who to reach at the enterprise (personal data: only the enterprise and its region's admins read it)."""

    person = fields.String(validate=validate.Length(min=1, max=50), metadata={"example": "张伟"})
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9][0-9 ()-]{4,24}$",
                                                   error="not a telephone number"),
                          metadata={"example": "010-65001234"})
    email = fields.Email(validate=validate.Length(max=200))


class EnterpriseTier(Schema):
    """An award in the tiered cultivation of quality SMEs (优质中小企业梯度培育).

    tech_sme 科技型中小企业, innovative_sme 创新型中小企业, specialized_sme
    专精特新中小企业, little_giant 专精特新"小巨人"企业 (awarded nationally).
    A tier counts from ``awarded_on`` to ``expires_on`` inclusive.
    """

    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    level = fields.String(required=True, validate=validate.OneOf(ISSUING_LEVELS),
                          metadata={"description": "Issuing level: national, province or city"})
    awarded_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)

    @validates_schema
    def _dates_and_level(self, data, **kwargs):
        if "awarded_on" in data and "expires_on" in data and data["expires_on"] <= data["awarded_on"]:
            raise ValidationError("must be after awarded_on", field_name="expires_on")
        if data.get("awarded_on") and data["awarded_on"] > today():
            raise ValidationError("may not be in the future", field_name="awarded_on")
        if data.get("tier") == "little_giant" and data.get("level") not in (None, "national"):
            raise ValidationError("专精特新\"小巨人\" is awarded at national level", field_name="level")


def check_tier_list(tiers):
    seen = set()
    for record in tiers:
        key = (record.get("tier"), record.get("certificate_no"))
        if key in seen:
            raise ValidationError(f"certificate {key[1]} of {key[0]} is listed twice")
        seen.add(key)


class EnterpriseIdentity(Schema):
    """Who and where an enterprise is: the fields every way of filing a profile shares."""

    name = fields.String(validate=validate.Length(min=2, max=200), metadata={"example": "北京示例科技有限公司"})
    legal_form = fields.String(validate=validate.OneOf(tuple(LEGAL_FORMS)),
                               metadata={"description": "; ".join(f"{k} {v}" for k, v in LEGAL_FORMS.items())})
    registered_on = fields.Date(metadata={"description": "Date of establishment (成立日期)"})
    region_code = fields.String(validate=check_county,
                                metadata={"description": "County-level division code (GB/T 2260), in use today",
                                          "example": "110105"})
    park = fields.String(allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "Industrial park or cluster (园区/产业集群)"})
    industry_code = Code(validate=check_profile_industry,
                         metadata={"description": "GB/T 4754-2017 section letter and division, e.g. C39 "
                                                  "(G59 and K70 need the group, e.g. K702)",
                                   "example": "C39"})
    contact = fields.Nested(EnterpriseContact, allow_none=True)

    @validates("registered_on")
    def _founded(self, value, **kwargs):
        if value > today():
            raise ValidationError("may not be in the future")
        if value.year < FIRST_FIGURES_YEAR:
            raise ValidationError(f"may not be before {FIRST_FIGURES_YEAR}")


class EnterpriseFields(EnterpriseIdentity):
    """The fields a registration and a change have in common."""

    figures_year = fields.Integer(strict=True, metadata={"description": "Year the figures are for; "
                                                                        "default: last year (or the founding year)"})
    employees = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES),
                               metadata={"description": "Employees (从业人员)"})
    revenue = amount(metadata={"description": "Operating revenue (营业收入), 万元"})
    total_assets = amount(allow_none=True, metadata={"description": "Total assets (资产总额), 万元"})
    rd_expense = amount(allow_none=True, metadata={"description": "R&D spend (研发费用), 万元"})
    ip_class1_count = fields.Integer(strict=True, allow_none=True,
                                     validate=validate.Range(min=0, max=MAX_IP_ITEMS),
                                     metadata={"description": "Class-I IP items (Ⅰ类知识产权)"})
    tiers = fields.List(fields.Nested(EnterpriseTier), validate=[validate.Length(max=50), check_tier_list])
    tags = fields.List(Tag(), validate=validate.Length(max=50))

    @validates("figures_year")
    def _year(self, value, **kwargs):
        if not FIRST_FIGURES_YEAR <= value <= today().year:
            raise ValidationError(f"must be between {FIRST_FIGURES_YEAR} and {today().year}")


class EnterpriseRegistration(EnterpriseFields):
    """What registering an SME (一企一档) takes; size class is computed, never sent."""

    uscc = CreditCode(required=True, metadata={
                "description": "Unified social credit code (GB 32100), 18 characters; blanks and "
                               "dashes are dropped and letters upper-cased",
                          "example": "91110105MA01ABCD26"})

    def on_bind_field(self, field_name, field_obj):
        if field_name in REGISTRATION_REQUIRED:
            field_obj.required = True


class EnterpriseChange(EnterpriseFields, Changes):
    """A change to a profile (PATCH): only the fields sent change.

    Figures apply to ``figures_year`` (default: the latest year on file); a
    year not yet on file needs employees and revenue. ``tiers`` replaces the
    whole list of awards. Enterprise users may send only ``contact``, ``park``
    and the figures.
    """

    not_changes = frozenset({"reason"})
    reason = fields.String(validate=validate.Length(min=2, max=500), metadata={
        "description": "Why the change is made; kept in the profile's history (required to change "
                       "figures of a year before the last completed one)"})


ENTERPRISE_EDITABLE = frozenset({"contact", "park", "figures_year", "reason", *FIGURE_FIELDS})


class ProfileChange(Schema):
    """One entry of a profile's history: who changed which fields, when and why."""

    changed_at = fields.DateTime()
    actor_role = fields.String(metadata={"description": "The caller's role (national_admin, enterprise, ...)"})
    actor = fields.String(metadata={"description": "The caller's subject"})
    reason = fields.String(allow_none=True)
    changes = fields.Dict(metadata={"description": "Field → {from, to}; figures name their year"})


class EnterpriseFigures(Schema):
    """One year's figures (年度经营数据)."""

    year = fields.Integer()
    employees = fields.Integer()
    revenue = fields.Float(metadata={"description": "万元"})
    total_assets = fields.Float(allow_none=True, metadata={"description": "万元"})
    rd_expense = fields.Float(allow_none=True, metadata={"description": "万元"})
    ip_class1_count = fields.Integer(allow_none=True)


class EnterpriseTierState(EnterpriseTier):
    active = fields.Boolean(metadata={"description": "Counts today: awarded_on ≤ today ≤ expires_on"})


class EnterpriseSummary(Schema):
    """An SME as lists show it (no contact data, no history)."""

    uscc = fields.String()
    name = fields.String()
    legal_form = fields.String(allow_none=True)
    registered_on = fields.Date(allow_none=True)
    region_code = fields.String()
    province_code = fields.String()
    city_code = fields.String(allow_none=True)
    park = fields.String(allow_none=True)
    industry_code = fields.String()
    figures_year = fields.Integer()
    employees = fields.Integer()
    revenue = fields.Float(metadata={"description": "Operating revenue, 万元"})
    total_assets = fields.Float(allow_none=True, metadata={"description": "万元"})
    rd_expense = fields.Float(allow_none=True, metadata={"description": "万元"})
    ip_class1_count = fields.Integer(allow_none=True)
    size_class = fields.String(allow_none=True, metadata={
        "description": "Computed (read-only): large, medium, small, micro; null for a financial firm "
                       "(J 金融业, not classified under 300号)"})
    size_rule = fields.String(metadata={"description": "300号 row applied, e.g. industry, retail, "
                                                       "other:by_analogy (参照)"})
    active_tiers = fields.List(fields.String())
    tags = fields.List(fields.String())


class Enterprise(EnterpriseSummary):
    """An SME's profile (一企一档) as readers see it."""

    contact = fields.Nested(EnterpriseContact, allow_none=True,
                            metadata={"x-optional": "only for the enterprise itself and its region's admins"})
    tiers = fields.List(fields.Nested(EnterpriseTierState))
    figures = fields.List(fields.Nested(EnterpriseFigures), metadata={"description": "History by year"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class Criteria(Schema):
    """Which enterprises a policy (or a search) means: every field ANDed, each list ORed.

    The one criteria object of the network: policies carry it as their
    eligibility, the policy push and the counts use it unchanged. A list, if
    sent, holds at least one value; figures are the latest year's; tiers count
    while awarded and unexpired.
    """

    region_prefixes = fields.List(RegionPrefix(), validate=validate.Length(min=1, max=MAX_LIST),
                                  metadata={"example": ["11", "3201", "440305"]})
    industry_codes = fields.List(Code(validate=check_industry), validate=validate.Length(min=1, max=MAX_LIST),
                                 metadata={"example": ["C", "I65"]})
    size_classes = fields.List(fields.String(validate=validate.OneOf(SIZE_CLASSES)),
                               validate=validate.Length(min=1, max=len(SIZE_CLASSES)))
    tiers = fields.List(fields.String(validate=validate.OneOf(TIERS)), validate=validate.Length(min=1, max=len(TIERS)))
    employees_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    employees_max = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    revenue_min = fields.Decimal(as_string=False, validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN))
    revenue_max = fields.Decimal(as_string=False, validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN))
    rd_ratio_min = fields.Float(validate=validate.Range(min=0, max=1),
                                metadata={"description": "R&D spend / operating revenue, e.g. 0.03"})
    registered_years_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=200))
    tags = fields.List(Tag(), validate=validate.Length(min=1, max=MAX_LIST))

    @validates_schema
    def _ranges(self, data, **kwargs):
        for low, high in (("employees_min", "employees_max"), ("revenue_min", "revenue_max")):
            if low in data and high in data and data[low] > data[high]:
                raise ValidationError(f"{low} may not exceed {high}", field_name=low)


SIZE_CLASS_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


def _region_name(prefix):
    division = regions.lookup(prefix.ljust(6, "0"))
    return division.name if division else prefix


def _industry_name(code):
    try:
        industry = industries.parse_industry_code(code)
    except ValueError:
        return code
    return f"{industry.name}（{code}）"


def criterion_in_words(name, required):
    """One criterion of :class:`Criteria` as a reader says it, in Chinese (政策条件的文字表述).

    The policy push tells each enterprise which conditions it met in these words;
    the "why and why not" answer shows them beside each verdict.
    """
    def either(values):
        return "或".join(values)

    if name == "region_prefixes":
        return f"注册地在{either(_region_name(prefix) for prefix in required)}"
    if name == "industry_codes":
        return f"所属行业为{either(_industry_name(code) for code in required)}"
    if name == "size_classes":
        return f"企业规模为{either(SIZE_CLASS_NAMES.get(size, size) for size in required)}企业"
    if name == "tiers":
        return f"现为{either(TIER_NAMES.get(tier, tier) for tier in required)}"
    if name == "employees_min":
        return f"从业人员不少于{required}人"
    if name == "employees_max":
        return f"从业人员不超过{required}人"
    if name == "revenue_min":
        return f"营业收入不低于{required}万元"
    if name == "revenue_max":
        return f"营业收入不超过{required}万元"
    if name == "rd_ratio_min":
        return f"研发费用占营业收入比例不低于{float(required) * 100:g}%"
    if name == "registered_years_min":
        return f"成立满{required}年"
    if name == "tags":
        return f"带有标签{either(f'“{tag}”' for tag in required)}"
    return f"{name}: {required}"


CRITERIA_ORDER = ("region_prefixes", "industry_codes", "size_classes", "tiers", "employees_min",
                  "employees_max", "revenue_min", "revenue_max", "rd_ratio_min", "registered_years_min", "tags")


def criteria_in_words(criteria):
    """Every criterion present, in words, in the order criteria are always judged."""
    return [criterion_in_words(name, criteria[name]) for name in CRITERIA_ORDER if name in criteria]


class SearchFilters(Schema):
    """Filters of the enterprise search; each narrows the result (AND)."""

    region_prefix = RegionPrefix(metadata={"description": "Province (2), city (4) or county (6 digits)"})
    industry_code = Code(validate=check_industry, metadata={"description": "Section (C) or division (C39)"})
    size_class = fields.String(validate=validate.OneOf(SIZE_CLASSES))
    tier = fields.String(validate=validate.OneOf(TIERS), metadata={"description": "Holds this tier today"})
    tag = Tag()
    name = fields.String(validate=validate.Length(min=1, max=50),
                         metadata={"description": "Substring of the name, e.g. 专精特新"})
    sort = fields.String(load_default="name", validate=validate.OneOf(SORTS),
                         metadata={"description": "Field to sort by, '-' for descending; names sort by pinyin"})

    @post_load
    def _trim(self, data, **kwargs):
        if "name" in data:
            data["name"] = data["name"].strip()
        return data


class ImportBatch(Schema):
    """A batch of enterprises to register at once (a provincial roll-out).

    ``jsonl``: one registration object per line. ``csv``: a header line of
    field names (uscc, name, region_code, industry_code, employees, revenue
    and optionally legal_form, registered_on, park, figures_year, total_assets,
    rd_expense, ip_class1_count, tags separated by ``;``), then one row per
    enterprise.
    """

    format = fields.String(required=True, validate=validate.OneOf(("jsonl", "csv")))
    content = fields.String(required=True, validate=validate.Length(min=1))


class ImportRejection(Schema):
    line = fields.Integer()
    uscc = fields.String(allow_none=True)
    errors = fields.Dict(metadata={"description": "Field → problems"})


class ImportReport(Schema):
    received = fields.Integer(metadata={"description": "Rows read"})
    stored = fields.Integer(metadata={"description": "Enterprises registered"})
    rejected = fields.List(fields.Nested(ImportRejection))


class CriterionVerdict(Schema):
    criterion = fields.String()
    passed = fields.Boolean()
    required = fields.Raw()
    actual = fields.Raw()


class Explanation(Schema):
    """Whether one enterprise meets criteria, criterion by criterion."""

    matches = fields.Boolean()
    criteria = fields.List(fields.Nested(CriterionVerdict))


class MatchCount(Schema):
    count = fields.Integer()
    within = fields.String(allow_none=True, metadata={"description": "Region prefix the count was limited "
                                                                     "to (the caller's scope); null: nationwide"})


class SizeClassAsOf(Schema):
    """The size class an enterprise had on a date (e.g. a contract date)."""

    uscc = fields.String()
    region_code = fields.String()
    as_of = fields.Date()
    size_class = fields.String(allow_none=True)
    size_rule = fields.String(allow_none=True)
    figures_year = fields.Integer(allow_none=True, metadata={
        "description": "The year whose figures classify the enterprise on as_of: the last completed "
                       "year (上一年度, 财库〔2020〕46号), or the founding year for one founded that year"})
    figures_basis = fields.String(allow_none=True, metadata={"description": "previous_year or founding_year"})
    reason = fields.String(allow_none=True, metadata={"description": "Why there is no size class"})


class SizeRuleApplied(Schema):
    """The row of the 300号 table a size class was computed by."""

    rule = fields.String(metadata={"example": "industry"})
    row = fields.Integer(allow_none=True, metadata={"description": "Row of the 300号 table, 1–16"})
    name = fields.String(metadata={"example": "工业"})
    by_analogy = fields.Boolean(metadata={"description": "参照: individual business or unlisted industry"})
    indicators = fields.List(fields.String())
    reason = fields.String(allow_none=True, metadata={
        "description": "Why there is no size class (financial firms: not classified under 300号)"})


class IndustryView(Schema):
    code = fields.String()
    section = fields.String()
    section_name = fields.String()
    division = fields.String(allow_none=True)
    division_name = fields.String(allow_none=True)


class RegionLevel(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "province, city or county"})


class FiguresTrendYear(EnterpriseFigures):
    rd_ratio = fields.Float(allow_none=True, metadata={"description": "R&D spend / revenue"})
    revenue_growth = fields.Float(allow_none=True, metadata={"description": "Over the previous year on file"})


class Portrait(Schema):
    """精准画像: the computed view of one enterprise (answer of ``enterprises.portrait``)."""

    uscc = fields.String()
    name = fields.String()
    region_code = fields.String()
    size_class = fields.String(allow_none=True)
    size_rule = fields.Nested(SizeRuleApplied)
    figures_year = fields.Integer()
    active_tiers = fields.List(fields.Nested(EnterpriseTier))
    industry = fields.Nested(IndustryView)
    region = fields.List(fields.Nested(RegionLevel), metadata={"description": "Province, city, county"})
    park = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    registered_on = fields.Date(allow_none=True)
    years_registered = fields.Integer(allow_none=True)
    figures_trend = fields.List(fields.Nested(FiguresTrendYear))


# -- event payloads ------------------------------------------------------------

class EnterpriseRegistered(Schema):
    """Payload of ``enterprise.registered``."""

    uscc = fields.String(required=True)
    name = fields.String(required=True)
    region_code = fields.String(required=True)
    industry_code = fields.String(required=True)
    province_code = fields.String()
    city_code = fields.String(allow_none=True)
    size_class = fields.String(allow_none=True)
    park = fields.String(allow_none=True, metadata={"description": "Industrial park or cluster (园区/产业集群)"})
    active_tiers = fields.List(fields.String())
    tags = fields.List(fields.String())


class FieldChange(Schema):
    """A field's value before and after (null: unset, as a park removed)."""

    old = fields.Raw(data_key="from", allow_none=True)
    new = fields.Raw(data_key="to", allow_none=True)


class EnterpriseUpdated(Schema):
    """Payload of ``enterprise.updated``: which fields changed, with old and new values.

    Contact data changes are named in ``changed`` but their values are not sent.
    """

    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    changed = fields.List(fields.String(), required=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(FieldChange))


class EnterpriseTierChanged(Schema):
    """Payload of ``enterprise.tier_changed`` (an award edited, or one expired: ``reason``)."""

    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    reason = fields.String(validate=validate.OneOf(("edited", "expired")))
    decided_by = fields.String(metadata={
        "description": "Role that changed the awards (national_admin, province_admin, ...; system for "
                       "an expiry); national_admin decisions reach the province's outbound queue"})
    active_tiers_before = fields.List(fields.String())
    active_tiers = fields.List(fields.String())
    added = fields.List(fields.String())
    removed = fields.List(fields.String())


class EnterpriseSizeClassChanged(Schema):
    """Payload of ``enterprise.size_class_changed``."""

    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    old = fields.String(data_key="from", allow_none=True)
    new = fields.String(data_key="to", allow_none=True)
    size_rule = fields.String()
    figures_year = fields.Integer()


# -- what provinces publish (onenet.provinces.in) ---------------------------------------

MAX_SOURCE_VERSION = 2**63 - 1


def source_version(**kwargs):
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_SOURCE_VERSION),
                          metadata={"description": "The entity's version on the provincial system (a row "
                                                   "version, or its last change as epoch milliseconds): an "
                                                   "update older than one applied is ignored", **kwargs})


class ProvincialFigures(Schema):
    """One year's figures (年度经营数据) as a provincial registry sends them; amounts in 万元."""

    year = fields.Integer(required=True, strict=True)
    employees = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    revenue = amount(required=True)
    total_assets = amount(allow_none=True)
    rd_expense = amount(allow_none=True)
    ip_class1_count = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_IP_ITEMS))

    @validates("year")
    def _year(self, value, **kwargs):
        if not FIRST_FIGURES_YEAR <= value <= today().year:
            raise ValidationError(f"must be between {FIRST_FIGURES_YEAR} and {today().year}")


def check_figure_years(records):
    years = [record.get("year") for record in records]
    repeated = sorted({year for year in years if years.count(year) > 1})
    if repeated:
        raise ValidationError(f"one record per year; repeated: {', '.join(map(str, repeated))}")


class ProvincialEnterpriseV1(EnterpriseIdentity):
    """``enterprise.upserted`` version 1: a provincial registry's SME profile and yearly figures (一企一档).

    Registers the enterprise when OneNet has none with this USCC; otherwise the
    fields sent replace the stored ones and each year of ``figures`` sent
    replaces that year (other years stay). The region must lie in the
    publishing province, before and after. Tiers are awarded by their issuing
    authority through the API, not here.
    """

    source_version = source_version()
    uscc = CreditCode(required=True, metadata={"description": "Unified social credit code (GB 32100)"})
    figures = fields.List(fields.Nested(ProvincialFigures), required=True,
                          validate=[validate.Length(min=1, max=30), check_figure_years])
    tags = fields.List(Tag(), validate=validate.Length(max=50))

    def on_bind_field(self, field_name, field_obj):
        if field_name in ("name", "region_code", "industry_code"):
            field_obj.required = True


ENTERPRISE_UPSERTED = ProvincialEventType(
    type="enterprise.upserted", owner="enterprises", schemas={1: ProvincialEnterpriseV1},
    summary="A provincial registry's SME profile and yearly figures: registered if new, else updated",
    example={
        "source_version": 17, "uscc": "91440106MA59C5XK1G", "name": "广州示例智能装备有限公司",
        "region_code": "440106", "industry_code": "C34", "legal_form": "limited_liability",
        "registered_on": "2019-03-12", "park": "天河软件园",
        "contact": {"person": "陈明", "phone": "020-38001234"}, "tags": ["专精特新培育库"],
        "figures": [{"year": 2024, "employees": 86, "revenue": 5200, "total_assets": 7300,
                     "rd_expense": 410, "ip_class1_count": 3}]})
PROVINCIAL_EVENTS = (ENTERPRISE_UPSERTED,)

# What the enterprises service publishes on onenet.events: type → payload schema (its outbox checks each event).
EVENTS = {
    "enterprise.registered": EnterpriseRegistered,
    "enterprise.updated": EnterpriseUpdated,
    "enterprise.tier_changed": EnterpriseTierChanged,
    "enterprise.size_class_changed": EnterpriseSizeClassChanged,
}
