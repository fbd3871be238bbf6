"""The enterprises service's contracts: RPC payloads and event payloads.

The gateway validates HTTP bodies with these same schemas, so a front-end sees
the same field names and rules the service enforces.
"""
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.cn import uscc as uscc_standard
from stdnum.exceptions import ValidationError as StdnumError

from chassis import industries, regions

# Figures above these are taken for typing mistakes, not for firms.
MAX_EMPLOYEES = 10_000_000
MAX_AMOUNT_WAN_YUAN = 1_000_000_000  # 10 trillion yuan


def check_uscc(value):
    """GB 32100 统一社会信用代码: 18 characters with a valid check character."""
    try:
        return uscc_standard.validate(value)
    except StdnumError as exc:
        raise ValidationError(f"not a valid unified social credit code: {exc}") from None


class EnterpriseRegistration(Schema):
    """What registering an SME (一企一档) takes."""

    uscc = fields.String(required=True, metadata={"description": "Unified social credit code (GB 32100), 18 characters", "example": "91110105MA01ABCD2X"})
    name = fields.String(required=True, validate=validate.Length(min=2, max=200), metadata={"example": "北京示例科技有限公司"})
    region_code = fields.String(required=True, metadata={"description": "County-level division code (GB/T 2260)", "example": "110105"})
    industry_code = fields.String(required=True, metadata={"description": "GB/T 4754-2017 section letter and division, e.g. C39", "example": "C39"})
    employees = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    revenue = fields.Decimal(required=True, as_string=False, places=2, validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN), metadata={"description": "Operating revenue, 万元"})

    @validates("uscc")
    def _uscc(self, value, **kwargs):
        check_uscc(value)

    @validates("region_code")
    def _region(self, value, **kwargs):
        try:
            regions.validate_county(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates("industry_code")
    def _industry(self, value, **kwargs):
        try:
            industries.parse_industry_code(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Enterprise(Schema):
    """An SME's profile as readers see it."""

    uscc = fields.String()
    name = fields.String()
    region_code = fields.String()
    province_code = fields.String()
    city_code = fields.String(allow_none=True)
    industry_code = fields.String()
    employees = fields.Integer()
    revenue = fields.Float(metadata={"description": "Operating revenue, 万元"})
    registered_at = fields.DateTime()
    updated_at = fields.DateTime()


class EnterpriseRegistered(Schema):
    """Payload of ``enterprise.registered``."""

    uscc = fields.String(required=True)
    name = fields.String(required=True)
    region_code = fields.String(required=True)
    industry_code = fields.String(required=True)


SIZE_CLASSES = ("large", "medium", "small", "micro")
TIERS = ("tech_sme", "innovative_sme", "specialized_sme", "little_giant")


def check_region_prefix(value):
    """A province (2 digits), city (4) or county (6) prefix of a known division code."""
    if not (value.isdigit() and len(value) in (2, 4, 6)):
        raise ValidationError(f"region prefix {value!r} must be 2, 4 or 6 digits")
    if not regions.is_known(value.ljust(6, "0")):
        raise ValidationError(f"region prefix {value} names no known division")


def check_industry(value):
    try:
        industries.parse_industry_code(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class Criteria(Schema):
    """Which enterprises a policy (or a search) means: every field ANDed, each list ORed.

    The one criteria object of the network: policies carry it as their
    eligibility, the policy push and the counts use it unchanged.
    """

    region_prefixes = fields.List(fields.String(validate=check_region_prefix),
                                  metadata={"example": ["11", "3201", "440305"]})
    industry_codes = fields.List(fields.String(validate=check_industry),
                                 metadata={"example": ["C", "I65"]})
    size_classes = fields.List(fields.String(validate=validate.OneOf(SIZE_CLASSES)))
    tiers = fields.List(fields.String(validate=validate.OneOf(TIERS)))
    employees_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    employees_max = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_EMPLOYEES))
    revenue_min = fields.Decimal(as_string=False, validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN))
    revenue_max = fields.Decimal(as_string=False, validate=validate.Range(min=0, max=MAX_AMOUNT_WAN_YUAN))
    rd_ratio_min = fields.Float(validate=validate.Range(min=0, max=1),
                                metadata={"description": "R&D spend / operating revenue, e.g. 0.03"})
    registered_years_min = fields.Integer(strict=True, validate=validate.Range(min=0, max=200))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)))

    @validates_schema
    def _ranges(self, data, **kwargs):
        for low, high in (("employees_min", "employees_max"), ("revenue_min", "revenue_max")):
            if low in data and high in data and data[low] > data[high]:
                raise ValidationError(f"{low} may not exceed {high}", field_name=low)
