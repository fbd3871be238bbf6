"""Routes over the quality service-provider library (优质服务机构库).

Anyone reads providers, without a token too (as the library search lists them):
name, areas, memberships, evaluations.
Contact details, decision records and rejected applications are for the
admins of the provider's region (and the provider itself). A provider (an
enterprise user with the provider's USCC) registers itself and applies per
service area; admins of the provider's region register providers, decide on
admission and exit, and record evaluations. A provider outside the caller's
reach answers writes exactly like one that does not exist.
"""
from gateway import access, auth, pages
from gateway.api import Forbidden, hidden, require_region, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas

ProviderPage = pages.page_schema(schemas.Provider, "ProviderPage")
ProviderQuery = type("ProviderQuery", (pages.PageQuery, schemas.ProviderFilter), {})

# The provider itself (its enterprise user) or an admin of its region.
PROVIDER_OR_ITS_ADMINS = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok
    enterprise      ok  hidden  hidden"""
ITS_ADMINS = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok"""
# What only the provider's admins and the provider itself read.
RESTRICTED_FIELDS = ("contact", "decisions")


def keeps_record(principal, provider):
    """Whether the caller (None: anonymous) reads the provider's whole record."""
    if principal is None:
        return False
    if principal.role == auth.ENTERPRISE:
        return principal.is_enterprise(provider["uscc"])
    return principal.role in auth.REGION_ADMINS and principal.covers_region(provider["region_code"])


def as_seen_by(principal, provider):
    """The provider as the caller may see it: without contact details, decision records and
    rejected applications unless it keeps the record."""
    if keeps_record(principal, provider):
        return provider
    shown = {key: value for key, value in provider.items() if key not in RESTRICTED_FIELDS}
    if "memberships" in provider:
        shown["memberships"] = [m for m in provider["memberships"] if m.get("state") != "rejected"]
    return shown


class ProviderRoutes:
    agencies = ServiceProxy("agencies")

    @route("GET", "/api/v1/providers", access=access.PUBLIC, query=ProviderQuery,
           response=ProviderPage, tags=["providers"],
           summary="Providers by membership state (admitted by default), area and region; rejected "
                   "applications only for admins",
           order="by name, then by id")
    def list_providers(self, call):
        principal = call.principal
        if call.query["state"] == "rejected" and (principal is None or principal.role not in auth.REGION_ADMINS):
            raise Forbidden("rejected applications are for admins only", {"state": ["rejected"]})
        found = pages.listed(call.query, self.agencies.list_providers)
        found["items"] = [as_seen_by(principal, provider) for provider in found["items"]]
        return found

    @route("GET", "/api/v1/providers/<int:provider_id>", access="""
               everyone  ok  ok  ok""",
           response=schemas.Provider, tags=["providers"],
           summary="One provider with its memberships and evaluations (contacts, decisions and "
                   "rejected applications: its region's admins and itself)")
    def get_provider(self, call, provider_id):
        return as_seen_by(call.principal, self.agencies.get_provider(provider_id))

    @route("POST", "/api/v1/providers", access="""
               national_admin  ok  ok       -
               region_admins   ok  refused  -
               enterprise      ok  -        refused""",
           body=schemas.ProviderFields, response=schemas.Provider, status=201, tags=["providers"],
           summary="Register a provider (itself, or one in the admin's region)", emits=("provider.registered",))
    def register_provider(self, call):
        principal = call.principal
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(call.body["uscc"]):
                raise Forbidden("an enterprise registers only itself as a provider", {"uscc": call.body["uscc"]})
        else:
            require_region(principal, call.body["region_code"], "a provider")
        return self.agencies.register_provider(call.body)

    @route("PATCH", "/api/v1/providers/<int:provider_id>", access=PROVIDER_OR_ITS_ADMINS,
           body=schemas.ProviderChanges, response=schemas.Provider, tags=["providers"],
           summary="Change a provider's profile", emits=("provider.updated",))
    def update_provider(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        if "region_code" in call.body and call.principal.role != auth.ENTERPRISE:
            require_region(call.principal, call.body["region_code"], "a provider")
        return self.agencies.update_provider(provider_id, call.body)

    @route("POST", "/api/v1/providers/<int:provider_id>/applications", access=PROVIDER_OR_ITS_ADMINS,
           body=schemas.ProviderApplication, response=schemas.Provider, status=201, tags=["providers"],
           summary="Apply for admission in one service area (the criteria are checked)")
    def apply_for_admission(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.apply_for_admission(provider_id, call.body["service_area"], call.principal.subject)

    @route("POST", "/api/v1/providers/<int:provider_id>/decisions", access=ITS_ADMINS,
           body=schemas.ProviderDecision, response=schemas.Provider, tags=["providers"],
           summary="Admit, reject or exit a provider in one area, with the reason",
           emits=("provider.admitted", "provider.exited"))
    def decide_admission(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.decide_admission(provider_id, call.body, call.principal.subject)

    @route("POST", "/api/v1/providers/<int:provider_id>/evaluations", access=ITS_ADMINS,
           body=schemas.EvaluationInput, response=schemas.ProviderEvaluation, status=201, tags=["providers"],
           summary="Record a quarter's evaluation; two quarters below the threshold exit the provider",
           emits=("provider.evaluated", "provider.exited"))
    def evaluate_provider(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.evaluate_provider(provider_id, call.body, call.principal.subject)

    def _may_act_for(self, principal, provider_id):
        """The provider itself (its enterprise user) or an admin of its region; to anyone else
        the answer of a provider that does not exist."""
        provider = self.agencies.get_provider(provider_id)
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(provider["uscc"]):
                raise hidden("provider", provider_id)
        elif not principal.covers_region(provider["region_code"]):
            raise hidden("provider", provider_id)
        return provider
