"""Routes over the activities service: service activities (服务活动) and their calendars.

Activities, their occurrences and the calendars (JSON and ``.ics``) are
public: an SME must be able to find what is on. Agency staff publish for
their own agency, admins for agencies of their region. An enterprise
registers and cancels in its own name and rates what it attended; staff of
the holding or publishing agency, and admins of the place, see who
registered and check them in.
"""
from marshmallow import Schema, fields
from werkzeug.wrappers import Response

from chassis.errors import NotFound as NoSuchRecord
from gateway import access, auth, pages
from gateway.api import Forbidden, Unprocessable, require_region, route
from gateway.rpc import ServiceProxy
from services.activities import schemas
from services.enterprises.schemas import RegionPrefix

ActivityPage = pages.page_schema(schemas.Activity, "ActivityPage")
OccurrencePage = pages.page_schema(schemas.Occurrence, "OccurrencePage")
RegistrationPage = pages.page_schema(schemas.Registration, "RegistrationPage")
ActivityQuery = type("ActivityQuery", (pages.PageQuery, schemas.OccurrenceFilter), {})
# Publishing for an agency, and acting on an occurrence's registrations: staff of the agency
# (holding or publishing it) and admins of its region; the activity itself is public.
HOSTS = """
    national_admin  ok  ok       -
    region_admins   ok  refused  -
    agency_staff    ok  refused  -"""
PUBLIC_OBJECT = "everyone ok ok -"
# An enterprise registers for any occurrence, wherever it is held.
ANY_OCCURRENCE = "enterprise ok ok -"
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


class RegistrationQuery(pages.PageQuery):
    state = fields.String(metadata={"description": "registered, waitlisted or cancelled"})


class FeedQuery(Schema):
    kind = schemas.kind_field()
    region = RegionPrefix(metadata={"description": "Held in this region (2, 4 or 6 digits)"})


def ics(text, filename):
    return Response(text.encode("utf-8"), status=200, content_type=ICS_CONTENT_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


class ActivityRoutes:
    activities = ServiceProxy("activities")
    agencies = ServiceProxy("agencies")

    @route("POST", "/api/v1/activities", access=HOSTS, body=schemas.ActivityPublication,
           response=schemas.Activity, status=201, tags=["activities"],
           summary="Publish an activity (once or on an RFC 5545 rule, at stations); target SMEs are invited",
           emits=("activity.published",))
    def publish_activity(self, call):
        """Agency staff publish for their own agency; admins for an agency of their region."""
        principal, agency_id = call.principal, call.body["agency_id"]
        if principal.role == auth.AGENCY_STAFF:
            if principal.scope != str(agency_id):
                raise Forbidden(f"agency staff publish only for their own agency {principal.scope}",
                                {"agency_id": agency_id})
        else:
            try:
                agency = self.agencies.get(agency_id)
            except NoSuchRecord:
                raise Unprocessable(f"no agency with id {agency_id}",
                                    {"agency_id": [f"no agency with id {agency_id}"]}) from None
            require_region(principal, agency["region_code"], f"agency {agency_id}")
        return self.activities.publish_activity(call.body, principal.subject)

    @route("GET", "/api/v1/activities", access=access.PUBLIC, query=ActivityQuery, response=ActivityPage,
           tags=["activities"], summary="Published activities, newest first (by agency, kind, region)",
           order="newest first (the most recently created activity first)")
    def list_activities(self, call):
        return pages.listed(call.query, self._filtered(self.activities.list_activities))

    @route("GET", "/api/v1/activities/<int:activity_id>", access=PUBLIC_OBJECT, response=schemas.Activity,
           tags=["activities"], summary="One activity with every dated occurrence")
    def get_activity(self, call, activity_id):
        return self.activities.get_activity(activity_id)

    @route("GET", "/api/v1/occurrences", access=access.PUBLIC, query=ActivityQuery, response=OccurrencePage,
           tags=["activities"], summary="The calendar: occurrences earliest first (by agency, kind, region, days)",
           order="earliest start first, then by occurrence id")
    def list_occurrences(self, call):
        return pages.listed(call.query, self._filtered(self.activities.calendar))

    @staticmethod
    def _filtered(fetch):
        """``fetch`` given the filters as the contract reads them (``from``, ``to`` as ISO days)."""
        return lambda filters, limit, offset: fetch(schemas.OccurrenceFilter().dump(filters), limit, offset)

    @route("GET", "/api/v1/occurrences/<int:occurrence_id>", access=PUBLIC_OBJECT, response=schemas.Occurrence,
           tags=["activities"], summary="One occurrence with its places taken and waiting")
    def get_occurrence(self, call, occurrence_id):
        return self.activities.get_occurrence(occurrence_id)

    @route("GET", "/api/v1/activities/calendar.ics", access=access.PUBLIC, query=FeedQuery, tags=["activities"],
           summary="The public calendar as an iCalendar feed (text/calendar) for calendar apps")
    def public_calendar_feed(self, call):
        return ics(self.activities.calendar_feed(call.query, "全国中小企业服务一张网 服务活动"), "onenet.ics")

    @route("GET", "/api/v1/agencies/<int:agency_id>/calendar.ics", access=PUBLIC_OBJECT, query=FeedQuery,
           tags=["activities"], summary="One agency's calendar (held or published by it) as an iCalendar feed")
    def agency_calendar_feed(self, call, agency_id):
        agency = self.agencies.get(agency_id)
        return ics(self.activities.calendar_feed({**call.query, "agency_id": agency_id},
                                                 f"{agency['name']} 服务活动"), f"agency-{agency_id}.ics")

    # -- registration --------------------------------------------------------------------------

    @route("POST", "/api/v1/occurrences/<int:occurrence_id>/registration", access=ANY_OCCURRENCE,
           response=schemas.Registration, status=201, tags=["activities"],
           summary="Register the calling enterprise: a place while one is free, else the waitlist",
           emits=("activity.registered", "activity.waitlisted"))
    def register(self, call, occurrence_id):
        return self.activities.register(occurrence_id, call.principal.scope)

    @route("GET", "/api/v1/occurrences/<int:occurrence_id>/registration", access=ANY_OCCURRENCE,
           response=schemas.Registration, tags=["activities"],
           summary="The calling enterprise's registration (its waitlist position while it waits)")
    def my_registration(self, call, occurrence_id):
        return self.activities.registration(occurrence_id, call.principal.scope)

    @route("DELETE", "/api/v1/occurrences/<int:occurrence_id>/registration", access=ANY_OCCURRENCE,
           response=schemas.Registration, tags=["activities"],
           summary="Cancel the calling enterprise's registration; the first waiting moves up",
           emits=("activity.registration_cancelled", "activity.promoted"))
    def cancel_registration(self, call, occurrence_id):
        return self.activities.cancel_registration(occurrence_id, call.principal.scope)

    @route("GET", "/api/v1/occurrences/<int:occurrence_id>/registrations", access=HOSTS,
           query=RegistrationQuery, response=RegistrationPage, tags=["activities"],
           summary="Who registered and who waits, in order (holding or publishing agency, admins of the place)",
           order="in the order the enterprises registered (the waiting list's order)")
    def list_registrations(self, call, occurrence_id):
        self._hosts(call.principal, occurrence_id)
        limit, offset = pages.window(call.query)
        found = self.activities.registrations(occurrence_id, call.query.get("state"), limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)

    @route("POST", "/api/v1/occurrences/<int:occurrence_id>/check-ins", access=HOSTS, body=schemas.CheckIn,
           response=schemas.Registration, tags=["activities"],
           summary="Check in a registered enterprise (签到); someone not registered is a 409",
           emits=("activity.checked_in",))
    def check_in(self, call, occurrence_id):
        self._hosts(call.principal, occurrence_id)
        return self.activities.check_in(occurrence_id, call.body["uscc"], call.principal.subject)

    @route("POST", "/api/v1/occurrences/<int:occurrence_id>/rating", access="enterprise ok - -",
           body=schemas.ActivityRatingInput, response=schemas.ActivityRating, status=201, tags=["activities"],
           summary="Rate an occurrence the calling enterprise attended, after it ended (1–5, with a comment)",
           emits=("activity.rated",))
    def rate(self, call, occurrence_id):
        return self.activities.rate(occurrence_id, call.principal.scope, call.body)

    def _hosts(self, principal, occurrence_id):
        """The occurrence, when the caller is staff of the agency holding or publishing it, or an
        admin of the place it is held; 403 otherwise (the occurrence itself is public)."""
        occurrence = self.activities.get_occurrence(occurrence_id)
        if principal.role == auth.AGENCY_STAFF:
            allowed = principal.scope in (str(occurrence["agency_id"]), str(occurrence["publisher_agency_id"]))
        else:
            allowed = principal.covers_region(occurrence["region_code"])
        if not allowed:
            raise Forbidden(f"occurrence {occurrence_id} is held outside your scope",
                            {"occurrence_id": occurrence_id})
        return occurrence
