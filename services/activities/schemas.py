"""The activities service's contracts: RPC payloads, HTTP bodies and event payloads.

Service activities (服务活动: 送法进园区, 融通/产融/产学研对接, training,
exhibitions) with their dated occurrences, registrations and ratings; lead
firms (链主企业) and the two matchmaking boards: supply-chain needs (链主需求)
and financing needs (融资需求). The gateway validates HTTP bodies with these
same schemas. Times are ISO 8601; a time sent without a zone is China time.
Amounts are in 万元.
"""
from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from reference.china_time import CHINA_TIME
from reference.credit_codes import CreditCode
from services.agencies.schemas import NATIONWIDE, area_field, check_region, criteria_errors  # noqa: F401
from services.enterprises.schemas import (SIZE_CLASSES, TIERS, Code, RegionPrefix, check_industry)

CHINA = CHINA_TIME  # a time sent without a zone is China time

# The kinds of activity 工信部企业〔2023〕213号 二(二) names.
KINDS = {
    "law_outreach": "送法进园区、进商会、进企业",
    "chain_matchmaking": "大中小企业融通对接",
    "finance_matchmaking": "产融对接",
    "research_matchmaking": "产学研对接",
    "training": "培训",
    "exhibition": "展览展销",
    "international": "国际交流与商务交流",
}
# The service area an activity of each kind belongs to, unless the publisher names another.
KIND_AREAS = {
    "law_outreach": "policy", "chain_matchmaking": "chain", "finance_matchmaking": "finance_talent",
    "research_matchmaking": "cultivation", "training": "training", "exhibition": "quality_brand",
    "international": "international",
}
# What happens to an occurrence the rule puts on a rest day or public holiday.
ON_REST_DAY = {
    "next_working_day": "moved to the next working day of the working-day calendar",
    "skip": "left out",
    "keep": "kept on that day",
}
PARTNER_KINDS = ("provider", "expert", "lead_firm")
REGISTERED, WAITLISTED, CANCELLED = "registered", "waitlisted", "cancelled"
REGISTRATION_STATES = (REGISTERED, WAITLISTED, CANCELLED)

# A rule may yield at most this many dated occurrences (per station); more is refused.
MAX_OCCURRENCES = 120
MAX_STATIONS = 20
MAX_CAPACITY = 100_000
MAX_DURATION = timedelta(days=31)

# Supply-chain needs (链主需求): what a lead firm records of each SME's offer, in order.
CHAIN_OUTCOMES = ("contacted", "sampled", "contracted", "declined")
OFFER_STATES = ("offered", "shortlisted")
NEED_STATES = ("open", "closed")
# Financing needs (融资需求).
COLLATERAL_KINDS = {
    "credit": "信用（无抵押）",
    "real_estate": "不动产抵押",
    "equipment": "机器设备抵押",
    "receivables": "应收账款质押",
    "intellectual_property": "知识产权质押",
    "guarantee": "第三方保证",
    "other": "其他",
}
FINANCING_STATES = ("open", "accepted", "closed")
FINANCE_OFFER_STATES = ("offered", "accepted", "not_chosen")
FINANCE_AREA = "finance_talent"
MAX_AMOUNT_WAN_YUAN = 1_000_000


def china_time(**kwargs):
    return fields.AwareDateTime(default_timezone=CHINA, **kwargs)


class ChinaDateTime(fields.DateTime):
    """A moment written in China time (``+08:00``), as people there read the calendar."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(CHINA)
        return super()._serialize(value, attr, obj, **kwargs)


def kind_field(**kwargs):
    return fields.String(validate=validate.OneOf(tuple(KINDS)), metadata={
        "description": "; ".join(f"{code} {name}" for code, name in KINDS.items())}, **kwargs)


def amount(**kwargs):
    return fields.Decimal(as_string=False, places=2, validate=validate.Range(
        min=0, min_inclusive=False, max=MAX_AMOUNT_WAN_YUAN), metadata={"description": "万元"}, **kwargs)


def check_rule(value):
    """An RFC 5545 RRULE value (``FREQ=MONTHLY;BYDAY=2TU;COUNT=12``), without the ``RRULE:`` prefix
    or with it; bounded by COUNT or UNTIL (checked in full when the activity is published)."""
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "\n" in text or "DTSTART" in text.upper():
        raise ValidationError("give one RRULE; the start comes from starts_at")
    parts = dict(part.split("=", 1) for part in text.upper().split(";") if "=" in part)
    if "FREQ" not in parts:
        raise ValidationError("an RRULE needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if parts["FREQ"] not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValidationError("activities recur at most daily: FREQ is DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise ValidationError(f"the rule must end: give COUNT or UNTIL (at most {MAX_OCCURRENCES} occurrences)")


# -- activities ------------------------------------------------------------------------

class Partner(Schema):
    """A partner of an activity: a quality service provider, an expert or a lead firm (by id)."""

    kind = fields.String(required=True, validate=validate.OneOf(PARTNER_KINDS))
    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    role = fields.String(load_default="", validate=validate.Length(max=100),
                         metadata={"example": "主讲"})


class ActivityPublication(Schema):
    """An activity an agency publishes: what, where, when, for whom, with whom.

    The times are those of the first occurrence; with a ``recurrence`` rule
    every later occurrence keeps the same length and the same registration
    window relative to its start. With ``stations`` the activity is held at
    each of those service stations (one occurrence per station and date).
    """

    agency_id = fields.Integer(required=True, strict=True,
                               metadata={"description": "The publishing agency"})
    kind = kind_field(required=True)
    title = fields.String(required=True, validate=validate.Length(min=4, max=200),
                          metadata={"example": "《中小企业促进法》送法进园区"})
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    service_area = area_field()
    venue = fields.String(validate=validate.Length(min=2, max=300),
                          metadata={"description": "Where it takes place (or each station's own place)"})
    online_url = fields.Url(schemes={"https", "http"}, validate=validate.Length(max=500),
                            metadata={"description": "Link for taking part online"})
    starts_at = china_time(required=True, metadata={"example": "2027-01-01T09:30:00+08:00"})
    ends_at = china_time(required=True)
    registration_opens_at = china_time(required=True)
    registration_closes_at = china_time(required=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_CAPACITY),
                              metadata={"description": "Places per occurrence; further registrations wait"})
    criteria = fields.Dict(load_default=dict, metadata={"x-schema": "Criteria",
        "description": "Target enterprises: a Criteria object of the enterprises service, as policies carry "
                       "it; they receive an invitation. Without region_prefixes: the agency's region"})
    partners = fields.List(fields.Nested(Partner), load_default=list, validate=validate.Length(max=50))
    recurrence = fields.String(validate=[validate.Length(min=6, max=300), check_rule], metadata={
        "description": f"RFC 5545 RRULE ending by COUNT or UNTIL, at most {MAX_OCCURRENCES} occurrences",
        "example": "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12"})
    stations = fields.List(fields.Integer(strict=True), validate=validate.Length(min=1, max=MAX_STATIONS),
                           metadata={"description": "Service stations (agency ids) holding it; default: the "
                                                    "publishing agency itself"})
    on_rest_day = fields.String(load_default="next_working_day", validate=validate.OneOf(tuple(ON_REST_DAY)),
                                metadata={"description": "An occurrence falling on a rest day or public "
                                                         "holiday: " + "; ".join(f"{k}: {v}" for k, v in
                                                                                 ON_REST_DAY.items())})

    @validates_schema(skip_on_field_errors=False)
    def _criteria(self, data, **kwargs):
        problems = criteria_errors(data["criteria"]) if "criteria" in data else {}
        if problems:
            raise ValidationError(problems)

    @validates_schema
    def _where_and_when(self, data, **kwargs):
        if not data.get("venue") and not data.get("online_url"):
            raise ValidationError("give a venue, an online_url or both", field_name="venue")
        starts, ends = data.get("starts_at"), data.get("ends_at")
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if starts and ends:
            if ends <= starts:
                raise ValidationError("must be after starts_at", field_name="ends_at")
            if ends - starts > MAX_DURATION:
                raise ValidationError("an occurrence lasts at most 31 days", field_name="ends_at")
        if opens and closes and closes <= opens:
            raise ValidationError("must be after registration_opens_at", field_name="registration_closes_at")
        if closes and ends and closes > ends:
            raise ValidationError("registration closes at the latest when the activity ends",
                                  field_name="registration_closes_at")
        if opens and starts and opens > starts:
            raise ValidationError("registration opens at the latest when the activity starts",
                                  field_name="registration_opens_at")


class Occurrence(Schema):
    """One dated occurrence of an activity at one place: what people register for."""

    id = fields.Integer()
    activity_id = fields.Integer()
    agency_id = fields.Integer(metadata={"description": "The agency or station holding it"})
    agency_name = fields.String(allow_none=True)
    region_code = fields.String(metadata={"description": "Where it is held (the holding agency's region)"})
    publisher_agency_id = fields.Integer(metadata={"description": "The agency that published the activity"})
    sequence = fields.Integer(metadata={"description": "1 for the rule's first date"})
    kind = fields.String()
    title = fields.String()
    venue = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    starts_at = ChinaDateTime()
    ends_at = ChinaDateTime()
    registration_opens_at = ChinaDateTime()
    registration_closes_at = ChinaDateTime()
    capacity = fields.Integer()
    registered = fields.Integer(metadata={"description": "Places taken"})
    waitlisted = fields.Integer()
    planned_on = fields.Date(metadata={"description": "The day the rule gives"})
    moved_from = fields.Date(allow_none=True, metadata={
        "description": "The rule's day when that was a rest day or public holiday and the occurrence moved"})
    provisional = fields.Boolean(metadata={
        "description": "Planned in a year whose holiday schedule is not yet published: the statutory "
                       "holidays and weekends were avoided, 调休 days are not known"})


class Activity(Schema):
    """A published service activity with its occurrences."""

    id = fields.Integer()
    agency_id = fields.Integer()
    agency_name = fields.String(allow_none=True)
    region_code = fields.String(metadata={"description": "The publishing agency's region"})
    kind = fields.String()
    title = fields.String()
    description = fields.String()
    service_area = fields.String()
    venue = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    capacity = fields.Integer()
    criteria = fields.Dict(metadata={"x-schema": "Criteria",
                                     "description": "Target enterprises (Criteria), narrowed to the agency's region"})
    partners = fields.List(fields.Nested(Partner))
    recurrence = fields.String(allow_none=True)
    on_rest_day = fields.String()
    stations = fields.List(fields.Integer())
    created_at = ChinaDateTime()
    occurrences = fields.List(fields.Nested(Occurrence), metadata={
        "x-optional": "in an activity read by its id or just published, not in lists"})


class OccurrenceFilter(Schema):
    """Which occurrences a calendar lists (every filter narrows it)."""

    agency_id = fields.Integer(metadata={"description": "Held by this agency or station"})
    kind = kind_field()
    region = RegionPrefix(metadata={"description": "Held in this region (2, 4 or 6 digits)"})
    starts_from = fields.Date(data_key="from", metadata={"description": "Starting on or after this day"})
    starts_before = fields.Date(data_key="to", metadata={"description": "Starting before this day"})


class Registration(Schema):
    """An enterprise's registration for one occurrence (报名)."""

    occurrence_id = fields.Integer()
    activity_id = fields.Integer()
    uscc = fields.String()
    state = fields.String(validate=validate.OneOf(REGISTRATION_STATES))
    waitlist_position = fields.Integer(allow_none=True, metadata={"description": "1 = next to move up"})
    registered_at = ChinaDateTime()
    promoted_at = ChinaDateTime(allow_none=True, metadata={"description": "When it moved up from the waitlist"})
    cancelled_at = ChinaDateTime(allow_none=True)
    checked_in_at = ChinaDateTime(allow_none=True)


class CheckIn(Schema):
    """Staff check a registered enterprise in (签到)."""

    uscc = CreditCode(required=True)


class ActivityRatingInput(Schema):
    """A participant's rating after the activity: 1 (poor) to 5 (excellent), with a comment."""

    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class ActivityRating(ActivityRatingInput):
    occurrence_id = fields.Integer()
    uscc = fields.String()
    rated_at = ChinaDateTime()


class Participation(Schema):
    """An enterprise's part in activities (for its portrait, 精准画像)."""

    registered = fields.Integer(metadata={"description": "Occurrences it holds a place for or took part in"})
    waitlisted = fields.Integer()
    attended = fields.Integer(metadata={"description": "Checked in"})
    ratings = fields.Integer()
    average_rating_given = fields.Float(allow_none=True)
    kinds = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "Attended, by kind of activity"})
    recent = fields.List(fields.Nested(Registration), metadata={"description": "The latest ten"})


# -- lead firms and supply-chain needs (链主需求) --------------------------------------------

class LeadFirmRegistration(Schema):
    """A lead firm (链主企业): a large firm heading a supply chain, registered by admins.

    Not an SME: it is not in the SME database and has no size class there.
    """

    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    uscc = CreditCode(required=True)
    region_code = fields.String(required=True, validate=check_region)
    industry_codes = fields.List(Code(validate=check_industry), required=True,
                                 validate=validate.Length(min=1, max=20), metadata={"example": ["C36"]})
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class LeadFirm(LeadFirmRegistration):
    id = fields.Integer()
    registered_by = fields.String()
    created_at = ChinaDateTime()


class ChainNeedPosting(Schema):
    """A sourcing need a lead firm posts: what it needs, from which industries, where, how much, by when."""

    title = fields.String(required=True, validate=validate.Length(min=4, max=200),
                          metadata={"example": "新能源汽车线束配套供应商"})
    description = fields.String(required=True, validate=validate.Length(min=2, max=5000))
    industry_codes = fields.List(Code(validate=check_industry), required=True,
                                 validate=validate.Length(min=1, max=20),
                                 metadata={"description": "GB/T 4754 sections or divisions the suppliers are in",
                                           "example": ["C38"]})
    region_prefixes = fields.List(RegionPrefix(), load_default=list, validate=validate.Length(max=50),
                                  metadata={"description": "Where suppliers should be; empty: anywhere"})
    size_classes = fields.List(fields.String(validate=validate.OneOf(SIZE_CLASSES)), load_default=list,
                               metadata={"description": "Preferred size classes (a suggestion's reason)"})
    tiers = fields.List(fields.String(validate=validate.OneOf(TIERS)), load_default=list,
                        metadata={"description": "Preferred tiers (a suggestion's reason)"})
    quantity = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"example": "每月 20,000 套"})
    deadline = fields.Date(required=True, metadata={"description": "Offers are taken until this day"})


class ChainNeed(ChainNeedPosting):
    id = fields.Integer()
    lead_firm_id = fields.Integer()
    lead_firm_name = fields.String()
    region_code = fields.String(metadata={"description": "The lead firm's region"})
    state = fields.String(validate=validate.OneOf(NEED_STATES))
    offers = fields.Integer(metadata={"description": "SMEs that expressed interest"})
    created_at = ChinaDateTime()
    closed_at = ChinaDateTime(allow_none=True)


class Suggestion(Schema):
    """An SME OneNet suggests for a need, with why."""

    uscc = fields.String()
    name = fields.String()
    region_code = fields.String()
    industry_code = fields.String()
    size_class = fields.String(allow_none=True)
    active_tiers = fields.List(fields.String())
    score = fields.Integer(metadata={"description": "How many of the need's wishes it meets"})
    reasons = fields.List(fields.String(), metadata={"description": "Each wish it meets, in words"})


class Suggestions(Schema):
    need_id = fields.Integer()
    items = fields.List(fields.Nested(Suggestion))


class ChainOfferInput(Schema):
    """An SME's interest in a need, with a short offer (意向与报价)."""

    offer = fields.String(required=True, validate=validate.Length(min=2, max=1000))


class ChainOffer(Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    uscc = fields.String()
    name = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    offer = fields.String()
    state = fields.String(validate=validate.OneOf(OFFER_STATES))
    outcome = fields.String(allow_none=True, validate=validate.OneOf(CHAIN_OUTCOMES))
    outcome_note = fields.String(allow_none=True)
    created_at = ChinaDateTime()
    shortlisted_at = ChinaDateTime(allow_none=True)
    outcome_at = ChinaDateTime(allow_none=True)


class ChainOutcomeInput(Schema):
    """What came of a shortlisted offer: contacted, sampled, contracted or declined (in that order)."""

    outcome = fields.String(required=True, validate=validate.OneOf(CHAIN_OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class NeedFilter(Schema):
    state = fields.String(validate=validate.OneOf(NEED_STATES + ("all",)), load_default="open")
    industry = Code(validate=check_industry, metadata={"description": "Needs asking for this section or division"})


# -- financing needs (融资需求) ----------------------------------------------------------------

class FinancingNeedPosting(Schema):
    """What an SME needs to borrow: amount, term, purpose and the collateral it can give."""

    amount = amount(required=True)
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=360))
    purpose = fields.String(required=True, validate=validate.Length(min=2, max=1000),
                            metadata={"example": "采购原材料"})
    collateral = fields.String(required=True, validate=validate.OneOf(tuple(COLLATERAL_KINDS)), metadata={
        "description": "; ".join(f"{k} {v}" for k, v in COLLATERAL_KINDS.items())})


class FinancingNeed(FinancingNeedPosting):
    id = fields.Integer()
    uscc = fields.String()
    name = fields.String(allow_none=True)
    region_code = fields.String()
    state = fields.String(validate=validate.OneOf(FINANCING_STATES))
    offers = fields.Integer()
    accepted_offer_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True, validate=validate.OneOf(("funded", "not_funded")))
    funded_amount = fields.Float(allow_none=True, metadata={"description": "万元"})
    funded_on = fields.Date(allow_none=True)
    days_to_funding = fields.Integer(allow_none=True, metadata={
        "description": "Days from posting the need to the funds (China calendar days)"})
    posted_at = ChinaDateTime()
    closed_at = ChinaDateTime(allow_none=True)


class FinancingOfferInput(Schema):
    """An admitted finance provider's answer: amount, rate, term and conditions."""

    amount = amount(required=True)
    annual_rate_pct = fields.Decimal(required=True, as_string=False, places=2,
                                     validate=validate.Range(min=0, max=36),
                                     metadata={"description": "Annual interest or fee rate, %", "example": 3.45})
    term_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=360))
    conditions = fields.String(load_default="", validate=validate.Length(max=2000))


class FinancingOffer(Schema):
    id = fields.Integer()
    need_id = fields.Integer()
    provider_id = fields.Integer()
    provider_name = fields.String()
    amount = fields.Float(metadata={"description": "万元"})
    annual_rate_pct = fields.Float()
    term_months = fields.Integer()
    conditions = fields.String()
    state = fields.String(validate=validate.OneOf(FINANCE_OFFER_STATES))
    created_at = ChinaDateTime()


class FundingOutcomeInput(Schema):
    """Whether the accepted offer was funded: the amount and the day, or not."""

    funded = fields.Boolean(required=True)
    amount = amount()
    funded_on = fields.Date()
    note = fields.String(load_default="", validate=validate.Length(max=1000))

    @validates_schema
    def _funded_needs_amount_and_day(self, data, **kwargs):
        if data.get("funded"):
            missing = {name: ["required when funded"] for name in ("amount", "funded_on") if name not in data}
            if missing:
                raise ValidationError(missing)


class FinancingFilter(Schema):
    state = fields.String(validate=validate.OneOf(FINANCING_STATES + ("all",)), load_default="all")


# -- assessment (评估问效) ----------------------------------------------------------------------

class AgencyActivityFigures(Schema):
    agency_id = fields.Integer()
    agency_name = fields.String(allow_none=True)
    held = fields.Integer(metadata={"description": "Occurrences that started in the period"})
    registered = fields.Integer()
    attended = fields.Integer()
    ratings = fields.Integer()
    average_rating = fields.Float(allow_none=True)


class ActivityFigures(Schema):
    held = fields.Integer()
    registered = fields.Integer(metadata={"description": "Places taken in those occurrences"})
    attended = fields.Integer(metadata={"description": "Checked in"})
    ratings = fields.Integer()
    average_rating = fields.Float(allow_none=True)
    by_agency = fields.List(fields.Nested(AgencyActivityFigures))


class ChainFigures(Schema):
    needs_posted = fields.Integer(metadata={"description": "By lead firms of the region"})
    offers = fields.Integer(metadata={"description": "By SMEs of the region"})
    matches_made = fields.Integer(metadata={"description": "Offers of the region's SMEs shortlisted"})
    contracts_signed = fields.Integer()


class FinanceFigures(Schema):
    needs_posted = fields.Integer(metadata={"description": "By SMEs of the region"})
    offers = fields.Integer()
    matches_made = fields.Integer(metadata={"description": "Offers accepted by the region's SMEs"})
    loans_granted = fields.Integer()
    amount_granted = fields.Float(metadata={"description": "万元"})
    average_days_to_funding = fields.Float(allow_none=True)


class ActivitiesAssessment(Schema):
    """Service activities and matchmaking of a region in a period (评估问效)."""

    region = fields.String()
    period = fields.String()
    activities = fields.Nested(ActivityFigures)
    supply_chain = fields.Nested(ChainFigures)
    financing = fields.Nested(FinanceFigures)


class RegionActivities(Schema):
    """Activities held in a period at the agencies of one region code, and their attendances, as
    recorded by a cut-off (what the agencies service's scoring runs read)."""

    region_code = fields.String(metadata={"description": "Where the occurrences took place"})
    held = fields.Integer(metadata={"description": "Occurrences that started in the period and ended by the cut-off"})
    attended = fields.Integer(metadata={"description": "Check-ins at them recorded by the cut-off"})


# -- event payloads ----------------------------------------------------------------------------

class ActivityPublished(Schema):
    """Payload of ``activity.published``: who is invited (``criteria``, already narrowed to the
    publishing agency's region) to what, where and when."""

    activity_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    agency_name = fields.String(allow_none=True)
    region_code = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    service_area = fields.String(required=True)
    venue = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    first_starts_at = ChinaDateTime(required=True)
    last_starts_at = ChinaDateTime(required=True)
    occurrences = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    criteria = fields.Dict(required=True)


class OccurrenceStep(Schema):
    """What every event about one enterprise at one occurrence names."""

    occurrence_id = fields.Integer(required=True)
    activity_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True, metadata={"description": "The agency or station holding it"})
    uscc = fields.String(required=True)


class RegistrationChanged(OccurrenceStep):
    """Payload of ``activity.registered``, ``activity.waitlisted`` and ``activity.registration_cancelled``."""

    state = fields.String(required=True, validate=validate.OneOf(REGISTRATION_STATES))
    previous_state = fields.String(allow_none=True)
    starts_at = ChinaDateTime(required=True)


class Promoted(RegistrationChanged):
    """Payload of ``activity.promoted``: the enterprise moved up from the waitlist to a place, which
    the notifications service tells it of (what, when, where) with nothing more to look up."""

    title = fields.String(required=True)
    ends_at = ChinaDateTime(required=True)
    agency_name = fields.String(allow_none=True, metadata={"description": "The agency or station holding it"})
    venue = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)


class OccurrenceRescheduled(Schema):
    """Payload of ``activity.rescheduled``: a provisional occurrence moved when its year's holiday
    schedule was loaded. Its registrations stand; the enterprises holding them are named, so that
    the notifications service tells each of the move."""

    occurrence_id = fields.Integer(required=True)
    activity_id = fields.Integer(required=True)
    agency_id = fields.Integer(required=True)
    title = fields.String(required=True)
    planned_on = fields.Date(required=True, metadata={"description": "The day the rule gives"})
    from_day = fields.Date(required=True)
    to_day = fields.Date(required=True)
    starts_at = ChinaDateTime(required=True, metadata={"description": "Its start on the new day"})
    registered = fields.List(fields.String(), required=True,
                             metadata={"description": "USCCs of the enterprises holding a place, in queue order"})
    waitlisted = fields.List(fields.String(), required=True,
                             metadata={"description": "USCCs of the enterprises on its waitlist, in queue order"})


class CheckedIn(OccurrenceStep):
    """Payload of ``activity.checked_in``."""

    by = fields.String(required=True, metadata={"description": "The staff member's token subject"})


class ActivityRated(OccurrenceStep):
    """Payload of ``activity.rated``."""

    score = fields.Integer(required=True)


class LeadFirmRegistered(Schema):
    """Payload of ``lead_firm.registered``."""

    lead_firm_id = fields.Integer(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    region_code = fields.String(required=True)
    industry_codes = fields.List(fields.String(), required=True)


class ChainNeedStep(Schema):
    """Payload of ``chain_need.posted``, ``.offered``, ``.shortlisted``, ``.outcome_recorded`` and
    ``.closed``: the need, and for the steps of one offer the offer and its SME."""

    need_id = fields.Integer(required=True)
    lead_firm_id = fields.Integer(required=True)
    region_code = fields.String(required=True, metadata={"description": "The lead firm's region"})
    industry_codes = fields.List(fields.String(), required=True)
    offer_id = fields.Integer(allow_none=True)
    uscc = fields.String(allow_none=True)
    sme_region_code = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class FinancingNeedStep(Schema):
    """Payload of ``financing_need.posted``, ``.offered``, ``.accepted`` and ``.outcome_recorded``."""

    need_id = fields.Integer(required=True)
    uscc = fields.String(required=True)
    region_code = fields.String(required=True, metadata={"description": "The SME's region"})
    amount = fields.Float(required=True)
    offer_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True)
    funded_amount = fields.Float(allow_none=True)
    days_to_funding = fields.Integer(allow_none=True)


# What the activities service publishes on onenet.events: type → payload schema (its outbox checks each event).
EVENTS = {
    "activity.published": ActivityPublished,
    **{event_type: RegistrationChanged for event_type in (
        "activity.registered", "activity.waitlisted", "activity.registration_cancelled")},
    "activity.promoted": Promoted,
    "activity.checked_in": CheckedIn,
    "activity.rated": ActivityRated,
    "activity.rescheduled": OccurrenceRescheduled,
    "lead_firm.registered": LeadFirmRegistered,
    **{f"chain_need.{step}": ChainNeedStep
       for step in ("posted", "offered", "shortlisted", "outcome_recorded", "closed")},
    **{f"financing_need.{step}": FinancingNeedStep
       for step in ("posted", "offered", "accepted", "outcome_recorded")},
}
