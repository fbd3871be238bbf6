"""Routes over agencies' capacity, coverage and staff (夯实基层基础, 队伍建设).

An agency's capacity record and roster are kept by the admins of its region
and read by them and by the agency's own staff; an agency outside the caller's
scope answers like one that does not exist. A province's admin (or the national
admin) closes the province's year. Coverage is for the admins of the region.
Performance figures come from the requests service: a staff member sees their
own, the admins of the agency's region see every member's; a staff member
asking for a colleague's figures is refused (403).
"""
from marshmallow import fields

from gateway import access, auth, pages
from gateway.api import Forbidden, hidden, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas
from services.requests import schemas as request_schemas

ITS_ADMINS = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""
ITS_ADMINS_AND_STAFF = ITS_ADMINS + """
    agency_staff    ok  hidden  -"""

StaffPage = pages.page_schema(schemas.StaffMember, "StaffPage")


class StaffQuery(pages.PageQuery, schemas.StaffFilter):
    """Page and filters of an agency's roster."""


class PerformanceQuery(pages.PageQuery, request_schemas.StaffPerformanceQuery):
    """Page of the roster and the period of the figures."""


class MemberPerformance(request_schemas.StaffPerformance):
    """A staff member with their figures for the period (绩效考评)."""

    staff = fields.Nested(schemas.StaffMember)


MemberPerformancePage = pages.page_schema(MemberPerformance, "MemberPerformancePage")


def actor(principal):
    return principal.subject


class CapacityRoutes:
    agencies = ServiceProxy("agencies")
    requests = ServiceProxy("requests")

    # -- capacity ----------------------------------------------------------------------

    @route("PUT", "/api/v1/agencies/<int:agency_id>/capacity", access=ITS_ADMINS,
           body=schemas.CapacityRecordFields, response=schemas.CapacityRecord, tags=["capacity"],
           summary="Record a new version of the agency's capacity for a year (staff, funding, premises, "
                   "IT, certifications, commitment and covenant); 409 once the year is closed",
           emits=("capacity.recorded",))
    def record_capacity(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        return self.agencies.record_capacity(agency_id, call.body, actor(call.principal))

    @route("GET", "/api/v1/agencies/<int:agency_id>/capacity", access=ITS_ADMINS_AND_STAFF,
           query=schemas.CapacityYearQuery, response=schemas.CapacityRecord, tags=["capacity"],
           summary="The agency's capacity record for a year (its newest version)")
    def capacity_record(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        return self.agencies.capacity_versions(agency_id, call.query["year"])[0]

    @route("GET", "/api/v1/agencies/<int:agency_id>/capacity/versions", access=ITS_ADMINS_AND_STAFF,
           query=schemas.CapacityYearQuery, response=schemas.CapacityVersions, tags=["capacity"],
           summary="Every version of the agency's capacity record for a year, newest first",
           order="newest version first")
    def capacity_versions(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        return {"items": self.agencies.capacity_versions(agency_id, call.query["year"])}

    @route("POST", "/api/v1/capacity/year-closures", body=schemas.CapacityYearClosing, access="""
               national_admin  ok  ok       -
               province_admin  ok  refused  -""",
           response=schemas.CapacityYearClosed, tags=["capacity"],
           summary="Close a province's year: its agencies' capacity records for it are frozen (idempotent)",
           emits=("capacity.year_closed",))
    def close_capacity_year(self, call):
        province = call.body["province"]
        if not call.principal.covers_region(province):
            raise Forbidden(f"the year of {province} is closed by its own admin", {"province": province})
        return self.agencies.close_capacity_year(province, call.body["year"], actor(call.principal))

    @route("GET", "/api/v1/coverage", access=access.callers(*auth.REGION_ADMINS), query=schemas.CoverageQuery,
           response=schemas.Coverage, tags=["capacity"],
           summary="Coverage indicators of a region for a year: counties with an agency, parks with a "
                   "station, staff per 1,000 SMEs, funding per SME, with its child regions")
    def coverage(self, call):
        region = call.query["region"]
        if not call.principal.covers_region(region):
            raise Forbidden(f"region {region} is outside your scope", {"region": region})
        return self.agencies.coverage(region, call.query["year"])

    # -- staff -----------------------------------------------------------------------------

    @route("GET", "/api/v1/agencies/<int:agency_id>/staff", access=ITS_ADMINS_AND_STAFF, query=StaffQuery,
           response=StaffPage, tags=["staff"], summary="The agency's staff roster, by name",
           order="by name, then by id")
    def list_staff(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        return pages.listed(call.query, self.agencies.list_staff, agency_id)

    @route("POST", "/api/v1/agencies/<int:agency_id>/staff", access=ITS_ADMINS, body=schemas.StaffMemberFields,
           response=schemas.StaffMember, status=201, tags=["staff"],
           summary="Put a staff member, known by their token subject, on the agency's roster")
    def add_staff(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        return self.agencies.add_staff(agency_id, call.body)

    @route("GET", "/api/v1/staff/<int:staff_id>", access=ITS_ADMINS_AND_STAFF, response=schemas.StaffMember,
           tags=["staff"], summary="A staff member with their trainings and secondments")
    def get_staff(self, call, staff_id):
        return self._member_in_scope(call.principal, staff_id)

    @route("PATCH", "/api/v1/staff/<int:staff_id>", access=ITS_ADMINS, body=schemas.StaffMemberChanges,
           response=schemas.StaffMember, tags=["staff"],
           summary="Change a staff member's name, post, qualifications or active flag")
    def update_staff(self, call, staff_id):
        self._member_in_scope(call.principal, staff_id)
        return self.agencies.update_staff(staff_id, call.body)

    @route("POST", "/api/v1/staff/<int:staff_id>/trainings", access=ITS_ADMINS, body=schemas.TrainingFields,
           response=schemas.Training, status=201, tags=["staff"],
           summary="Record a training the staff member took (course, hours, date, provider)")
    def record_training(self, call, staff_id):
        self._member_in_scope(call.principal, staff_id)
        return self.agencies.record_training(staff_id, call.body, actor(call.principal))

    @route("POST", "/api/v1/staff/<int:staff_id>/secondments", access=ITS_ADMINS,
           body=schemas.SecondmentFields, response=schemas.Secondment, status=201, tags=["staff"],
           summary="Record a secondment of the staff member to a park or an enterprise (from, to)")
    def record_secondment(self, call, staff_id):
        self._member_in_scope(call.principal, staff_id)
        return self.agencies.record_secondment(staff_id, call.body, actor(call.principal))

    @route("GET", "/api/v1/staff/<int:staff_id>/performance", access=ITS_ADMINS_AND_STAFF,
           query=request_schemas.StaffPerformanceQuery, response=MemberPerformance, tags=["staff"],
           summary="绩效考评: a staff member's figures for a period, from the request history (their own, "
                   "or their agency's admins)")
    def staff_performance(self, call, staff_id):
        member = self._member_in_scope(call.principal, staff_id)
        if call.principal.role == auth.AGENCY_STAFF and member["subject"] != call.principal.subject:
            raise Forbidden("staff see their own figures only", {"staff_id": staff_id})
        [figures] = self.requests.staff_performance(member["agency_id"], [member["subject"]],
                                                    call.query["period"])
        return {**figures, "staff": member}

    @route("GET", "/api/v1/agencies/<int:agency_id>/performance", access=ITS_ADMINS, query=PerformanceQuery,
           response=MemberPerformancePage, tags=["staff"],
           summary="绩效考评: every staff member's figures for a period, from the request history",
           order="by staff member's name, then by id")
    def agency_performance(self, call, agency_id):
        self._agency_in_scope(call.principal, agency_id)
        limit, offset = pages.window(call.query)
        roster = self.agencies.list_staff(agency_id, {}, limit, offset)
        figures = self.requests.staff_performance(agency_id, [member["subject"] for member in roster["items"]],
                                                  call.query["period"])
        items = [{**each, "staff": member} for member, each in zip(roster["items"], figures)]
        return pages.page_of(items, roster["total"], call.query)

    # -- scope -------------------------------------------------------------------------------

    def _agency_in_scope(self, principal, agency_id):
        """The agency if the caller keeps or works for it, else the 404 of a missing one."""
        if principal.role == auth.AGENCY_STAFF:
            if principal.scope != str(agency_id):
                raise hidden("agency", agency_id)
            return self.agencies.get(agency_id)
        agency = self.agencies.get(agency_id)
        if not principal.covers_region(agency["region_code"]):
            raise hidden("agency", agency_id)
        return agency

    def _member_in_scope(self, principal, staff_id):
        """The staff member if the caller keeps or works at their agency, else the 404 of a missing one."""
        member = self.agencies.get_staff(staff_id)
        if principal.role == auth.AGENCY_STAFF:
            visible = principal.scope == str(member["agency_id"])
        else:
            visible = principal.covers_region(member["agency_region_code"])
        if not visible:
            raise hidden("staff member", staff_id)
        return member
