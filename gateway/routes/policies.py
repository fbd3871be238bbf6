"""Routes over the policies of the basic-information library (政策).

Published, expired and withdrawn policies are public; drafts are seen and
changed only by admins whose region covers the policy's scope.
"""
from marshmallow import Schema, fields

from chassis.errors import NotFound as NoSuchRecord
from gateway import auth, pages
from gateway.api import NotFound, Unprocessable, require_region, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas

PolicyPage = pages.page_schema(schemas.Policy, "PolicyPage")
PolicyQuery = type("PolicyQuery", (pages.PageQuery, schemas.PolicyFilter), {})
DraftQuery = type("PolicyDraftQuery", (pages.PageQuery,), {})


class PolicyReach(Schema):
    policy_id = fields.Integer()
    matching_enterprises = fields.Integer(metadata={"description": "Registered SMEs meeting the eligibility now"})


class PolicyRoutes:
    agencies = ServiceProxy("agencies")
    enterprises = ServiceProxy("enterprises")

    @route("GET", "/api/v1/policies", public=True, query=PolicyQuery, response=PolicyPage,
           tags=["policies"], summary="Policies (published by default; or expired, withdrawn)")
    def list_policies(self, call):
        query = dict(call.query)
        limit, offset = pages.window(query)
        filters = {key: query[key] for key in ("area", "region", "agency_id") if key in query}
        found = self.agencies.list_policies({**filters, "states": [query["state"]]}, limit, offset)
        return pages.page_of(found["items"], found["total"], query)

    @route("GET", "/api/v1/policies/drafts", roles=auth.REGION_ADMINS, query=DraftQuery, response=PolicyPage,
           tags=["policies"], summary="Draft policies whose scope lies in the caller's region")
    def list_policy_drafts(self, call):
        limit, offset = pages.window(call.query)
        within = "" if call.principal.role == auth.NATIONAL_ADMIN else call.principal.region_prefix
        found = self.agencies.list_policies({"states": ["draft"], "within": within}, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("GET", "/api/v1/policies/<int:policy_id>", public=True, response=schemas.Policy,
           tags=["policies"], summary="One policy (drafts are not public)")
    def get_policy(self, call, policy_id):
        policy = self.agencies.get_policy(policy_id)
        if policy["state"] == "draft":
            raise NotFound(f"no policy with id {policy_id}", {"policy_id": policy_id})
        return policy

    @route("POST", "/api/v1/policies", roles=auth.REGION_ADMINS, body=schemas.PolicyDraft,
           response=schemas.Policy, status=201, tags=["policies"],
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

    @route("PATCH", "/api/v1/policies/<int:policy_id>", roles=auth.REGION_ADMINS, body=schemas.PolicyChanges,
           response=schemas.Policy, tags=["policies"], summary="Change a draft policy")
    def update_policy(self, call, policy_id):
        self._policy_in_scope(call, policy_id)
        if "region_code" in call.body:
            require_region(call.principal, call.body["region_code"], "a policy")
        return self.agencies.update_policy(policy_id, call.body)

    @route("POST", "/api/v1/policies/<int:policy_id>/publish", roles=auth.REGION_ADMINS,
           response=schemas.Policy, tags=["policies"],
           summary="Publish a draft; it is pushed to every eligible SME")
    def publish_policy(self, call, policy_id):
        self._policy_in_scope(call, policy_id)
        return self.agencies.publish_policy(policy_id)

    @route("POST", "/api/v1/policies/<int:policy_id>/withdraw", roles=auth.REGION_ADMINS,
           body=schemas.PolicyWithdrawal, response=schemas.Policy, tags=["policies"],
           summary="Withdraw a draft or published policy, with the reason")
    def withdraw_policy(self, call, policy_id):
        self._policy_in_scope(call, policy_id)
        return self.agencies.withdraw_policy(policy_id, call.body["reason"])

    @route("GET", "/api/v1/policies/<int:policy_id>/reach", roles=auth.REGION_ADMINS, response=PolicyReach,
           tags=["policies"], summary="How many registered SMEs meet the policy's eligibility")
    def policy_reach(self, call, policy_id):
        policy = self._policy_in_scope(call, policy_id)
        criteria = self.agencies.policy_criteria(policy_id)
        return {"policy_id": policy["id"], "matching_enterprises": self.enterprises.count_matching(criteria)}

    def _policy_in_scope(self, call, policy_id):
        """The policy, when the caller administers its scope (drafts outside it: 404; else 403)."""
        policy = self.agencies.get_policy(policy_id)
        if not call.principal.covers_region(policy["region_code"]):
            if policy["state"] == "draft":
                raise NotFound(f"no policy with id {policy_id}", {"policy_id": policy_id})
            require_region(call.principal, policy["region_code"], f"policy {policy_id}")
        return policy
