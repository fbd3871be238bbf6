"""Routes over the matchmaking boards of the activities service (融通对接).

Lead firms (链主企业) are registered by admins of their region and act
through ``lead_firm`` tokens (claim ``lead_firm_id``). Supply-chain needs are
read by every signed-in caller; their suggestions and offers only by the lead
firm that posted the need and admins of its region (an SME sees its own
offer); the lead firm alone shortlists, records outcomes and closes.

Financing needs are posted by SMEs and seen by the SME, by admins of its
region and, while open, by providers admitted in ``finance_talent`` whose
region contains the SME's (a provider acts through its enterprise user, as in
the provider library); outside that view a need answers like one that does
not exist. The SME alone accepts an offer and records the outcome.
"""
from marshmallow import Schema, fields

from gateway import access, auth, pages
from gateway.api import Forbidden, hidden, require_region, route
from gateway.rpc import ServiceProxy
from services.activities import schemas

LeadFirmPage = pages.page_schema(schemas.LeadFirm, "LeadFirmPage")
ChainNeedPage = pages.page_schema(schemas.ChainNeed, "ChainNeedPage")
ChainOfferPage = pages.page_schema(schemas.ChainOffer, "ChainOfferPage")
FinancingNeedPage = pages.page_schema(schemas.FinancingNeed, "FinancingNeedPage")
NeedQuery = type("NeedQuery", (pages.PageQuery, schemas.NeedFilter), {})
FinancingQuery = type("FinancingQuery", (pages.PageQuery, schemas.FinancingFilter), {})
FinancingOffers = Schema.from_dict({"items": fields.List(fields.Nested(schemas.FinancingOffer))},
                                   name="FinancingOffers")
BOARD_READERS = auth.REGION_ADMINS + (auth.AGENCY_STAFF, auth.ENTERPRISE, auth.LEAD_FIRM)
FINANCE_PARTIES = auth.REGION_ADMINS + (auth.ENTERPRISE,)
# A supply-chain need (own: the caller's, or its region's lead firm's; other region: a lead firm's
# elsewhere; other enterprise: another lead firm's of the same region). Needs are public to
# signed-in callers; what is said on them belongs to the lead firm and its region's admins.
NEED_KEEPERS = """
    national_admin  ok  ok       ok
    region_admins   ok  refused  ok
    lead_firm       ok  refused  refused"""
NEED_OWNER = "lead_firm ok refused refused"
# A financing need (own: the caller's, or of its region; other enterprise: another SME's of the region).
FINANCING_VIEW = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok
    enterprise      ok  hidden  hidden"""


def viewer_of(principal):
    """The caller as the activities service reads it."""
    return {"role": principal.role, "scope": principal.scope, "subject": principal.subject,
            "region_prefix": principal.region_prefix}


class MatchmakingRoutes:
    activities = ServiceProxy("activities")

    # -- lead firms ---------------------------------------------------------------------------

    @route("POST", "/api/v1/lead-firms", access="""
               national_admin  ok  ok       -
               region_admins   ok  refused  -""", body=schemas.LeadFirmRegistration,
           response=schemas.LeadFirm, status=201, tags=["matchmaking"],
           summary="Register a lead firm (链主企业, not an SME) of the caller's region",
           emits=("lead_firm.registered",))
    def register_lead_firm(self, call):
        require_region(call.principal, call.body["region_code"], "a lead firm")
        return self.activities.register_lead_firm(call.body, call.principal.subject)

    @route("GET", "/api/v1/lead-firms", access=access.callers(*auth.REGION_ADMINS), query=pages.PageQuery, response=LeadFirmPage,
           tags=["matchmaking"], summary="Lead firms of the caller's region",
           order="in the order they were registered (oldest first)")
    def list_lead_firms(self, call):
        limit, offset = pages.window(call.query)
        found = self.activities.list_lead_firms(call.principal.region_prefix or "", limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("GET", "/api/v1/lead-firms/<int:lead_firm_id>", access="""
               national_admin  ok  ok      ok
               region_admins   ok  hidden  ok
               lead_firm       ok  hidden  hidden""",
           response=schemas.LeadFirm, tags=["matchmaking"], summary="One lead firm (itself, or its region's admins)")
    def get_lead_firm(self, call, lead_firm_id):
        firm = self.activities.get_lead_firm(lead_firm_id)
        if not (call.principal.is_lead_firm(lead_firm_id) or call.principal.covers_region(firm["region_code"])):
            raise hidden("lead firm", lead_firm_id)
        return firm

    # -- supply-chain needs ---------------------------------------------------------------------

    @route("POST", "/api/v1/supply-chain-needs", access=access.callers(auth.LEAD_FIRM), body=schemas.ChainNeedPosting,
           response=schemas.ChainNeed, status=201, tags=["matchmaking"],
           summary="Post a sourcing need (链主需求): industries, what, where, quantity, deadline",
           emits=("chain_need.posted",))
    def post_chain_need(self, call):
        return self.activities.post_chain_need(int(call.principal.scope), call.body)

    @route("GET", "/api/v1/supply-chain-needs", access=access.callers(*BOARD_READERS), query=NeedQuery, response=ChainNeedPage,
           tags=["matchmaking"], summary="Supply-chain needs (open by default); a lead firm sees its own",
           order="newest first")
    def list_chain_needs(self, call):
        own = int(call.principal.scope) if call.principal.role == auth.LEAD_FIRM else None
        return pages.listed(call.query, self.activities.list_chain_needs, lead_firm_id=own)

    @route("GET", "/api/v1/supply-chain-needs/<int:need_id>", access="\n".join(
               f"{role} ok ok ok" for role in BOARD_READERS), response=schemas.ChainNeed,
           tags=["matchmaking"], summary="One supply-chain need")
    def get_chain_need(self, call, need_id):
        return self.activities.get_chain_need(need_id)

    @route("GET", "/api/v1/supply-chain-needs/<int:need_id>/suggestions", access=NEED_KEEPERS,
           response=schemas.Suggestions, tags=["matchmaking"],
           summary="SMEs OneNet suggests for the need, each with its reasons",
           order="best fit first (size class and tiers the need asks for), then by USCC")
    def suggest_suppliers(self, call, need_id):
        self._need_keeper(call.principal, need_id)
        return self.activities.suggest_suppliers(need_id)

    @route("POST", "/api/v1/supply-chain-needs/<int:need_id>/offers", access="enterprise ok ok ok",
           body=schemas.ChainOfferInput, response=schemas.ChainOffer, status=201, tags=["matchmaking"],
           summary="The calling SME's interest in a need, with a short offer (409 once the need is closed)",
           emits=("chain_need.offered",))
    def offer_on_chain_need(self, call, need_id):
        return self.activities.offer_on_chain_need(need_id, call.principal.scope, call.body)

    @route("GET", "/api/v1/supply-chain-needs/<int:need_id>/offers", access=NEED_KEEPERS + """
               enterprise      ok  ok       ok""", query=pages.PageQuery, response=ChainOfferPage, tags=["matchmaking"],
           summary="Offers on a need: the lead firm that posted it and its region's admins; an SME its own",
           order="in the order they were made (oldest first)")
    def list_chain_offers(self, call, need_id):
        limit, offset = pages.window(call.query)
        only = call.principal.scope if call.principal.role == auth.ENTERPRISE else None
        if only is None:
            self._need_keeper(call.principal, need_id)
        found = self.activities.chain_offers(need_id, only, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("POST", "/api/v1/supply-chain-offers/<int:offer_id>/shortlist", access=NEED_OWNER,
           response=schemas.ChainOffer, tags=["matchmaking"],
           summary="Shortlist an offer (the lead firm that posted the need)",
           emits=("chain_need.shortlisted",))
    def shortlist_offer(self, call, offer_id):
        self._offer_owner(call.principal, offer_id)
        return self.activities.shortlist_offer(offer_id)

    @route("POST", "/api/v1/supply-chain-offers/<int:offer_id>/outcome", access=NEED_OWNER,
           body=schemas.ChainOutcomeInput, response=schemas.ChainOffer, tags=["matchmaking"],
           summary="Record what came of a shortlisted offer: contacted, sampled, contracted or declined",
           emits=("chain_need.outcome_recorded",))
    def record_chain_outcome(self, call, offer_id):
        self._offer_owner(call.principal, offer_id)
        return self.activities.record_chain_outcome(offer_id, call.body)

    @route("POST", "/api/v1/supply-chain-needs/<int:need_id>/close", access=NEED_OWNER,
           response=schemas.ChainNeed, tags=["matchmaking"], summary="Close a need: it takes no more offers",
           emits=("chain_need.closed",))
    def close_chain_need(self, call, need_id):
        self._need_owner(call.principal, need_id)
        return self.activities.close_chain_need(need_id)

    def _need_owner(self, principal, need_id):
        need = self.activities.get_chain_need(need_id)
        if not principal.is_lead_firm(need["lead_firm_id"]):
            raise Forbidden(f"need {need_id} was posted by another lead firm", {"need_id": need_id})
        return need

    def _offer_owner(self, principal, offer_id):
        return self._need_owner(principal, self.activities.get_chain_offer(offer_id)["need_id"])

    def _need_keeper(self, principal, need_id):
        """The need, when the caller posted it or administers its lead firm's region; else 403."""
        need = self.activities.get_chain_need(need_id)
        if principal.role == auth.LEAD_FIRM:
            return self._need_owner(principal, need_id)
        require_region(principal, need["region_code"], f"need {need_id}")
        return need

    # -- financing needs ----------------------------------------------------------------------------

    @route("POST", "/api/v1/financing-needs", access=access.callers(auth.ENTERPRISE), body=schemas.FinancingNeedPosting,
           response=schemas.FinancingNeed, status=201, tags=["matchmaking"],
           summary="Post the calling SME's financing need (融资需求): amount, term, purpose, collateral",
           emits=("financing_need.posted",))
    def post_financing_need(self, call):
        return self.activities.post_financing_need(call.principal.scope, call.body)

    @route("GET", "/api/v1/financing-needs", access=access.callers(*FINANCE_PARTIES), query=FinancingQuery,
           response=FinancingNeedPage, tags=["matchmaking"],
           summary="Financing needs the caller sees: its own; open ones of its region for a finance provider; "
                   "its region's for admins",
           order="newest first")
    def list_financing_needs(self, call):
        return pages.listed(call.query, self.activities.list_financing_needs, viewer_of(call.principal))

    @route("GET", "/api/v1/financing-needs/<int:need_id>", access=FINANCING_VIEW, response=schemas.FinancingNeed,
           tags=["matchmaking"], summary="One financing need (outside the caller's view: 404)")
    def get_financing_need(self, call, need_id):
        return self.activities.get_financing_need(need_id, viewer_of(call.principal))

    @route("POST", "/api/v1/financing-needs/<int:need_id>/offers", access="enterprise ok hidden ok",
           body=schemas.FinancingOfferInput, response=schemas.FinancingOffer, status=201, tags=["matchmaking"],
           summary="A finance provider's offer on an open need of its region",
           emits=("financing_need.offered",))
    def offer_financing(self, call, need_id):
        return self.activities.offer_financing(need_id, viewer_of(call.principal), call.body)

    @route("GET", "/api/v1/financing-needs/<int:need_id>/offers", access=FINANCING_VIEW, response=FinancingOffers,
           tags=["matchmaking"], summary="Offers on a need: all for its SME and admins, its own for a provider",
           order="in the order they were made (oldest first)")
    def list_financing_offers(self, call, need_id):
        return self.activities.financing_offers(need_id, viewer_of(call.principal))

    @route("POST", "/api/v1/financing-offers/<int:offer_id>/accept", access="enterprise ok hidden hidden",
           response=schemas.FinancingNeed, tags=["matchmaking"],
           summary="The SME that posted the need accepts this offer; the others are not chosen",
           emits=("financing_need.accepted",))
    def accept_financing_offer(self, call, offer_id):
        return self.activities.accept_financing_offer(offer_id, viewer_of(call.principal))

    @route("POST", "/api/v1/financing-needs/<int:need_id>/outcome", access="enterprise ok hidden hidden",
           body=schemas.FundingOutcomeInput, response=schemas.FinancingNeed, tags=["matchmaking"],
           summary="The SME records whether the accepted offer was funded, how much and when",
           emits=("financing_need.outcome_recorded",))
    def record_funding(self, call, need_id):
        return self.activities.record_funding(need_id, call.body, viewer_of(call.principal))
