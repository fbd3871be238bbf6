"""Routes over the quality service-provider library (优质服务机构库).

Any signed-in caller reads providers. A provider (an enterprise user with the
provider's USCC) registers itself and applies per service area; admins of the
provider's region register providers, decide on admission and exit, and
record evaluations.
"""
from gateway import auth, pages
from gateway.api import Forbidden, require_region, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas

ProviderPage = pages.page_schema(schemas.Provider, "ProviderPage")
ProviderQuery = type("ProviderQuery", (pages.PageQuery, schemas.ProviderFilter), {})


class ProviderRoutes:
    agencies = ServiceProxy("agencies")

    @route("GET", "/api/v1/providers", roles=auth.ROLES, query=ProviderQuery, response=ProviderPage,
           tags=["providers"], summary="Providers by membership state (admitted by default), area and region")
    def list_providers(self, call):
        return pages.listed(call.query, self.agencies.list_providers)

    @route("GET", "/api/v1/providers/<int:provider_id>", roles=auth.ROLES, response=schemas.Provider,
           tags=["providers"], summary="One provider with its memberships, decisions and evaluations")
    def get_provider(self, call, provider_id):
        return self.agencies.get_provider(provider_id)

    @route("POST", "/api/v1/providers", roles=auth.REGION_ADMINS + (auth.ENTERPRISE,), body=schemas.ProviderFields,
           response=schemas.Provider, status=201, tags=["providers"],
           summary="Register a provider (itself, or one in the admin's region)")
    def register_provider(self, call):
        principal = call.principal
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(call.body["uscc"]):
                raise Forbidden("an enterprise registers only itself as a provider", {"uscc": call.body["uscc"]})
        else:
            require_region(principal, call.body["region_code"], "a provider")
        return self.agencies.register_provider(call.body)

    @route("PATCH", "/api/v1/providers/<int:provider_id>", roles=auth.REGION_ADMINS + (auth.ENTERPRISE,),
           body=schemas.ProviderChanges, response=schemas.Provider, tags=["providers"],
           summary="Change a provider's profile")
    def update_provider(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        if "region_code" in call.body and call.principal.role != auth.ENTERPRISE:
            require_region(call.principal, call.body["region_code"], "a provider")
        return self.agencies.update_provider(provider_id, call.body)

    @route("POST", "/api/v1/providers/<int:provider_id>/applications", roles=auth.REGION_ADMINS + (auth.ENTERPRISE,),
           body=schemas.ProviderApplication, response=schemas.Provider, status=201, tags=["providers"],
           summary="Apply for admission in one service area (the criteria are checked)")
    def apply_for_admission(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.apply_for_admission(provider_id, call.body["service_area"], call.principal.subject)

    @route("POST", "/api/v1/providers/<int:provider_id>/decisions", roles=auth.REGION_ADMINS,
           body=schemas.ProviderDecision, response=schemas.Provider, tags=["providers"],
           summary="Admit, reject or exit a provider in one area, with the reason")
    def decide_admission(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.decide_admission(provider_id, call.body, call.principal.subject)

    @route("POST", "/api/v1/providers/<int:provider_id>/evaluations", roles=auth.REGION_ADMINS,
           body=schemas.EvaluationInput, response=schemas.ProviderEvaluation, status=201, tags=["providers"],
           summary="Record a quarter's evaluation; two quarters below the threshold exit the provider")
    def evaluate_provider(self, call, provider_id):
        self._may_act_for(call.principal, provider_id)
        return self.agencies.evaluate_provider(provider_id, call.body, call.principal.subject)

    def _may_act_for(self, principal, provider_id):
        """The provider itself (its enterprise user) or an admin of its region."""
        provider = self.agencies.get_provider(provider_id)
        if principal.role == auth.ENTERPRISE:
            if not principal.is_enterprise(provider["uscc"]):
                raise Forbidden(f"provider {provider_id} is another enterprise", {"provider_id": provider_id})
        else:
            require_region(principal, provider["region_code"], f"provider {provider_id}")
        return provider
