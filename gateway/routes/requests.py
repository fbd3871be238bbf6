"""Routes over the requests service: requests handled directly (诉求直办).

Who sees what is the requests service's rule (``services/requests/visibility.py``):
an enterprise its own requests; agency staff the requests their agency holds
and those it escalated; region administrators the requests raised in their
region; the national administrator all. The gateway passes the caller along;
a request outside one's scope answers exactly like one that does not exist
(404), to reads and actions alike.
"""
from marshmallow import Schema, fields

from chassis import keyset
from chassis.errors import NotFound as NoSuchRecord
from gateway import access, auth, pages
from gateway.api import Forbidden, Unprocessable, hidden, route
from gateway.rpc import ServiceProxy, in_parallel, result
from services.activities.schemas import ActivitiesAssessment
from services.agencies.schemas import Agency
from services.requests import schemas

# What a caller's action on a request publishes (docs/events.md): one event per action.
TRANSITION_EVENTS = tuple(schemas.EVENT_OF_ACTION[action] for action in schemas.ACTIONS)

READERS = auth.REGION_ADMINS + (auth.AGENCY_STAFF, auth.ENTERPRISE)

# Who reaches one request: the enterprise that raised it, the agency holding it (or that
# escalated it), the administrators of the region where it was raised.
REQUEST_READERS = """
    national_admin  ok  ok      ok
    region_admins   ok  hidden  ok
    agency_staff    ok  hidden  ok
    enterprise      ok  hidden  hidden"""

ServiceRequestPage = pages.keyset_page_schema(
    schemas.ServiceRequestSummary, "ServiceRequestPage",
    "https://onenet.example.org/api/v1/requests?state=submitted&page_size=20&cursor=" + keyset.encode_position(
        "requests", ["2026-03-31T10:00:00+08:00", "3f8e1a52-5b8a-4c1e-9d55-0d8f3e0f6a11"], {"state": "submitted"}, 2))


class RequestListQuery(pages.KeysetPageQuery, schemas.RequestFilter):
    """Page (by number or cursor) and filters of ``GET /api/v1/requests``."""

    cursor = keyset.cursor_field(example=keyset.encode_position(
        "requests", ["2026-03-31T10:00:00+08:00", "3f8e1a52-5b8a-4c1e-9d55-0d8f3e0f6a11"], {}, 2))


class RegionAssessment(schemas.Assessment):
    """评估问效 as the gateway assembles it: the requests' figures and the region's service
    activities and matchmaking outcomes."""

    activities = fields.Nested(ActivitiesAssessment, allow_none=True)
    unavailable = fields.Dict(keys=fields.String(), values=fields.String(),
                              metadata={"description": "Part → why it is missing"})


class AgencyQueue(Schema):
    """An agency's work queue: the agency and one page of its open requests, overdue first."""

    agency = fields.Nested(Agency)
    items = fields.List(fields.Nested(schemas.ServiceRequestSummary))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


def actor_of(principal):
    """The caller as the requests service records it."""
    return {"role": principal.role, "scope": principal.scope, "subject": principal.subject}


class RequestRoutes:
    requests = ServiceProxy("requests")
    agencies = ServiceProxy("agencies")
    activities = ServiceProxy("activities")

    @route("POST", "/api/v1/requests", access=access.callers(auth.ENTERPRISE), body=schemas.RequestSubmission,
           response=schemas.ServiceRequest, status=201, tags=["requests"],
           summary="Raise a request (or an arrears complaint); it is routed to an agency at once",
           emits=("request.submitted", "request.assigned"))
    def submit_request(self, call):
        """An enterprise raises a request in its own name; the answer names the agency
        that has it and the day by which it will be answered. A request about a policy
        names a published (or ended) one."""
        policy_id = call.body.get("policy_id")
        if policy_id is not None:
            try:
                policy = self.agencies.get_policy(policy_id)
            except NoSuchRecord:
                policy = None
            if policy is None or not policy.get("published_at"):
                raise Unprocessable(f"no policy with id {policy_id}", {"policy_id": ["no such policy"]})
        return self.requests.submit(call.principal.scope, call.body, actor_of(call.principal))

    @route("GET", "/api/v1/requests", access=access.callers(*READERS), query=RequestListQuery,
           response=ServiceRequestPage, tags=["requests"],
           summary="Requests within the caller's scope, newest first, filtered",
           order="newest first (by submission time), then by id")
    def list_requests(self, call):
        query = dict(call.query)
        for key in ("submitted_from", "submitted_to"):
            if key in query:
                query[key] = query[key].isoformat()
        return pages.keyset_listed(query, self.requests.list, actor_of(call.principal))

    @route("GET", "/api/v1/requests/<request_id>", access=REQUEST_READERS, response=schemas.ServiceRequest,
           tags=["requests"], summary="One request with its history, ratings and revisit calls")
    def get_request(self, call, request_id):
        return self.requests.get(request_id, actor_of(call.principal))

    @route("POST", "/api/v1/requests/<request_id>/transitions", access=REQUEST_READERS,
           body=schemas.TransitionRequest, response=schemas.ServiceRequest, tags=["requests"],
           summary="Move a request on (accept, start, resolve, transfer, return, escalate, "
                   "withdraw, reopen, close); 409 lists what is allowed instead. A transfer goes "
                   "only to an active agency offering the request's area within the region of the "
                   "holder or its parent; provider_id names an admitted provider covering the request",
           emits=TRANSITION_EVENTS)
    def transition_request(self, call, request_id):
        return self.requests.transition(request_id, call.body, actor_of(call.principal))

    @route("POST", "/api/v1/requests/<request_id>/rating", access="""
               enterprise  ok  hidden  hidden""",
           body=schemas.RatingSubmission, response=schemas.ServiceRequest, status=201,
           tags=["requests"], summary="The enterprise rates a resolution (1-5) and says if it is solved",
           emits=("request.rated", "request.revisited"))
    def rate_request(self, call, request_id):
        return self.requests.rate(request_id, call.body, actor_of(call.principal))

    @route("POST", "/api/v1/requests/<request_id>/revisits", access="""
               agency_staff  ok  hidden  ok""",
           body=schemas.RevisitCallRecord, response=schemas.ServiceRequest, status=201,
           tags=["requests"], summary="The holding agency records its revisit call (回访)",
           emits=("request.revisited",))
    def record_revisit(self, call, request_id):
        return self.requests.record_revisit(request_id, call.body, actor_of(call.principal))

    @route("GET", "/api/v1/assessment", access=access.callers(*auth.REGION_ADMINS), query=schemas.AssessmentQuery,
           response=RegionAssessment, tags=["requests"],
           summary="评估问效: a region's figures for a period: requests, service activities, matchmaking")
    def assessment(self, call):
        """The requests' figures and, fetched beside them, the region's service activities and
        matchmaking outcomes (null, with the reason in ``unavailable``, when that service cannot answer)."""
        region, period = call.query["region"], call.query["period"]
        if not call.principal.covers_region(region):
            raise Forbidden(f"region {region} is outside your scope", {"region": region})
        found = in_parallel(requests=lambda: self.requests.assessment(region, period),
                            activities=lambda: self.activities.assessment(region, period))
        figures, unavailable = dict(result(found["requests"])), {}
        if isinstance(found["activities"], Exception):
            figures["activities"] = None
            unavailable["activities"] = f"activities could not be fetched: {found['activities']}"
        else:
            figures["activities"] = found["activities"]
        return {**figures, "unavailable": unavailable}

    @route("GET", "/api/v1/agencies/<int:agency_id>/queue", access="""
               national_admin  ok  ok      -
               region_admins   ok  hidden  -
               agency_staff    ok  hidden  -""",
           query=pages.PageQuery, response=AgencyQueue, tags=["requests"],
           summary="An agency's work queue: its open requests, overdue first",
           order="overdue first, then by the nearest deadline (to accept or to resolve), then oldest "
                 "submitted first")
    def agency_queue(self, call, agency_id):
        principal = call.principal
        if principal.role == auth.AGENCY_STAFF and principal.scope != str(agency_id):
            raise hidden("agency", agency_id)
        limit, offset = pages.window(call.query)
        calls = in_parallel(agency=lambda: self.agencies.get(agency_id),
                            queue=lambda: self.requests.queue(agency_id, limit, offset))
        agency, found = result(calls["agency"]), result(calls["queue"])
        if principal.role != auth.AGENCY_STAFF and not principal.covers_region(agency["region_code"]):
            raise hidden("agency", agency_id)
        return {"agency": agency, **pages.page_of(found["items"], found["total"], call.query)}

    @route("PUT", "/api/v1/holiday-schedules/<int:year>", access=access.callers(auth.NATIONAL_ADMIN),
           body=schemas.HolidaySchedule, response=schemas.HolidayScheduleLoaded, tags=["operations"],
           summary="Load the State Council's holiday schedule for a year; provisional deadlines "
                   "are recomputed",
           emits=("holiday_schedule.loaded",))
    def load_holiday_schedule(self, call, year):
        return self.requests.load_holiday_schedule(year, call.body)

    @route("GET", "/api/v1/clock", access=access.callers(auth.NATIONAL_ADMIN), response=schemas.ClockReading,
           tags=["operations"], summary="The requests service's clock")
    def read_clock(self, call):
        return self.requests.clock_reading()

    @route("PUT", "/api/v1/clock", access=access.callers(auth.NATIONAL_ADMIN), body=schemas.ClockSetting,
           response=schemas.ClockReading, tags=["operations"],
           summary="Move the clock (test networks with clock control on); overdue requests "
                   "are escalated at once",
           emits=("request.escalated", "request.deadline_missed"))
    def set_clock(self, call):
        return self.requests.set_clock(call.body["offset_seconds"])
