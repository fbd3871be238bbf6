"""Routes over the policies of the basic-information library (政策).

A policy that has been published is public for good (published, expired or
withdrawn after publication). One that was never published (a draft, or a
draft withdrawn) is private to the admins whose region covers its scope;
anyone else gets the answer of a policy that does not exist. Only admins at
the issuing agency's level or above, within its region, may change, publish
or withdraw a policy: a county admin never publishes what its province drafted.
"""
from marshmallow import fields

from chassis.errors import NotFound as NoSuchRecord
from gateway import access, auth, pages
from gateway.api import Unprocessable, hidden, require_region, route
from gateway.rpc import ServiceProxy, in_parallel, result
from services.agencies import schemas
from services.notifications.schemas import PushReach

PolicyPage = pages.page_schema(schemas.Policy, "PolicyPage")
PolicyQuery = type("PolicyQuery", (pages.PageQuery, schemas.PolicyFilter), {})
DraftQuery = type("PolicyDraftQuery", (pages.PageQuery,), {})

# Acting on a policy: its issuing agency's region and level (the outcomes are for a draft).
ISSUERS = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""


class PolicyReach(PushReach):
    """How far a policy reached within the caller's region (应知尽知): who meets it now, who
    was notified, read it and then raised a request about it."""

    policy_id = fields.Integer()
    within = fields.String(allow_none=True, metadata={"description": "Region prefix; null: nationwide"})
    count = fields.Integer(metadata={"description": "Registered SMEs meeting the eligibility now (as "
                                                    "`POST /api/v1/enterprises/criteria/count` counts them)"})
    matching_enterprises = fields.Integer(metadata={"description": "Deprecated: the same as `count`",
                                                    "deprecated": True})


def reads_unpublished(principal, policy):
    """Whether the caller may see a policy that was never published: an admin of its scope."""
    return (principal is not None and principal.role in auth.REGION_ADMINS
            and principal.covers_region(policy["region_code"]))


class PolicyRoutes:
    agencies = ServiceProxy("agencies")
    enterprises = ServiceProxy("enterprises")
    notifications = ServiceProxy("notifications")

    @route("GET", "/api/v1/policies", access=access.PUBLIC, query=PolicyQuery, response=PolicyPage,
           tags=["policies"], summary="Policies (published by default; or expired, withdrawn after publication)",
           cached=True, order="most recently issued first, then by id (descending)")
    def list_policies(self, call):
        query = dict(call.query)
        limit, offset = pages.window(query)
        filters = {key: query[key] for key in ("area", "region", "agency_id") if key in query}
        found = self.agencies.list_policies({**filters, "states": [query["state"]], "published": True},
                                            limit, offset)
        return pages.page_of(found["items"], found["total"], query)

    @route("GET", "/api/v1/policies/drafts", access=access.callers(*auth.REGION_ADMINS), query=DraftQuery,
           response=PolicyPage, tags=["policies"],
           summary="Policies never published (drafts, and drafts withdrawn) whose scope lies in the "
                   "caller's region",
           order="most recently issued first, then by id (descending)")
    def list_policy_drafts(self, call):
        limit, offset = pages.window(call.query)
        within = "" if call.principal.role == auth.NATIONAL_ADMIN else call.principal.region_prefix
        found = self.agencies.list_policies({"states": ["draft", "withdrawn"], "published": False,
                                             "within": within}, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("GET", "/api/v1/policies/<int:policy_id>", access="""
               anonymous        hidden  hidden  -
               national_admin   ok      ok      -
               region_admins    ok      hidden  -
               agency_staff     hidden  hidden  -
               enterprise       hidden  hidden  -
               province_system  hidden  hidden  -""",
           response=schemas.Policy, tags=["policies"],
           summary="One policy; one never published only for admins of its scope (the outcomes "
                   "declared are for a draft: a published policy is everyone's)")
    def get_policy(self, call, policy_id):
        policy = self.agencies.get_policy(policy_id)
        if policy["published_at"] is None and not reads_unpublished(call.principal, policy):
            raise hidden("policy", policy_id)
        return policy

    @route("POST", "/api/v1/policies", access="""
               national_admin  ok  ok       -
               region_admins   ok  refused  -""",
           body=schemas.PolicyDraft, response=schemas.Policy, status=201, tags=["policies"],
           summary="Draft a policy for an agency of the caller's region")
    def create_policy(self, call):
        body = call.body
        require_region(call.principal, body.get("region_code", schemas.NATIONWIDE), "a policy")
        try:
            agency = self.agencies.get(body["agency_id"])
        except NoSuchRecord:
            raise Unprocessable(f"no agency with id {body['agency_id']}",
                                {"agency_id": [f"no agency with id {body['agency_id']}"]}) from None
        require_region(call.principal, agency["region_code"], f"publishing agency {agency['id']}")
        return self.agencies.create_policy(body)

    @route("PATCH", "/api/v1/policies/<int:policy_id>", access=ISSUERS, body=schemas.PolicyChanges,
           response=schemas.Policy, tags=["policies"], summary="Change a draft policy")
    def update_policy(self, call, policy_id):
        self._policy_of_issuer(call, policy_id)
        if "region_code" in call.body:
            require_region(call.principal, call.body["region_code"], "a policy")
        return self.agencies.update_policy(policy_id, call.body)

    @route("POST", "/api/v1/policies/<int:policy_id>/publish", access=ISSUERS,
           response=schemas.Policy, tags=["policies"],
           summary="Publish a draft: it becomes public, and the notifications service pushes a notice "
                   "(policy_match) to every registered SME that meets its criteria (see its reach)",
           emits=("policy.published",))
    def publish_policy(self, call, policy_id):
        self._policy_of_issuer(call, policy_id)
        return self.agencies.publish_policy(policy_id)

    @route("POST", "/api/v1/policies/<int:policy_id>/withdraw", access=ISSUERS,
           body=schemas.PolicyWithdrawal, response=schemas.Policy, tags=["policies"],
           summary="Withdraw a draft or published policy, with the reason",
           emits=("policy.withdrawn",))
    def withdraw_policy(self, call, policy_id):
        self._policy_of_issuer(call, policy_id)
        return self.agencies.withdraw_policy(policy_id, call.body["reason"])

    @route("GET", "/api/v1/policies/<int:policy_id>/reach", access=ISSUERS, response=PolicyReach,
           tags=["policies"], summary="How far the policy reached in the caller's region: matching SMEs, "
                                      "notified, read, then raised a request")
    def policy_reach(self, call, policy_id):
        policy = self.agencies.get_policy(policy_id)
        if not call.principal.covers_region(policy["region_code"]):
            raise hidden("policy", policy_id)
        within = None if call.principal.role == auth.NATIONAL_ADMIN else call.principal.region_prefix
        criteria = self.agencies.policy_criteria(policy_id)
        found = in_parallel(matching=lambda: self.enterprises.count_matching(criteria, within=within),
                            pushed=lambda: self.notifications.policy_reach(policy_id, within))
        matching = result(found["matching"])
        return {"policy_id": policy["id"], "within": within, "count": matching, "matching_enterprises": matching,
                **result(found["pushed"])}

    def _policy_of_issuer(self, call, policy_id):
        """The policy, when the caller administers its issuing agency's region (and so stands at
        that agency's level or above); else the answer of a policy that does not exist."""
        policy = self.agencies.get_policy(policy_id)
        issuer = self.agencies.get(policy["agency_id"])
        if not call.principal.covers_region(issuer["region_code"]):
            raise hidden("policy", policy_id)
        return policy
