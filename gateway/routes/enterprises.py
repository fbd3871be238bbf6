"""Routes over the enterprises service: the SME database (一企一档).

Who sees what: an enterprise itself only; region administrators the
enterprises of their region; agency staff those in their agency's area (a
national agency: all); the national administrator all. Contact data (personal
data) is shown only to the enterprise and to administrators of its region.
An enterprise outside the caller's scope answers exactly like one that does
not exist, to reads and writes alike. A writer gets back only what it may
read: a provincial system, which reads nothing, gets the acknowledgement.
"""
import structlog
from marshmallow import Schema, fields
from nameko.exceptions import MethodNotFound

from chassis import keyset
from reference import credit_codes, regions
from gateway import access, auth, pages
from gateway.api import ApiError, Forbidden, hidden, require_region, route
from gateway.routes.requests import actor_of
from gateway.rpc import ServiceProxy, in_parallel, result
from services.activities.schemas import Participation
from services.enterprises import schemas

log = structlog.get_logger(__name__)

READERS = frozenset(auth.REGION_ADMINS + (auth.AGENCY_STAFF, auth.ENTERPRISE))
CONTACT_READERS = frozenset(auth.REGION_ADMINS + (auth.ENTERPRISE,))

# Who reads one enterprise's file (and its portrait, size class, criteria): in their
# scope; anyone else's answers as if it did not exist.
FILE_READERS = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok
    agency_staff    ok  hidden  ok
    enterprise      ok  hidden  hidden"""
FINDERS = access.callers(*auth.REGION_ADMINS, auth.AGENCY_STAFF)
REGISTRARS = """
    national_admin   ok  ok       -
    region_admins    ok  refused  -
    province_system  ok  refused  -"""

EnterprisePage = pages.keyset_page_schema(
    schemas.EnterpriseSummary, "EnterprisePage",
    "https://onenet.example.org/api/v1/enterprises?region_prefix=3201&page_size=20&cursor=" + keyset.encode_position(
        "enterprises:name", ["南京示例科技有限公司", "91320102MA1XXXXX0L"], {"region_prefix": "3201", "sort": "name"}, 2))
ProfileHistoryPage = pages.page_schema(schemas.ProfileChange, "ProfileHistoryPage")


class EnterpriseSearchQuery(pages.KeysetPageQuery, schemas.SearchFilters):
    """Page (by number or cursor), filters and order of ``GET /api/v1/enterprises``."""

    cursor = keyset.cursor_field(example=keyset.encode_position(
        "enterprises:name", ["北京示例科技有限公司", "91110105MA01A00012"], {"sort": "name"}, 2))


class EnterpriseAcknowledgement(Schema):
    """What a writer that reads no profiles (a provincial system) gets back."""

    uscc = fields.String()
    updated_at = fields.DateTime()


WRITTEN = (schemas.Enterprise, EnterpriseAcknowledgement)


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
    activities = fields.Nested(Participation, allow_none=True,
                               metadata={"description": "Its part in service activities: registered, attended, "
                                                        "ratings given"})
    unavailable = fields.Dict(keys=fields.String(), values=fields.String(),
                              metadata={"description": "Part → why it is missing"})


def missing_part_reason(part, exc):
    if isinstance(exc, MethodNotFound):
        return f"the service answering {part} does not offer it yet ({exc})"
    if isinstance(exc, ApiError):
        return exc.message
    return f"{part} could not be fetched: {exc}"


def region_scope(principal, agencies, agency=None):
    """The region prefix of the enterprises the caller sees; None: everywhere.
    ``agency``: the staff's agency, when already fetched (else asked of ``agencies``)."""
    if principal.role == auth.NATIONAL_ADMIN:
        return None
    if principal.role == auth.AGENCY_STAFF:
        agency = agency if agency is not None else agencies.get(int(principal.scope))
        return None if agency["level"] == "national" else regions.prefix(agency["region_code"])
    if principal.region_prefix:
        return principal.region_prefix
    raise Forbidden(f"role {principal.role} has no region scope")


def visible_enterprise(principal, uscc, fetch, agencies):
    """``fetch()``'s answer for an enterprise the caller may read, else 404.

    The fetch runs alongside the staff's agency lookup; its answer must carry ``region_code``.
    """
    if principal.role == auth.ENTERPRISE:
        if not principal.is_enterprise(uscc):
            raise hidden("enterprise", uscc)
        return fetch()
    calls = {"answer": fetch}
    if principal.role == auth.AGENCY_STAFF:
        calls["agency"] = lambda: agencies.get(int(principal.scope))
    found = in_parallel(**calls)
    answer = result(found["answer"])
    scope = region_scope(principal, agencies, result(found["agency"]) if "agency" in found else None)
    if scope is not None and not answer["region_code"].startswith(scope):
        raise hidden("enterprise", uscc)
    return answer


class EnterpriseRoutes:
    enterprises = ServiceProxy("enterprises")
    agencies = ServiceProxy("agencies")
    requests = ServiceProxy("requests")
    activities = ServiceProxy("activities")

    # -- scope ------------------------------------------------------------------------

    def _scope(self, principal, agency=None):
        return region_scope(principal, self.agencies, agency)

    def _visible(self, principal, uscc, fetch):
        return visible_enterprise(principal, uscc, fetch, self.agencies)

    # -- one enterprise ---------------------------------------------------------------

    @route("POST", "/api/v1/enterprises", access=REGISTRARS,
           body=schemas.EnterpriseRegistration, response=WRITTEN,
           status=201, tags=["enterprises"],
           summary="Register an SME in the caller's region (size class is computed; tiers only "
                   "from their issuing authority)",
           emits=("enterprise.registered",))
    def register_enterprise(self, call):
        """An admin (or provincial system) registers an SME inside its own region. A USCC
        already registered anywhere is the same 409, naming no region."""
        require_region(call.principal, call.body["region_code"], "an enterprise")
        return self._readable(call.principal, self.enterprises.register(call.body, actor_of(call.principal)))

    @route("GET", "/api/v1/enterprises/<uscc>", access=FILE_READERS,
           response=schemas.Enterprise, tags=["enterprises"],
           summary="One enterprise's profile (一企一档)")
    def get_enterprise(self, call, uscc):
        """An enterprise reads itself; admins and agency staff read enterprises of their area."""
        uscc = credit_codes.compact(uscc)
        profile = self._visible(call.principal, uscc, lambda: self.enterprises.get(uscc))
        return self._readable(call.principal, profile)

    def _readable(self, principal, profile):
        """What of a profile the caller may read: contact data only for its readers, and for
        a caller that reads no profiles (a provincial system) only the acknowledgement."""
        if principal.role not in READERS:
            return {"uscc": profile["uscc"], "updated_at": profile["updated_at"]}
        if principal.role not in CONTACT_READERS:
            profile.pop("contact", None)
        return profile

    @route("PATCH", "/api/v1/enterprises/<uscc>", body=schemas.EnterpriseChange, access="""
               national_admin   ok  ok      ok
               region_admins    ok  hidden  ok
               province_system  ok  hidden  ok
               enterprise       ok  hidden  hidden""",
           response=WRITTEN, tags=["enterprises"],
           summary="Change a profile; an enterprise may change only its contact, park and the figures "
                   "of the last completed and the current year; a change that changes nothing is 422. "
                   "A provincial system gets back only uscc and updated_at",
           emits=("enterprise.updated", "enterprise.tier_changed", "enterprise.size_class_changed"))
    def update_enterprise(self, call, uscc):
        """Admins change enterprises of their region (and may not move one out of it); an
        enterprise changes its own contact, park and recent figures, never its size class or
        tiers; tiers only their issuing authority changes. Each change lands in the profile's
        history with the caller and ``reason``."""
        principal, uscc = call.principal, credit_codes.compact(uscc)
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(uscc):
                raise hidden("enterprise", uscc)
            refused = sorted(set(call.body) - schemas.ENTERPRISE_EDITABLE)
            if refused:
                raise Forbidden("an enterprise may change only its contact, park and figures",
                                {field: ["not editable by the enterprise"] for field in refused})
            changed = self.enterprises.update(uscc, call.body, actor=actor_of(principal))
        else:
            changed = self.enterprises.update(uscc, call.body, within=self._scope(principal),
                                              actor=actor_of(principal))
        return self._readable(principal, changed)

    @route("GET", "/api/v1/enterprises/<uscc>/history", query=pages.PageQuery, access="""
               national_admin  ok  ok      ok
               region_admins   ok  hidden  ok
               enterprise      ok  hidden  hidden""",
           response=ProfileHistoryPage, tags=["enterprises"],
           summary="The profile's history: every change with who made it, when and why",
           order="newest change first")
    def enterprise_history(self, call, uscc):
        uscc = credit_codes.compact(uscc)
        limit, offset = pages.window(call.query)
        found = self._visible(call.principal, uscc, lambda: dict(
            self.enterprises.history(uscc, limit, offset),
            region_code=self.enterprises.get(uscc)["region_code"]))
        return pages.page_of(found["items"], found["total"], call.query)

    @route("GET", "/api/v1/enterprises/<uscc>/portrait", access=FILE_READERS,
           response=EnterprisePortrait, tags=["enterprises"],
           summary="精准画像: size class, active tiers, industry, region, figures trend, "
                   "requests, matched policies and part in service activities")
    def enterprise_portrait(self, call, uscc):
        """The portrait, its parts fetched in parallel; a part that cannot be had degrades to
        null with a reason instead of failing the whole answer."""
        uscc = credit_codes.compact(uscc)
        found = in_parallel(counts=lambda: self.requests.counts_for_enterprise(uscc),
                            activities=lambda: self.activities.participation(uscc),
                            portrait=lambda: self._visible(call.principal, uscc,
                                                           lambda: self.enterprises.portrait(uscc)))
        portrait = result(found["portrait"])
        portrait["unavailable"] = {}
        for part, key in (("requests", "counts"), ("activities", "activities")):
            if isinstance(found[key], Exception):
                portrait[part] = None
                portrait["unavailable"][part] = missing_part_reason(part, found[key])
            else:
                portrait[part] = found[key]
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

    @route("GET", "/api/v1/enterprises/<uscc>/size-class", access=FILE_READERS, query=SizeClassQuery,
           response=schemas.SizeClassAsOf, tags=["enterprises"],
           summary="The size class an enterprise had on a date (e.g. a contract date)")
    def enterprise_size_class(self, call, uscc):
        uscc, as_of = credit_codes.compact(uscc), call.query["as_of"].isoformat()
        return self._visible(call.principal, uscc, lambda: self.enterprises.size_class_as_of(uscc, as_of))

    @route("POST", "/api/v1/enterprises/<uscc>/explain", idempotent=False, access=FILE_READERS, body=schemas.Criteria,
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

    @route("GET", "/api/v1/enterprises", access=FINDERS, query=EnterpriseSearchQuery,
           response=EnterprisePage, tags=["enterprises"],
           summary="Search enterprises of the caller's area by region, industry, size class, "
                   "tier, tag and name (substring, e.g. 专精特新); in the order of sort (by default the "
                   "name in pinyin order), then by USCC",
           order="by `sort` (by default the name in pinyin order), then by USCC: in the same direction "
                 "for names, ascending otherwise; dates never set come last")
    def search_enterprises(self, call):
        return pages.keyset_listed(call.query, self.enterprises.search, within=self._scope(call.principal))

    @route("POST", "/api/v1/enterprises/criteria/count", idempotent=False, access=FINDERS, body=schemas.Criteria,
           response=schemas.MatchCount, tags=["enterprises"],
           summary="How many enterprises of the caller's area meet criteria")
    def count_matching_enterprises(self, call):
        within = self._scope(call.principal)
        return {"count": self.enterprises.count_matching(call.body, within=within), "within": within}

    @route("POST", "/api/v1/enterprises/import", access=access.callers(*auth.REGION_ADMINS, auth.PROVINCE_SYSTEM),
           body=schemas.ImportBatch, response=schemas.ImportReport, tags=["enterprises"],
           summary="Register many enterprises from JSON lines or CSV; bad rows are reported by line",
           emits=("enterprise.registered",))
    def import_enterprises(self, call):
        """A provincial roll-out, batch by batch (each body up to the gateway's size limit).
        Rows outside the caller's region, and rows with tiers the caller does not award, are
        rejected; a USCC registered anywhere is "already registered", naming no region."""
        return self.enterprises.import_enterprises(call.body["content"], call.body["format"],
                                                   within=self._scope(call.principal),
                                                   actor=actor_of(call.principal))
