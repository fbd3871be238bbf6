"""Routes over the notifications service: inboxes, preferences, webhooks, push results.

Who sees what: an enterprise user its enterprise's inbox; agency staff their
agency's shared inbox; each of them also the notices addressed to them in
person (e.g. that a webhook they made was paused). Preferences and webhook
subscriptions belong to the enterprise or the agency. A notice or subscription
of anyone else answers 404. Push results (who a policy reached) are for
admins, within their region; "why and why not" for the enterprise itself and
the admins and agency staff of its region.
"""
from marshmallow import Schema, fields, validate

from chassis.errors import NotFound as NoSuchRecord
from reference import regions
from reference.credit_codes import CreditCode
from gateway import access, auth
from gateway.api import hidden, route
from gateway.routes.enterprises import visible_enterprise
from gateway.rpc import ServiceProxy, in_parallel, result
from services.agencies.schemas import NATIONWIDE
from services.enterprises.schemas import criterion_in_words
from services.notifications import schemas

INBOX_OWNERS = access.callers(auth.ENTERPRISE, auth.AGENCY_STAFF)
# One's own notice or subscription (an enterprise's, or an agency's for its staff); anyone
# else's answers as if it did not exist.
OWN_ONLY = """
    enterprise    ok  hidden  hidden
    agency_staff  ok  hidden  hidden"""
# Push results: admins, for policies reaching into their region.
PUSH_RESULTS = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""
# Why and why not: the enterprise itself, and admins and agency staff of its region.
WHY_READERS = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok
    agency_staff    ok  hidden  ok
    enterprise      ok  hidden  hidden"""


def recipient_of(principal):
    """Whose preferences and webhooks the caller manages: its enterprise or its agency."""
    if principal.role == auth.ENTERPRISE:
        return [schemas.ENTERPRISE, principal.scope]
    return [schemas.AGENCY, principal.scope]


def recipients_of(principal):
    """Every inbox the caller reads: its enterprise's or agency's, and its own in person."""
    return [recipient_of(principal), [schemas.USER, principal.subject]]


class WhyQuery(Schema):
    uscc = CreditCode(required=True, metadata={"description": "The enterprise asked about"})


class CriterionWhy(Schema):
    criterion = fields.String()
    passed = fields.Boolean()
    required = fields.Raw()
    actual = fields.Raw(metadata={"description": "The enterprise's value"})
    text = fields.String(metadata={"description": "The criterion in words"})


class PolicyWhy(Schema):
    """Why an enterprise does or does not meet a policy, criterion by criterion."""

    policy_id = fields.Integer()
    uscc = fields.String()
    matches = fields.Boolean()
    criteria = fields.List(fields.Nested(CriterionWhy))


class Deleted(Schema):
    id = fields.Integer()
    state = fields.String(validate=validate.OneOf(("deleted",)))


def overlaps(principal, region_code):
    """Whether a policy scoped to ``region_code`` (000000: nationwide) reaches into the
    caller's region, or the caller's region into it."""
    if principal.role == auth.NATIONAL_ADMIN or region_code == NATIONWIDE:
        return True
    prefix, policy_prefix = principal.region_prefix, regions.prefix(region_code)
    return prefix is not None and (prefix.startswith(policy_prefix) or policy_prefix.startswith(prefix))


class NotificationRoutes:
    notifications = ServiceProxy("notifications")
    agencies = ServiceProxy("agencies")
    enterprises = ServiceProxy("enterprises")

    # -- the inbox ---------------------------------------------------------------------------

    @route("GET", "/api/v1/notifications", access=INBOX_OWNERS, query=schemas.InboxQuery,
           response=schemas.NoticePage, tags=["notifications"],
           summary="The caller's inbox, newest first, by kind and read state; keyset pages (next_cursor)",
           order="newest first, then by notice id (descending)")
    def list_notifications(self, call):
        return self.notifications.inbox_page(recipients_of(call.principal), call.query)

    @route("GET", "/api/v1/notifications/unread-count", access=INBOX_OWNERS, response=schemas.UnreadCount,
           tags=["notifications"], summary="How many of the caller's notices are unread, by kind")
    def unread_notifications(self, call):
        return self.notifications.unread_count(recipients_of(call.principal))

    @route("POST", "/api/v1/notifications/<notice_id>/read", access=OWN_ONLY, response=schemas.Notice,
           tags=["notifications"], summary="Mark one of the caller's notices read")
    def read_notification(self, call, notice_id):
        return self.notifications.mark_read(recipients_of(call.principal), notice_id)

    @route("POST", "/api/v1/notifications/read-all", access=INBOX_OWNERS, query=schemas.KindFilter,
           response=schemas.MarkedRead, tags=["notifications"],
           summary="Mark all the caller's notices read (of one kind, with ?kind=)")
    def read_all_notifications(self, call):
        return self.notifications.mark_all_read(recipients_of(call.principal), call.query.get("kind"))

    @route("GET", "/api/v1/notifications/preferences", access=INBOX_OWNERS, response=schemas.Preferences,
           tags=["notifications"], summary="Which kinds go to which channels, e-mail address, quiet hours")
    def get_notification_preferences(self, call):
        return self.notifications.get_preferences(recipient_of(call.principal))

    @route("PUT", "/api/v1/notifications/preferences", access=INBOX_OWNERS, body=schemas.Preferences,
           response=schemas.Preferences, tags=["notifications"],
           summary="Replace the preferences (in_app is always on; quiet hours hold e-mail and webhooks)")
    def set_notification_preferences(self, call):
        return self.notifications.set_preferences(recipient_of(call.principal), call.body)

    # -- webhooks ---------------------------------------------------------------------------------

    @route("POST", "/api/v1/webhooks", access=INBOX_OWNERS, body=schemas.WebhookRequest,
           response=schemas.WebhookCreated, status=201, tags=["webhooks"],
           summary="Subscribe a URL to the caller's notices; the signing secret is shown only now")
    def create_webhook(self, call):
        return self.notifications.subscribe_webhook(recipient_of(call.principal), call.principal.subject,
                                                    call.body)

    @route("GET", "/api/v1/webhooks", access=INBOX_OWNERS, response=schemas.WebhookList, tags=["webhooks"],
           summary="The caller's webhook subscriptions (secrets are never shown again)",
           order="in the order they were made (oldest first)")
    def list_webhooks(self, call):
        return self.notifications.list_webhooks(recipient_of(call.principal))

    @route("DELETE", "/api/v1/webhooks/<subscription_id>", access=OWN_ONLY, response=Deleted,
           tags=["webhooks"], summary="End a webhook subscription; deliveries not yet made are cancelled")
    def delete_webhook(self, call, subscription_id):
        return self.notifications.delete_webhook(recipient_of(call.principal), subscription_id)

    @route("POST", "/api/v1/webhooks/<subscription_id>/ping", access=OWN_ONLY, response=schemas.PingResult,
           tags=["webhooks"], summary="Send a signed test request now; a paused subscription that answers resumes")
    def ping_webhook(self, call, subscription_id):
        return self.notifications.ping_webhook(recipient_of(call.principal), subscription_id)

    @route("GET", "/api/v1/webhooks/<subscription_id>/deliveries", access=OWN_ONLY,
           query=schemas.DeliveryQuery, response=schemas.DeliveryPage, tags=["webhooks"],
           summary="The delivery log of a subscription: every attempt, status, last error, next try",
           order="newest first")
    def webhook_deliveries(self, call, subscription_id):
        return self.notifications.webhook_deliveries(recipient_of(call.principal), subscription_id, call.query)

    # -- push results -------------------------------------------------------------------------------

    def _published_policy(self, policy_id):
        """A policy that was published (one never published does not exist here), else 404."""
        try:
            policy = self.agencies.get_policy(policy_id)
        except NoSuchRecord:
            policy = None
        if policy is None or not policy.get("published_at"):
            raise hidden("policy", policy_id)
        return policy

    @route("GET", "/api/v1/policies/<int:policy_id>/matches", access=PUSH_RESULTS, query=schemas.MatchQuery,
           response=schemas.PolicyMatches, tags=["policies"],
           summary="Who the policy was pushed to within the caller's region: count, and keyset pages of "
                   "enterprises with the state of each delivery",
           order="by USCC")
    def policy_matches(self, call, policy_id):
        policy = self._published_policy(policy_id)
        if not overlaps(call.principal, policy["region_code"]):
            raise hidden("policy", policy_id)
        within = None if call.principal.role == auth.NATIONAL_ADMIN else call.principal.region_prefix
        return self.notifications.policy_matches(policy_id, within, call.query)

    @route("GET", "/api/v1/policies/<int:policy_id>/why", access=WHY_READERS, query=WhyQuery,
           response=PolicyWhy, tags=["policies"],
           summary="Why an enterprise does or does not meet a policy: each criterion, pass or fail, "
                   "with the enterprise's value")
    def policy_why(self, call, policy_id):
        """The enterprise is looked at first: one outside the caller's scope answers as if it
        did not exist, whatever the policy."""
        uscc = call.query["uscc"]
        found = in_parallel(policy=lambda: self._published_policy(policy_id),
                            criteria=lambda: self.agencies.policy_criteria(policy_id),
                            profile=lambda: self.enterprises.get(uscc))
        visible_enterprise(call.principal, uscc, lambda: result(found["profile"]), self.agencies)
        result(found["policy"])
        explanation = self.enterprises.explain(uscc, result(found["criteria"]))
        verdicts = [dict(verdict, text=criterion_in_words(verdict["criterion"], verdict["required"]))
                    for verdict in explanation["criteria"]]
        return {"policy_id": policy_id, "uscc": uscc, "matches": explanation["matches"], "criteria": verdicts}
