"""Routes over the enterprises service: the SME database (一企一档).

Who sees what: an enterprise itself only; region administrators the
enterprises of their region; agency staff those in their agency's area (a
national agency: all); the national administrator all. Contact data (personal
data) is shown only to the enterprise and to administrators of its region.
Reading outside one's scope answers 404; writing answers 403.
"""
import structlog
from marshmallow import Schema, fields
from nameko.exceptions import MethodNotFound

from chassis import credit_codes, regions
from gateway import auth, pages
from gateway.api import ApiError, Forbidden, NotFound, require_region, route
from gateway.rpc import ServiceProxy, in_parallel, result
from services.enterprises import schemas

log = structlog.get_logger(__name__)

REGISTRARS = auth.REGION_ADMINS + (auth.PROVINCE_SYSTEM,)
READERS = auth.REGION_ADMINS + (auth.AGENCY_STAFF, auth.ENTERPRISE)
EDITORS = auth.REGION_ADMINS + (auth.PROVINCE_SYSTEM, auth.ENTERPRISE)
FINDERS = auth.REGION_ADMINS + (auth.AGENCY_STAFF,)
CONTACT_READERS = frozenset(auth.REGION_ADMINS + (auth.ENTERPRISE,))

EnterprisePage = pages.page_schema(schemas.EnterpriseSummary, "EnterprisePage")


class EnterpriseSearchQuery(pages.PageQuery, schemas.SearchFilters):
    """Page, filters and order of ``GET /api/v1/enterprises``."""


class SizeClassQuery(Schema):
    as_of = fields.Date(required=True, metadata={"description": "The date, e.g. a contract date"})


class MatchedPolicy(Schema):
    id = fields.Raw()
    title = fields.String()


class EnterprisePortrait(schemas.Portrait):
    """精准画像 as the gateway assembles it: the enterprise's own view, its requests and the
    policies it meets. A part whose service cannot answer is null, with the reason in
    ``unavailable``."""

    requests = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                           metadata={"description": "Its requests by state"})
    policies = fields.List(fields.Nested(MatchedPolicy), allow_none=True,
                           metadata={"description": "Policies of its region whose criteria it meets"})
    unavailable = fields.Dict(keys=fields.String(), values=fields.String(),
                              metadata={"description": "Part → why it is missing"})


def missing_part_reason(part, exc):
    if isinstance(exc, MethodNotFound):
        return f"the service answering {part} does not offer it yet ({exc})"
    if isinstance(exc, ApiError):
        return exc.message
    return f"{part} could not be fetched: {exc}"


class EnterpriseRoutes:
    enterprises = ServiceProxy("enterprises")
    agencies = ServiceProxy("agencies")
    requests = ServiceProxy("requests")

    # -- scope ------------------------------------------------------------------------

    def _scope(self, principal, agency=None):
        """The region prefix the caller sees; None: everywhere. ``agency``: the staff's agency."""
        if principal.role == auth.NATIONAL_ADMIN:
            return None
        if principal.role == auth.AGENCY_STAFF:
            agency = agency if agency is not None else self.agencies.get(int(principal.scope))
            return None if agency["level"] == "national" else regions.prefix(agency["region_code"])
        if principal.region_prefix:
            return principal.region_prefix
        raise Forbidden(f"role {principal.role} has no region scope")

    def _visible(self, principal, uscc, fetch):
        """``fetch()``'s answer for an enterprise the caller may read, else 404.

        The fetch runs alongside the staff's agency lookup; its answer must carry ``region_code``.
        """
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(uscc):
                raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
            return fetch()
        calls = {"answer": fetch}
        if principal.role == auth.AGENCY_STAFF:
            calls["agency"] = lambda: self.agencies.get(int(principal.scope))
        found = in_parallel(**calls)
        answer = result(found["answer"])
        scope = self._scope(principal, result(found["agency"]) if "agency" in found else None)
        if scope is not None and not answer["region_code"].startswith(scope):
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        return answer

    # -- one enterprise ---------------------------------------------------------------

    @route("POST", "/api/v1/enterprises", roles=REGISTRARS,
           body=schemas.EnterpriseRegistration, response=schemas.Enterprise,
           status=201, tags=["enterprises"],
           summary="Register an SME in the caller's region (size class is computed)")
    def register_enterprise(self, call):
        """An admin (or provincial system) registers an SME inside its own region."""
        require_region(call.principal, call.body["region_code"], "an enterprise")
        return self.enterprises.register(call.body)

    @route("GET", "/api/v1/enterprises/<uscc>", roles=READERS,
           response=schemas.Enterprise, tags=["enterprises"],
           summary="One enterprise's profile (一企一档)")
    def get_enterprise(self, call, uscc):
        """An enterprise reads itself; admins and agency staff read enterprises of their area."""
        uscc = credit_codes.compact(uscc)
        profile = self._visible(call.principal, uscc, lambda: self.enterprises.get(uscc))
        if call.principal.role not in CONTACT_READERS:
            profile.pop("contact", None)
        return profile

    @route("PATCH", "/api/v1/enterprises/<uscc>", roles=EDITORS,
           body=schemas.EnterpriseChange, response=schemas.Enterprise, tags=["enterprises"],
           summary="Change a profile; an enterprise may change only its contact, park and figures")
    def update_enterprise(self, call, uscc):
        """Admins change enterprises of their region (and may not move one out of it); an
        enterprise changes its own contact, park and yearly figures, never its size class or tiers."""
        principal, uscc = call.principal, credit_codes.compact(uscc)
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(uscc):
                raise Forbidden(f"enterprise {uscc} is not yours", {"uscc": uscc})
            refused = sorted(set(call.body) - schemas.ENTERPRISE_EDITABLE)
            if refused:
                raise Forbidden("an enterprise may change only its contact, park and figures",
                                {field: ["not editable by the enterprise"] for field in refused})
            return self.enterprises.update(uscc, call.body)
        return self.enterprises.update(uscc, call.body, within=self._scope(principal))

    @route("GET", "/api/v1/enterprises/<uscc>/portrait", roles=READERS,
           response=EnterprisePortrait, tags=["enterprises"],
           summary="精准画像: size class, active tiers, industry, region, figures trend, "
                   "requests and matched policies")
    def enterprise_portrait(self, call, uscc):
        """The portrait, its parts fetched in parallel; a part that cannot be had degrades to
        null with a reason instead of failing the whole answer."""
        uscc = credit_codes.compact(uscc)
        found = in_parallel(counts=lambda: self.requests.counts_for_enterprise(uscc),
                            portrait=lambda: self._visible(call.principal, uscc,
                                                           lambda: self.enterprises.portrait(uscc)))
        portrait = result(found["portrait"])
        portrait["unavailable"] = {}
        if isinstance(found["counts"], Exception):
            portrait["requests"] = None
            portrait["unavailable"]["requests"] = missing_part_reason("requests", found["counts"])
        else:
            portrait["requests"] = found["counts"]
        try:
            portrait["policies"] = self._matched_policies(uscc, portrait["region_code"])
        except Exception as exc:
            log.warning("portrait_policies_unavailable", uscc=uscc, error=str(exc))
            portrait["policies"] = None
            portrait["unavailable"]["policies"] = missing_part_reason("policies", exc)
        return portrait

    def _matched_policies(self, uscc, region_code):
        policies = self.agencies.policies_for_region(region_code)
        by_key = {str(policy["id"]): policy for policy in policies}
        if not by_key:
            return []
        matched = self.enterprises.matches(uscc, {key: policy.get("criteria") or {}
                                                  for key, policy in by_key.items()})
        return [{"id": by_key[key]["id"], "title": by_key[key].get("title")} for key in matched]

    @route("GET", "/api/v1/enterprises/<uscc>/size-class", roles=READERS, query=SizeClassQuery,
           response=schemas.SizeClassAsOf, tags=["enterprises"],
           summary="The size class an enterprise had on a date (e.g. a contract date)")
    def enterprise_size_class(self, call, uscc):
        uscc, as_of = credit_codes.compact(uscc), call.query["as_of"].isoformat()
        return self._visible(call.principal, uscc, lambda: self.enterprises.size_class_as_of(uscc, as_of))

    @route("POST", "/api/v1/enterprises/<uscc>/explain", roles=READERS, body=schemas.Criteria,
           response=schemas.Explanation, tags=["enterprises"],
           summary="Whether one enterprise meets criteria, criterion by criterion")
    def explain_criteria(self, call, uscc):
        """Why an enterprise does or does not meet criteria (e.g. a policy's): each criterion
        with its verdict and the enterprise's value. An enterprise may ask about itself."""
        uscc = credit_codes.compact(uscc)

        def fetch():
            found = in_parallel(profile=lambda: self.enterprises.get(uscc),
                                explanation=lambda: self.enterprises.explain(uscc, call.body))
            return dict(result(found["explanation"]), region_code=result(found["profile"])["region_code"])

        explanation = self._visible(call.principal, uscc, fetch)
        explanation.pop("region_code")
        return explanation

    # -- many enterprises ---------------------------------------------------------------

    @route("GET", "/api/v1/enterprises", roles=FINDERS, query=EnterpriseSearchQuery,
           response=EnterprisePage, tags=["enterprises"],
           summary="Search enterprises of the caller's area by region, industry, size class, "
                   "tier, tag and name (substring, e.g. 专精特新)")
    def search_enterprises(self, call):
        return pages.listed(call.query, self.enterprises.search, within=self._scope(call.principal))

    @route("POST", "/api/v1/enterprises/criteria/count", roles=FINDERS, body=schemas.Criteria,
           response=schemas.MatchCount, tags=["enterprises"],
           summary="How many enterprises of the caller's area meet criteria")
    def count_matching_enterprises(self, call):
        within = self._scope(call.principal)
        return {"count": self.enterprises.count_matching(call.body, within=within), "within": within}

    @route("POST", "/api/v1/enterprises/import", roles=REGISTRARS, body=schemas.ImportBatch,
           response=schemas.ImportReport, tags=["enterprises"],
           summary="Register many enterprises from JSON lines or CSV; bad rows are reported by line")
    def import_enterprises(self, call):
        """A provincial roll-out, batch by batch (each body up to the gateway's size limit).
        Rows outside the caller's region are rejected."""
        return self.enterprises.import_enterprises(call.body["content"], call.body["format"],
                                                   within=self._scope(call.principal))
