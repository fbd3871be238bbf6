"""The requests use cases (submission, transition, escalation) over fakes of their ports: no
broker, no database, the agencies service nowhere (cosmicpython's service-layer tests)."""
import uuid
from datetime import date, datetime, timedelta

import pytest

from reference import workdays
from chassis.errors import Conflict, NotFound, ValidationFailed
from services.agencies.contract import routing
from services.requests import escalation, submission, transition
from services.requests.deadlines import CHINA_TIME
from services.requests.ports import Ports
from services.requests.store import REQUEST_COLUMNS

TX = object()   # the fakes keep their state in themselves; the transaction is only passed along


class FakeClock:
    def __init__(self, day):
        self.moment = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TIME)

    def now(self, tx):
        return self.moment

    def move_to(self, day):
        self.moment = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TIME)


class FakeAgencies:
    """The copy of the hierarchy: agencies by id, guides' time limits by (agency, area), and
    providers by id with the areas they are admitted in."""

    def __init__(self, *agencies, guides=None, providers=None):
        self.rows = {agency["id"]: agency for agency in agencies}
        self.guides = dict(guides or {})
        self.providers = dict(providers or {})   # id: (region_code, admitted areas)

    def provider(self, tx, provider_id):
        if provider_id not in self.providers:
            return None
        region_code, areas = self.providers[provider_id]
        return {"id": provider_id, "region_code": region_code,
                "memberships": [{"service_area": area, "state": "admitted"} for area in areas]}

    def route_candidates(self, tx, region_code, park, service_area):
        prefixes = routing.covering_prefixes(region_code)
        return [{**agency, "guide_limits": self.guides.get((agency["id"], service_area))}
                for agency in self.rows.values() if agency["region_prefix"] in prefixes
                and (agency["level"] != "station" or agency["park"] == park)]

    def agency(self, tx, agency_id):
        return self.rows.get(agency_id)

    def parents(self, tx, agency_ids):
        found = {}
        for agency_id in agency_ids:
            agency = self.rows.get(agency_id)
            if agency is None:
                continue
            if agency["parent_id"] is None:
                found[agency_id] = None
            elif agency["parent_id"] in self.rows:
                found[agency_id] = self.rows[agency["parent_id"]]
        return found

    def time_limits(self, tx, pairs):
        return {pair: self.guides[pair] for pair in pairs if pair in self.guides}


class FakeRequests:
    """The request store, in memory, answering as the SQL of :mod:`services.requests.store` does."""

    def __init__(self):
        self.rows, self.history, self.breaches = {}, [], set()

    def insert_request(self, tx, request):
        row = {**dict.fromkeys(REQUEST_COLUMNS), "reopen_count": 0, "escalation_count": 0,
               "deadline_provisional": False, **request, "id": uuid.uuid4()}
        self.rows[row["id"]] = row
        return dict(row)

    def update_request(self, tx, request_id, changes):
        self.rows[request_id].update(changes)
        return dict(self.rows[request_id])

    def add_history(self, tx, entries, events=None):
        stored = [{**entry, "id": len(self.history) + n + 1} for n, entry in enumerate(entries)]
        self.history.extend(stored)
        return stored

    def load_calendar(self, tx):
        return workdays.calendar_of(())

    def previous_holder(self, tx, request_id, agency_id):
        for entry in reversed(self.history):
            if (entry["request_id"] == request_id and entry["to_agency_id"] == agency_id
                    and entry["from_agency_id"] not in (None, agency_id)):
                return entry["from_agency_id"]
        return None

    def record_breaches(self, tx, keys):
        new = {str(key[0]) for key in keys if key[:4] not in self.breaches}
        self.breaches.update(key[:4] for key in keys)
        return new

    def unrouted_requests(self, tx, limit, lock=False):
        return [dict(row) for row in self.rows.values() if row["state"] == "submitted"][:limit]

    def overdue_requests(self, tx, today, limit):
        found = []
        for row in self.rows.values():
            kind, due = (("accept", row["accept_by"]) if row["state"] == "assigned" else
                         ("resolve", row["resolve_by"]) if row["state"] in ("accepted", "in_progress") else
                         (None, None))
            if kind and due < today and (str(row["id"]), kind, row["agency_id"], due) not in self.breaches:
                found.append({**row, "breach_kind": kind, "breach_due": due})
        return found[:limit]

    def escalate_all(self, tx, plans):
        done = []
        for plan in plans:
            row = self.rows[plan["id"]]
            if (row["state"], row["agency_id"]) != (plan["state"], plan["agency_id"]):
                continue
            previous = row["state"]
            row.update({key: plan[key] for key in ("agency_name", "agency_level", "agency_region_code",
                                                   "accept_days", "resolve_days", "accept_from", "accept_by",
                                                   "resolve_by", "deadline_provisional", "updated_at")})
            row.update(state="assigned", agency_id=plan["new_agency_id"], resolve_from=plan["accept_from"],
                       accepted_at=None, escalation_count=row["escalation_count"] + 1)
            done.append({**row, "previous_state": previous, "previous_agency_id": plan["agency_id"]})
        return done


class FakeOutbox:
    def __init__(self):
        self.events = []

    def add(self, tx, event_type, payload, aggregate_id=None):
        self.events.append((event_type, payload))

    def part(self, tx, events, when=None):
        for event_type, payload, aggregate_id in events:
            self.add(tx, event_type, payload, aggregate_id)
        return ("outbox_rows AS (…)", {})

    def types(self):
        return [event_type for event_type, _ in self.events]


def agency(id, level, region_code, parent_id, areas=("policy", "rights"), park=None, active=True):
    return {"id": id, "name": f"{region_code} {level}", "level": level, "region_code": region_code,
            "region_prefix": routing.coverage_prefix(region_code), "depth": routing.depth_of(level),
            "parent_id": parent_id, "park": park, "service_areas": list(areas), "active": active}


NATIONAL = agency(1, "national", "000000", None)
JIANGSU = agency(2, "province", "320000", 1)
NANJING = agency(3, "city", "320100", 2)
XUANWU = agency(4, "county", "320102", 3)
QINHUAI = agency(5, "county", "320104", 3)
SUZHOU = agency(6, "city", "320500", 2)
MONDAY = date(2026, 3, 2)
ENTERPRISE = {"role": "enterprise", "scope": "91320102MA1XB0003L", "subject": "user"}


def staff(agency_id):
    return {"role": "agency_staff", "scope": str(agency_id), "subject": f"staff-{agency_id}"}


@pytest.fixture
def world():
    class World:
        clock = FakeClock(MONDAY)
        agencies = FakeAgencies(NATIONAL, JIANGSU, NANJING, XUANWU, QINHUAI, SUZHOU,
                                guides={(4, "policy"): {"accept_days": 4, "resolve_days": 12}},
                                providers={7: ("320100", ("policy",)), 8: ("320500", ("policy",)),
                                           9: ("320102", ("rights",))})
        requests = FakeRequests()
        outbox = FakeOutbox()
        ports = Ports(requests=requests, agencies=agencies, outbox=outbox)

        def submit(self, region_code="320102", area="policy"):
            data = {"service_area": area, "title": "申请政策兑现", "description": "", "region_code": region_code}
            return submission.submit(TX, self.clock, self.ports, ENTERPRISE["scope"], data, ENTERPRISE).row

        def step(self, row, action, actor, **body):
            current = dict(self.requests.rows[row["id"]])
            return transition.take_step(TX, self.clock, self.ports, current, {"action": action, **body},
                                        actor, body.get("reason"), body.get("provider_id"))[0]

    return World()


def test_submission_routes_over_the_copy_with_the_guides_time_limits_and_the_explanation(world):
    row = world.submit()

    assert (row["state"], row["agency_id"], row["accept_days"], row["resolve_days"]) == ("assigned", 4, 4, 12)
    assert row["accept_by"] == date(2026, 3, 6)   # four working days after Monday
    assert world.outbox.types() == ["request.submitted", "request.assigned"]
    assert world.requests.history[-1]["reason"].startswith(
        "320102 county: deepest agency covering region 320102 that offers policy")


def test_submission_in_an_area_without_a_guide_takes_the_areas_default_limits_from_the_deepest_offer(world):
    row = world.submit(area="rights")
    assert (row["agency_id"], row["accept_days"], row["resolve_days"]) == (4, 2, 10)


def test_submission_no_agency_covers_stays_submitted_until_a_sweep_finds_one(world):
    world.agencies.rows.clear()
    row = world.submit()
    assert (row["state"], row["agency_id"]) == ("submitted", None)
    assert world.outbox.types() == ["request.submitted"]
    assert escalation.route_waiting(TX, world.clock, world.ports) == 0

    world.agencies.rows.update({a["id"]: a for a in (NATIONAL, JIANGSU, NANJING, XUANWU)})
    assert escalation.route_waiting(TX, world.clock, world.ports) == 1
    assert world.requests.rows[row["id"]]["agency_id"] == 4
    assert escalation.route_waiting(TX, world.clock, world.ports) == 0


def test_overdue_request_is_escalated_to_the_parent_once_with_the_parents_limits(world):
    row = world.submit()
    world.clock.move_to(row["accept_by"] + timedelta(days=1))

    assert escalation.escalate_overdue(TX, world.clock, world.ports) == (1, 1)
    assert escalation.escalate_overdue(TX, world.clock, world.ports) == (0, 0)
    after = world.requests.rows[row["id"]]
    assert (after["agency_id"], after["escalation_count"], after["accept_days"]) == (3, 1, 2)
    assert world.outbox.types()[-2:] == ["request.deadline_missed", "request.escalated"]


def test_overdue_at_an_agency_the_copy_does_not_know_waits_for_a_later_sweep(world):
    row = world.submit()
    del world.agencies.rows[4]
    world.clock.move_to(row["accept_by"] + timedelta(days=1))
    assert escalation.escalate_overdue(TX, world.clock, world.ports) == (0, 0)
    assert world.requests.breaches == set()


def test_a_transfer_outside_the_supervisors_region_is_refused_and_changes_nothing(world):
    row = world.submit()
    with pytest.raises(ValidationFailed) as refused:
        world.step(row, "transfer", staff(4), target_agency_id=6, reason="属苏州")
    with pytest.raises(ValidationFailed):
        world.step(row, "transfer", staff(4), target_agency_id=99, reason="无此机构")
    assert "outside the region" in refused.value.details["target_agency_id"][0]
    assert world.requests.rows[row["id"]]["agency_id"] == 4 and len(world.requests.history) == 2


def test_a_return_goes_back_to_the_agency_it_came_from_else_to_the_parent(world):
    row = world.submit()
    world.step(row, "transfer", staff(4), target_agency_id=5, reason="属秦淮区管辖")
    returned = world.step(row, "return", staff(5), reason="不属本区管辖")
    to_parent = world.step(world.submit(), "return", staff(4), reason="需市级统筹")
    assert (returned["agency_id"], to_parent["agency_id"]) == (4, 3)


def test_escalation_by_hand_stops_at_national_level(world):
    row = world.submit()
    for expected in (3, 2, 1):
        assert world.step(row, "escalate", staff(world.requests.rows[row["id"]]["agency_id"]),
                          reason="需上级统筹")["agency_id"] == expected
    with pytest.raises(Conflict):
        world.step(row, "escalate", staff(1), reason="需上级统筹")


def test_a_step_on_a_request_whose_holder_the_copy_does_not_know_is_not_found(world):
    row = world.submit()
    del world.agencies.rows[4]
    with pytest.raises(NotFound):
        world.step(row, "escalate", staff(4), reason="需上级统筹")
    assert world.step(row, "accept", staff(4))["state"] == "accepted"   # no agency needed


def test_a_step_names_a_provider_admitted_in_the_area_whose_region_covers_the_request(world):
    row = world.submit()
    accepted = world.step(row, "accept", staff(4), provider_id=7)   # 南京市: covers 玄武区
    assert (accepted["state"], accepted["provider_id"]) == ("accepted", 7)


@pytest.mark.parametrize("provider_id, problem", [
    (8, "provider 8 (320500) does not cover the region 320102 of the request"),
    (9, "provider 9 is not admitted in the service area policy"),
    (99, "no such provider"),
])
def test_a_provider_outside_the_request_or_its_area_or_unknown_is_refused_and_changes_nothing(
        world, provider_id, problem):
    row = world.submit()
    with pytest.raises(ValidationFailed) as refused:
        world.step(row, "accept", staff(4), provider_id=provider_id)
    assert refused.value.details == {"provider_id": [problem]}
    assert world.requests.rows[row["id"]]["state"] == "assigned" and len(world.requests.history) == 2


def test_a_refused_step_is_told_before_the_provider_it_names(world):
    row = world.submit()
    with pytest.raises(Conflict):
        world.step(row, "resolve", staff(4), provider_id=99)


def test_a_provider_is_recorded_only_on_accept_start_and_resolve(world):
    row = world.submit()
    transferred = world.step(row, "transfer", staff(4), target_agency_id=5, reason="属秦淮区管辖", provider_id=99)
    assert (transferred["agency_id"], transferred["provider_id"]) == (5, None)
