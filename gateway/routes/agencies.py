"""Routes over the agencies service: the agency network, service guides and routing.

Agencies, their guides and routing answers are public: an SME must be able to
find who serves it. Admins manage agencies inside their own region; an
agency's staff edit its guide. An agency outside the caller's region answers
changes like one that does not exist.
"""
from marshmallow import Schema, fields

from gateway import access, auth, pages
from gateway.api import NotFound, hidden, require_region, route
from gateway.routes.capacity import CapacityRoutes
from gateway.routes.library import LibraryRoutes
from gateway.routes.policies import PolicyRoutes
from gateway.routes.providers import ProviderRoutes
from gateway.routes.scoring import ScoringRoutes
from gateway.rpc import ServiceProxy
from services.agencies import schemas

AgencyPage = pages.page_schema(schemas.Agency, "AgencyPage")
SkeletonLoaded = Schema.from_dict({"created": fields.Integer(), "total": fields.Integer()},
                                  name="SkeletonLoaded")
AgencyQuery = type("AgencyQuery", (pages.PageQuery, schemas.AgencyFilter), {})

ANYONE_READS = """
    everyone  ok  ok  -"""
ITS_ADMINS = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""


class AgencyRoutes(PolicyRoutes, LibraryRoutes, ProviderRoutes, CapacityRoutes, ScoringRoutes):
    """Every route over the agencies service: network, guides, routing, libraries, search, capacity,
    staff and scoring."""

    agencies = ServiceProxy("agencies")

    @route("GET", "/api/v1/agencies", access=access.PUBLIC, query=AgencyQuery, response=AgencyPage,
           tags=["agencies"], summary="The agency network: agencies and service stations",
           order="by depth in the hierarchy (the national agency first), then by division code, "
                 "then by id")
    def list_agencies(self, call):
        return pages.listed(call.query, self.agencies.list_agencies)

    @route("GET", "/api/v1/agencies/<int:agency_id>", access=ANYONE_READS, response=schemas.Agency,
           tags=["agencies"], summary="One agency or service station")
    def get_agency(self, call, agency_id):
        return self.agencies.get(agency_id)

    @route("POST", "/api/v1/agencies", body=schemas.AgencyCreation, access="""
               national_admin  ok  ok       -
               region_admins   ok  refused  -""",
           response=schemas.Agency, status=201, tags=["agencies"],
           summary="Add an agency or service station in the caller's region",
           emits=("agency.created",))
    def create_agency(self, call):
        require_region(call.principal, call.body["region_code"], "an agency")
        return self.agencies.create_agency(call.body)

    @route("POST", "/api/v1/agencies/skeleton", access=access.callers(auth.NATIONAL_ADMIN), response=SkeletonLoaded,
           tags=["agencies"], summary="Load the national skeleton from GB/T 2260 (idempotent)",
           emits=("agency.created",))
    def load_skeleton(self, call):
        """One agency per province, city and county in use today, under the national agency."""
        return self.agencies.generate_skeleton()

    @route("PATCH", "/api/v1/agencies/<int:agency_id>", access=ITS_ADMINS, body=schemas.AgencyChanges,
           response=schemas.Agency, tags=["agencies"],
           summary="Change an agency of the caller's region (name, parent, areas, park, active)",
           emits=("agency.updated",))
    def update_agency(self, call, agency_id):
        if not call.principal.covers_region(self.agencies.get(agency_id)["region_code"]):
            raise hidden("agency", agency_id)
        return self.agencies.update_agency(agency_id, call.body)

    @route("GET", "/api/v1/agencies/<int:agency_id>/escalation", access=ANYONE_READS, response=schemas.Agency,
           tags=["agencies"], summary="Where the agency escalates: its parent (404 at national level)")
    def agency_escalation(self, call, agency_id):
        parent = self.agencies.escalation_target(agency_id)
        if parent is None:
            raise NotFound(f"agency {agency_id} is the national agency; nothing is above it",
                           {"agency_id": agency_id})
        return parent

    @route("GET", "/api/v1/agencies/<int:agency_id>/guide", access=ANYONE_READS, response=schemas.Guide,
           tags=["agencies"], summary="The agency's service guide (六公开)", cached=True,
           order="the guide's items in the order the agency published them")
    def get_guide(self, call, agency_id):
        return self.agencies.get_guide(agency_id)

    @route("PUT", "/api/v1/agencies/<int:agency_id>/guide", body=schemas.GuideContent, access="""
               national_admin  ok  ok      -
               region_admins   ok  hidden  -
               agency_staff    ok  hidden  -""",
           response=schemas.Guide, tags=["agencies"],
           summary="Publish a new version of the agency's service guide")
    def publish_guide(self, call, agency_id):
        """The agency's own staff, or an admin of its region, publish its guide."""
        principal = call.principal
        if principal.role == auth.AGENCY_STAFF:
            if principal.scope != str(agency_id):
                raise hidden("agency", agency_id)
        elif not principal.covers_region(self.agencies.get(agency_id)["region_code"]):
            raise hidden("agency", agency_id)
        return self.agencies.publish_guide(agency_id, call.body, principal.subject)

    @route("GET", "/api/v1/routing", access=access.PUBLIC, query=schemas.RoutingQuery, response=schemas.RoutingDecision,
           tags=["agencies"], summary="Which agency answers for a region, park and service area, and why",
           cached=True)
    def route_request(self, call):
        query = call.query
        return self.agencies.route(query["region"], query["area"], query.get("park"))
