"""The notifications service's contracts: inbox, preferences, webhooks, push results.

The gateway validates HTTP input with these schemas and passes the rest of
the answer through. Recipients are an enterprise (``enterprise``, by USCC), an
agency (``agency``, by id: its staff share the agency's inbox) or one person
(``user``, by token subject).
"""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis import keyset

ENTERPRISE, AGENCY, USER = "enterprise", "agency", "user"
RECIPIENT_KINDS = (ENTERPRISE, AGENCY, USER)

# What a notice is about; preferences choose channels per kind.
KINDS = {
    "welcome": "欢迎加入",
    "policy_match": "惠企政策推送（政策直享）",
    "activity_invitation": "服务活动邀请",
    "activity_update": "服务活动报名变动（候补转正、改期）",
    "request_update": "诉求办理进展（企业）",
    "request_new": "新诉求待办（承办机构）",
    "request_reopened": "诉求重新办理（承办机构）",
    "request_escalated": "诉求升级（上级机构）",
    "deadline_missed": "诉求超时（上级机构）",
    "revisit_due": "回访提醒（承办机构）",
    "provider_decision": "服务机构入库、出库决定",
    "provider_evaluation": "服务机构评估结果",
    "webhook_paused": "Webhook 订阅已暂停",
}
IN_APP, WEBHOOK, EMAIL = "in_app", "webhook", "email"
CHANNELS = (IN_APP, WEBHOOK, EMAIL)
# Without a saved preference a kind goes in-app and to the recipient's webhooks;
# e-mail is sent only to those who ask for it.
DEFAULT_CHANNELS = (IN_APP, WEBHOOK)
DELIVERY_STATES = ("pending", "sending", "held", "delivered", "given_up", "cancelled")

MAX_PAGE_SIZE = 100
MAX_SUBSCRIPTIONS = 10
MAX_URL_LENGTH = 2000
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# -- keyset lists (chassis.keyset): their names, which their cursors remember ---------------

INBOX_LIST, MATCHES_LIST, DELIVERIES_LIST = "notices", "policy_matches", "webhook_deliveries"
# The cursor of an inbox's second page, unfiltered.
INBOX_CURSOR_EXAMPLE = keyset.encode_position(
    INBOX_LIST, ["2026-03-31T10:00:00+08:00", "3f8e1a52-5b8a-4c1e-9d55-0d8f3e0f6a11"], {}, 2)

# The link to the following keyset page (the gateway's, with the same filters and next_cursor).
NEXT_LINK = {"description": "The following page (this query with cursor=next_cursor); null on the last",
             "example": "https://onenet.example.org/api/v1/notifications?page_size=20&cursor=" + INBOX_CURSOR_EXAMPLE}


def check_time_zone(value):
    """A time zone of the IANA database (``Asia/Shanghai``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {value!r}") from None


# -- inbox ---------------------------------------------------------------------------------

class NoticeAbout(Schema):
    type = fields.String(metadata={
        "description": "policy, activity, occurrence (of an activity), request, provider or webhook"})
    id = fields.String()


class Notice(Schema):
    """One notice in an inbox (站内信)."""

    id = fields.UUID()
    kind = fields.String(metadata={"description": "; ".join(f"{k} {v}" for k, v in KINDS.items())})
    title = fields.String()
    body = fields.String()
    about = fields.Nested(NoticeAbout, allow_none=True)
    no_longer_applies = fields.String(allow_none=True, metadata={
        "description": "For a policy notice unread when the policy was withdrawn or expired: why"})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class InboxQuery(Schema):
    """``?kind=policy_match&unread=true&page_size=20&cursor=...`` (cursor: ``next_cursor`` of
    the previous page)."""

    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    unread = fields.Boolean(metadata={"description": "true: unread only; false: read only"})
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = keyset.cursor_field(example=INBOX_CURSOR_EXAMPLE)


class NoticePage(Schema):
    items = fields.List(fields.Nested(Notice))
    page_size = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})
    next = fields.Url(allow_none=True, metadata=NEXT_LINK)


class KindFilter(Schema):
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))


class UnreadCount(Schema):
    unread = fields.Integer()
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())


class MarkedRead(Schema):
    marked = fields.Integer(metadata={"description": "Notices newly marked read"})


# -- preferences -----------------------------------------------------------------------------

class QuietHours(Schema):
    """Hours when e-mail and webhooks wait (the inbox does not); may span midnight."""

    start = fields.String(required=True, validate=validate.Regexp(_TIME, error="expected HH:MM"),
                          metadata={"example": "22:00"})
    end = fields.String(required=True, validate=validate.Regexp(_TIME, error="expected HH:MM"),
                        metadata={"example": "07:30"})
    time_zone = fields.String(load_default="Asia/Shanghai", validate=check_time_zone,
                              metadata={"example": "Asia/Shanghai"})

    @validates_schema
    def _span(self, data, **kwargs):
        if data.get("start") and data.get("start") == data.get("end"):
            raise ValidationError("start and end may not be the same", field_name="end")


class Preferences(Schema):
    """Which kinds go to which channels (in_app always), the e-mail address and quiet hours.

    A kind not listed goes to in_app and webhook. PUT replaces the whole set.
    """

    channels = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(KINDS))),
        values=fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(max=3)),
        load_default=dict, metadata={"example": {"policy_match": ["in_app", "email"]}})
    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=200))
    quiet_hours = fields.Nested(QuietHours, allow_none=True, load_default=None)

    @validates_schema
    def _email_needed(self, data, **kwargs):
        wants_email = [kind for kind, channels in (data.get("channels") or {}).items() if EMAIL in channels]
        if wants_email and not data.get("email"):
            raise ValidationError(f"an e-mail address is needed for {', '.join(sorted(wants_email))}",
                                  field_name="email")


# -- webhooks ---------------------------------------------------------------------------------

class WebhookRequest(Schema):
    """A webhook subscription: the recipient's notices are POSTed to ``url``, signed."""

    url = fields.String(required=True, validate=validate.Length(min=8, max=MAX_URL_LENGTH),
                        metadata={"description": "https URL (http only into networks the operator allows)",
                                  "example": "https://erp.example.com/onenet/hooks"})
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookSubscription(Schema):
    id = fields.Integer()
    url = fields.String()
    description = fields.String()
    state = fields.String(validate=validate.OneOf(("active", "paused", "deleted")))
    consecutive_failures = fields.Integer()
    paused_at = fields.DateTime(allow_none=True)
    paused_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WebhookCreated(WebhookSubscription):
    secret = fields.String(metadata={
        "description": "whsec_… signing secret (Standard Webhooks); shown only in this answer"})


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookSubscription))


class PingResult(Schema):
    delivered = fields.Boolean()
    status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    state = fields.String(metadata={"description": "The subscription's state after the ping "
                                                   "(a paused one resumes when its ping is answered)"})


class DeliveryAttempt(Schema):
    attempt = fields.Integer()
    at = fields.DateTime()
    outcome = fields.String()
    status = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)


class Delivery(Schema):
    """One delivery of one notice over one channel, with every attempt."""

    id = fields.Integer()
    notice_id = fields.UUID()
    kind = fields.String()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    state = fields.String(validate=validate.OneOf(DELIVERY_STATES))
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True, metadata={"description": "Next try (pending only)"})
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    attempt_log = fields.List(fields.Nested(DeliveryAttempt))


class DeliveryPage(Schema):
    items = fields.List(fields.Nested(Delivery))
    page_size = fields.Integer()
    next_cursor = fields.String(allow_none=True)
    next = fields.Url(allow_none=True, metadata=NEXT_LINK)


class DeliveryQuery(Schema):
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = keyset.cursor_field(example=keyset.encode_position(DELIVERIES_LIST, [41], {}, 2))


# -- policy push results ------------------------------------------------------------------------

class ChannelState(Schema):
    channel = fields.String()
    state = fields.String()
    attempts = fields.Integer()


class PolicyMatch(Schema):
    """One enterprise a policy was pushed to, with what became of its notice."""

    uscc = fields.String()
    region_code = fields.String()
    notified_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    requested_at = fields.DateTime(allow_none=True, metadata={"description": "When it raised a request about it"})
    deliveries = fields.List(fields.Nested(ChannelState), metadata={"description": "in_app is always delivered"})


class MatchQuery(Schema):
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    cursor = keyset.cursor_field(example=keyset.encode_position(MATCHES_LIST, ["91110000600037341L"], {}, 2))


class PushProgress(Schema):
    state = fields.String(allow_none=True, metadata={"description": "pushing, done or stopped; null: not pushed"})
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class PolicyMatches(Schema):
    """Who a policy was pushed to, within the caller's region."""

    policy_id = fields.Integer()
    within = fields.String(allow_none=True, metadata={"description": "Region prefix; null: nationwide"})
    count = fields.Integer(metadata={"description": "Enterprises notified within the region"})
    push = fields.Nested(PushProgress)
    items = fields.List(fields.Nested(PolicyMatch))
    page_size = fields.Integer()
    next_cursor = fields.String(allow_none=True)
    next = fields.Url(allow_none=True, metadata=NEXT_LINK)


class PushReach(Schema):
    """Push effectiveness (应知尽知) within a region."""

    notified = fields.Integer(metadata={"description": "Enterprises sent a notice"})
    read = fields.Integer(metadata={"description": "... that read it"})
    requested = fields.Integer(metadata={"description": "... that then raised a request about the policy"})
    delivered = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "Delivered outside the inbox, by channel"})


class RegionPolicyReach(Schema):
    """政策直享 in one region code over a period, as recorded by a cut-off (what the agencies
    service's scoring runs read)."""

    region_code = fields.String(metadata={"description": "The enterprises' region when they were told"})
    reached = fields.Integer(metadata={"description": "Enterprises told of at least one policy in the period, "
                                                      "each counted in the region of its first such notice"})
    notices = fields.Integer(metadata={"description": "Policy notices written in the period by the cut-off"})
    read = fields.Integer(metadata={"description": "... of which read by the cut-off"})


# -- event payload this service reads beyond the other services' contracts ------------------------

def recipient(kind, recipient_id):
    """A recipient as the service's RPCs take it: ``[kind, id]``."""
    if kind not in RECIPIENT_KINDS:
        raise ValueError(f"unknown recipient kind {kind!r}")
    return [kind, str(recipient_id)]
