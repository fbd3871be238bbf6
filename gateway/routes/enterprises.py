"""Routes over the enterprises service: the SME database (一企一档)."""
from gateway import auth
from gateway.api import Forbidden, NotFound, route
from gateway.rpc import ServiceProxy
from services.enterprises import schemas


class EnterpriseRoutes:
    enterprises = ServiceProxy("enterprises")

    @route("POST", "/api/v1/enterprises", roles=auth.REGION_ADMINS + (auth.PROVINCE_SYSTEM,),
           body=schemas.EnterpriseRegistration, response=schemas.Enterprise,
           status=201, tags=["enterprises"],
           summary="Register an SME in the caller's region")
    def register_enterprise(self, call):
        """An admin (or provincial system) registers an SME inside its own region."""
        if not call.principal.covers_region(call.body["region_code"]):
            raise Forbidden(f"region {call.body['region_code']} is outside your scope",
                            {"region_code": call.body["region_code"]})
        return self.enterprises.register(call.body)

    @route("GET", "/api/v1/enterprises/<uscc>", roles=auth.REGION_ADMINS + (auth.ENTERPRISE,),
           response=schemas.Enterprise, tags=["enterprises"],
           summary="One enterprise's profile")
    def get_enterprise(self, call, uscc):
        """An enterprise reads itself; region admins read enterprises of their region.

        Outside the caller's scope the enterprise is reported as not found, so
        its existence is not disclosed.
        """
        principal = call.principal
        if principal.role == auth.ENTERPRISE and not principal.is_enterprise(uscc):
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        enterprise = self.enterprises.get(uscc)
        if principal.role != auth.ENTERPRISE and not principal.covers_region(enterprise["region_code"]):
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        return enterprise
