"""The authorization matrix, generated from the gateway's route table.

Every route declares its outcomes once, in its ``access`` table (see
:mod:`gateway.access`). This test takes the gateway's real routes and calls
each one as every caller (anonymous and each role, scoped to 杭州西湖区 330106
or its city and province) on an object in the caller's own scope, another
region's object (深圳南山区 440305) and another enterprise's object, and fails
on any answer other than the declared one. ``hidden`` is checked word for
word: the answer must be the one the same call gets for an object that does
not exist.

How to call each route lives in :data:`CASES`, keyed by the route's name: a
function of the world, the caller and the situation giving the path's
object, the body and query, and, where the call changes the object's state,
a fresh object to change. A route without a case fails here, so every new
route joins the matrix.
"""
import itertools
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest

from gateway import access, auth
from gateway.openapi import routes_of
from gateway.service import GatewayService
from tests.stack import (SERVICE_GUIDE, activity_body, evaluation_quarters, known_to_activities, known_to_requests,
                         new_uscc, provider_registration, registration, wait_for)

HOME, AWAY = "330106", "440305"
HOME_SCOPES = {auth.PROVINCE_ADMIN: "330000", auth.CITY_ADMIN: "330100", auth.COUNTY_ADMIN: HOME,
               auth.PROVINCE_SYSTEM: "33"}
NO_ONE = {"tags": ["authorization-matrix-no-enterprise"]}
MISSING = {"uscc": None, "request_id": "00000000-0000-4000-8000-000000000000",
           "notice_id": "00000000-0000-4000-8000-00000000000a"}
# A webhook on this machine where nothing listens (the test network allows loopback, as `make run` does).
LOCAL_HOOK = "http://127.0.0.1:9/onenet-matrix"
MISSING_ID = 999_999_999
ROUTES = dict(routes_of(GatewayService))
_serial = itertools.count(1)


def serial():
    return next(_serial)


@dataclass
class Case:
    """One call: the object in the path (if the route has one), body, query and the caller's token
    when the cell needs a caller of its own (an enterprise that registers itself)."""

    key: object = None
    body: dict = None
    query: str = ""
    form: bool = False
    token: str = None


@dataclass
class World:
    """What the matrix calls routes on: per situation, one object of each kind."""

    api: object
    token: object
    home_station: dict = None
    away_station: dict = None
    home_county: dict = None
    away_county: dict = None
    enterprises: dict = field(default_factory=dict)      # situation -> uscc
    requests: dict = field(default_factory=dict)         # situation -> request id
    policies: dict = field(default_factory=dict)         # situation -> policy id
    entries: dict = field(default_factory=dict)          # (kind, situation) -> id
    providers: dict = field(default_factory=dict)        # situation -> provider id
    lead_firms: dict = field(default_factory=dict)       # situation -> lead firm id
    chain_needs: dict = field(default_factory=dict)      # situation -> need id (of that lead firm)
    chain_offers: dict = field(default_factory=dict)     # situation -> offer id on that need
    activities: dict = field(default_factory=dict)       # situation -> activity id (at that station)
    occurrences: dict = field(default_factory=dict)      # situation -> occurrence id
    financing: dict = field(default_factory=dict)        # situation -> financing need id
    financing_offers: dict = field(default_factory=dict)  # situation -> offer id on that need
    banks: dict = field(default_factory=dict)            # region -> finance provider's user token
    members: dict = field(default_factory=dict)          # situation -> staff member id
    models: dict = field(default_factory=dict)           # situation -> scoring model id
    runs: dict = field(default_factory=dict)             # situation -> scoring run id
    published: dict = field(default_factory=dict)        # situation -> published policy id
    subscriptions: dict = field(default_factory=dict)    # (role, situation) -> webhook subscription id

    def caller(self, role):
        """A token for ``role`` in its own scope (None: anonymous)."""
        if role == access.ANONYMOUS:
            return None
        if role == auth.NATIONAL_ADMIN:
            return self.token(role)
        if role == auth.AGENCY_STAFF:
            return self.token(role, str(self.home_station["id"]))
        if role == auth.ENTERPRISE:
            return self.token(role, self.enterprises["own"])
        if role == auth.LEAD_FIRM:
            return self.token(role, str(self.lead_firms["own"]))
        return self.token(role, HOME_SCOPES[role])

    def call(self, method, path, token=None, **kwargs):
        answer = self.api.request(method, path, token, **kwargs)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def admin(self):
        return self.token(auth.NATIONAL_ADMIN)

    # -- objects -------------------------------------------------------------------

    def station(self, region, parent):
        station = self.call("POST", "/api/v1/agencies", self.admin(), json={
            "name": f"矩阵测试服务站{serial()}", "level": "station", "region_code": region,
            "parent_id": parent["id"], "park": f"矩阵测试园区{uuid.uuid4().hex[:8]}",
            "service_areas": list(GUIDE_AREAS)})
        known_to_requests(station["id"])   # requests in its park go to it
        return station

    def enterprise(self, region):
        uscc = new_uscc(region)
        self.call("POST", "/api/v1/enterprises", self.admin(), json=registration(uscc, region_code=region))
        return uscc

    def request(self, situation, state="assigned"):
        """A request of the situation's enterprise, held by the situation's station, in ``state``."""
        uscc = self.enterprises[situation]
        station = self.away_station if situation == "other_region" else self.home_station
        created = self.call("POST", "/api/v1/requests", self.token(auth.ENTERPRISE, uscc), json={
            "service_area": "finance_talent", "title": "融资需求", "description": "需要流动资金贷款",
            "region_code": station["region_code"], "park": station["park"]})
        assert created["agency_id"] == station["id"], created
        staff = self.token(auth.AGENCY_STAFF, str(station["id"]))
        for action in {"assigned": (), "resolved": ("accept", "resolve")}[state]:
            self.call("POST", f"/api/v1/requests/{created['id']}/transitions", staff, json={"action": action})
        return created["id"]

    def policy(self, situation):
        agency = self.away_county if situation == "other_region" else self.home_county
        return self.call("POST", "/api/v1/policies", self.admin(), json={
            "title": "矩阵测试政策草案", "issuer": "测试机关", "issuer_level": "county", "issued_on": "2026-01-01",
            "region_code": agency["region_code"], "service_area": "policy", "benefits": "测试用",
            "criteria": NO_ONE, "agency_id": agency["id"]})["id"]

    def provider(self, situation, stage=None):
        """The situation's enterprise as a provider; with a ``stage`` ("new", "applied",
        "admitted"), a fresh provider at that stage of admission."""
        region = self.region_of(situation)
        uscc = new_uscc(region) if stage else self.enterprises[situation]
        provider_id = self.call("POST", "/api/v1/providers", self.admin(),
                                json=provider_registration(uscc, region_code=region))["id"]
        admitted, applied = stage == "admitted", stage == "applied"
        if admitted or applied:
            self.call("POST", f"/api/v1/providers/{provider_id}/applications", self.admin(),
                      json={"service_area": "finance_talent"})
        if admitted:
            self.call("POST", f"/api/v1/providers/{provider_id}/decisions", self.admin(), json={
                "service_area": "finance_talent", "decision": "admit", "reason": "材料齐全"})
        return provider_id, uscc

    def region_of(self, situation):
        return AWAY if situation == "other_region" else HOME

    # -- activities and matchmaking ------------------------------------------------------

    def station_of(self, situation):
        return self.away_station if situation == "other_region" else self.home_station

    def activity(self, situation, starts=None, **overrides):
        """An activity at the situation's station: ``(activity id, occurrence id)``."""
        station = self.station_of(situation)
        starts = starts or datetime.now(timezone.utc) + timedelta(days=30)
        made = self.call("POST", "/api/v1/activities", self.token(auth.AGENCY_STAFF, str(station["id"])),
                         json=activity_body(station["id"], starts, **overrides))
        return made["id"], made["occurrences"][0]["id"]

    def occurrence(self, situation):
        return self.activity(situation)[1]

    def registered(self, occurrence_id, uscc):
        self.call("POST", f"/api/v1/occurrences/{occurrence_id}/registration", self.token(auth.ENTERPRISE, uscc))
        return occurrence_id

    def attended(self, uscc):
        """An occurrence at the home station that ``uscc`` attended and that has ended."""
        starts = datetime.now(timezone.utc) + timedelta(seconds=1)
        _, occurrence_id = self.activity("own", starts, ends_at=(starts + timedelta(seconds=1)).isoformat(),
                                         registration_opens_at=(starts - timedelta(hours=1)).isoformat())
        self.registered(occurrence_id, uscc)
        self.call("POST", f"/api/v1/occurrences/{occurrence_id}/check-ins", self.admin(), json={"uscc": uscc})
        time.sleep(max(0.0, (starts + timedelta(seconds=1) - datetime.now(timezone.utc)).total_seconds()) + 0.2)
        return occurrence_id

    def lead_firm(self, situation):
        region = self.region_of(situation)
        return self.call("POST", "/api/v1/lead-firms", self.admin(), json={
            "name": f"矩阵测试链主企业{serial()}", "uscc": new_uscc(region), "region_code": region,
            "industry_codes": ["C36"]})["id"]

    def chain_need(self, situation):
        return self.call("POST", "/api/v1/supply-chain-needs", self.token(auth.LEAD_FIRM,
                                                                          str(self.lead_firms[situation])),
                         json=CHAIN_NEED)["id"]

    def chain_offer(self, need_id, shortlisted=False, situation="own"):
        offer = self.call("POST", f"/api/v1/supply-chain-needs/{need_id}/offers",
                          self.token(auth.ENTERPRISE, self.enterprises["own"]), json={"offer": "可供货"})["id"]
        if shortlisted:
            self.call("POST", f"/api/v1/supply-chain-offers/{offer}/shortlist",
                      self.token(auth.LEAD_FIRM, str(self.lead_firms[situation])))
        return offer

    def bank(self, region):
        """A finance provider of ``region`` admitted in finance_talent, known to activities: its user's token."""
        provider_id, uscc = self.provider("other_region" if region == AWAY else "own", "admitted")
        assert known_to_activities("provider_membership", "provider_id", provider_id)
        return self.token(auth.ENTERPRISE, uscc)

    def financing_need(self, situation):
        return self.call("POST", "/api/v1/financing-needs", self.token(auth.ENTERPRISE, self.enterprises[situation]),
                         json=FINANCING_NEED)["id"]

    def financing_offer(self, need_id, situation):
        return self.call("POST", f"/api/v1/financing-needs/{need_id}/offers", self.banks[self.region_of(situation)],
                         json=FINANCING_OFFER)["id"]

    def activities_and_boards(self):
        for station in (self.home_station, self.away_station):
            assert known_to_activities("agency", "id", station["id"])
        for situation in ("own", "other_region"):
            self.activities[situation], self.occurrences[situation] = self.activity(situation)
            self.registered(self.occurrences[situation], self.enterprises["own"])
        self.lead_firms = {situation: self.lead_firm(situation) for situation in access.SITUATIONS}
        self.chain_needs = {situation: self.chain_need(situation) for situation in access.SITUATIONS}
        self.chain_offers = {situation: self.chain_offer(self.chain_needs[situation])
                             for situation in access.SITUATIONS}
        self.banks = {HOME: self.bank(HOME), AWAY: self.bank(AWAY)}
        for uscc in self.enterprises.values():
            assert known_to_activities("enterprise", "uscc", uscc)
        self.financing = {situation: self.financing_need(situation) for situation in access.SITUATIONS}
        self.financing_offers = {situation: self.financing_offer(self.financing[situation], situation)
                                 for situation in access.SITUATIONS}
    def member(self, situation, subject=None):
        """A staff member of the situation's station (the station's own staff token's subject by default)."""
        station = self.station_of(situation)
        return self.call("POST", f"/api/v1/agencies/{station['id']}/staff", self.admin(), json={
            "subject": subject or f"agency_staff:{station['id']}", "name": "矩阵测试员", "post": "服务专员"})["id"]

    def scoring(self, situation):
        """A scoring model of the situation's province and a run of it."""
        scope = PROVINCES[situation]
        model = self.call("POST", "/api/v1/scoring/models", self.admin(), json={
            "scope": scope, "year": CAPACITY_YEAR, "indicators": [
                {"indicator": "county_coverage", "weight": 100, "target": 100}]})
        run = self.call("POST", "/api/v1/scoring/runs", self.admin(), json={"model_id": model["id"]})
        return model["id"], run["id"]

    def nomination(self, situation):
        return self.call("POST", f"/api/v1/scoring/runs/{self.runs[situation]}/nominations", self.admin(), json={
            "kind": "agency", "agency_id": self.station_of(situation)["id"], "title": "优秀服务机构",
            "reason": "矩阵测试"})["id"]

    # -- notifications --------------------------------------------------------------------

    def inbox_owner(self, role, situation):
        """The token of whoever owns the inbox (and webhooks) of the situation, as ``role`` sees it:
        an enterprise, or for agency staff the home or away station (another enterprise's otherwise)."""
        if role == auth.AGENCY_STAFF and situation != "other_enterprise":
            station = self.away_station if situation == "other_region" else self.home_station
            return self.token(auth.AGENCY_STAFF, str(station["id"]))
        return self.token(auth.ENTERPRISE, self.enterprises[situation])

    def notice(self, role, situation):
        owner = self.inbox_owner(role, situation)
        found = wait_for(lambda: self.call("GET", "/api/v1/notifications", owner)["items"], timeout=20)
        assert found, f"no notice for {role} / {situation}"
        return found[0]["id"]

    def subscription(self, role, situation, fresh=False):
        """The situation's webhook subscription; ``fresh``: a new one (to delete)."""
        def subscribe():
            return self.call("POST", "/api/v1/webhooks", self.inbox_owner(role, situation),
                             json={"url": LOCAL_HOOK})["id"]
        if fresh:
            return subscribe()
        if (role, situation) not in self.subscriptions:
            self.subscriptions[role, situation] = subscribe()
        return self.subscriptions[role, situation]

    def published_policy(self, situation):
        if situation not in self.published:
            policy_id = self.policy(situation)
            self.call("POST", f"/api/v1/policies/{policy_id}/publish", self.admin())
            self.published[situation] = policy_id
        return self.published[situation]


GUIDE_AREAS = ("policy", "cultivation", "chain", "finance_talent", "quality_brand", "international",
               "rights", "training")
ENTRY_BODIES = {
    "law": {"title": "矩阵测试法规", "category": "law", "issuer": "测试机关", "issued_on": "2020-01-01"},
    "expert": {"name": "测试专家", "organization": "测试机构", "service_areas": ["policy"], "phone": "0571-1234"},
    "faq": {"question": "矩阵测试问题？", "answer": "测试回答", "service_area": "policy"},
    "product": {"title": "矩阵测试产品", "summary": "测试用", "service_area": "policy"},
    "case": {"title": "矩阵测试案例", "summary": "测试用", "service_area": "policy"},
}
CHAIN_NEED = {"title": "矩阵测试配套需求", "description": "测试用", "industry_codes": ["C36"],
              "quantity": "每月 100 套", "deadline": "2099-12-31"}
FINANCING_NEED = {"amount": 100, "term_months": 12, "purpose": "矩阵测试", "collateral": "credit"}
FINANCING_OFFER = {"amount": 100, "annual_rate_pct": 3.5, "term_months": 12}
CAPACITY_YEAR = 2030
PROVINCES = {"own": "330000", "other_region": "440000"}
CAPACITY = {"year": CAPACITY_YEAR, "full_time_staff": 3, "part_time_staff": 1,
            "funding": {"fiscal": 50}, "it": {"network_connected": True}}
ENTRY_CHANGE = {"law": {"issuer": "测试机关二"}, "expert": {"organization": "测试机构二"},
                "faq": {"answer": "测试回答二"}, "product": {"summary": "测试用二"}, "case": {"summary": "测试用二"}}


@pytest.fixture(scope="module")
def world(api, token, agency_skeleton):
    world = World(api, token)
    county = api.get(f"/api/v1/agencies?level=county&region={HOME}").json()["items"][0]
    away = api.get(f"/api/v1/agencies?level=county&region={AWAY}").json()["items"][0]
    world.home_county, world.away_county = county, away
    world.home_station, world.away_station = world.station(HOME, county), world.station(AWAY, away)
    for station in (world.home_station, world.away_station):
        world.call("PUT", f"/api/v1/agencies/{station['id']}/guide", world.admin(), json=SERVICE_GUIDE)
    world.enterprises = {"own": world.enterprise(HOME), "other_region": world.enterprise(AWAY),
                         "other_enterprise": world.enterprise(HOME)}
    world.requests = {situation: world.request(situation) for situation in access.SITUATIONS}
    world.policies = {situation: world.policy(situation) for situation in ("own", "other_region")}
    for kind, body in ENTRY_BODIES.items():
        for situation in ("own", "other_region"):
            world.entries[kind, situation] = world.call("POST", f"/api/v1/{kind}s", world.admin(), json={
                **body, "region_code": world.region_of(situation)})["id"]
    world.providers = {situation: world.provider(situation)[0] for situation in access.SITUATIONS}
    world.activities_and_boards()
    for situation in ("own", "other_region"):
        world.call("PUT", f"/api/v1/agencies/{world.station_of(situation)['id']}/capacity", world.admin(),
                   json=CAPACITY)
        world.members[situation] = world.member(situation)
        world.models[situation], world.runs[situation] = world.scoring(situation)
    MISSING["uscc"] = new_uscc(HOME)
    return world


# -- how to call each route ---------------------------------------------------------

def fixed(**case):
    return lambda world, role, situation, fresh: Case(**case)


def on_enterprise(body=None, query=""):
    return lambda world, role, situation, fresh: Case(world.enterprises[situation], body, query)


def on_request(world, role, situation, fresh):
    return Case(world.requests[situation])


def transition(world, role, situation, fresh):
    action = {auth.ENTERPRISE: {"action": "withdraw"}, auth.AGENCY_STAFF: {"action": "accept"}}.get(
        role, {"action": "escalate", "reason": "需上级统筹"})
    return Case(world.request(situation) if fresh else world.requests[situation], action)


def rating(world, role, situation, fresh):
    return Case(world.request(situation, "resolved") if fresh else world.requests[situation],
                {"score": 5, "solved": True})


def revisit(world, role, situation, fresh):
    return Case(world.request(situation, "resolved") if fresh else world.requests[situation],
                {"note": "电话回访，企业满意", "solved": True})


def on_station(body=None):
    def case(world, role, situation, fresh):
        station = world.away_station if situation == "other_region" else world.home_station
        return Case(station["id"], body)
    return case


def on_station_query(query):
    return lambda world, role, situation, fresh: Case(world.station_of(situation)["id"], query=query)


def new_station(world, role, situation, fresh):
    county = world.away_county if situation == "other_region" else world.home_county
    return Case(body={"name": f"矩阵新建服务站{serial()}", "level": "station",
                      "region_code": county["region_code"], "parent_id": county["id"],
                      "park": f"矩阵新建园区{uuid.uuid4().hex[:8]}", "service_areas": ["policy"]})


def on_policy(body=None, needs_fresh=False):
    def case(world, role, situation, fresh):
        key = world.policy(situation) if fresh and needs_fresh else world.policies[situation]
        return Case(key, body)
    return case


def new_policy(world, role, situation, fresh):
    agency = world.away_county if situation == "other_region" else world.home_county
    return Case(body={"title": "矩阵新建政策草案", "issuer": "测试机关", "issuer_level": "county",
                      "issued_on": "2026-01-01", "region_code": agency["region_code"], "service_area": "policy",
                      "benefits": "测试用", "criteria": NO_ONE, "agency_id": agency["id"]})


def entry_cases(kind):
    def one(world, role, situation, fresh):
        return Case(world.entries[kind, situation])

    def add(world, role, situation, fresh):
        return Case(body={**ENTRY_BODIES[kind], "region_code": world.region_of(situation)})

    def change(world, role, situation, fresh):
        return Case(world.entries[kind, situation], ENTRY_CHANGE[kind])

    return {f"list_{kind}s": fixed(), f"get_{kind}": one, f"add_{kind}": add, f"update_{kind}": change}


def on_provider(body, needs=None):
    """A provider route; ``needs`` ("new", "applied", "admitted") makes a fresh provider for a
    call that changes it, acting as its own enterprise user where the caller is one."""
    def case(world, role, situation, fresh):
        if not (fresh and needs):
            return Case(world.providers[situation], body)
        provider_id, uscc = world.provider(situation, needs)
        own_user = world.token(auth.ENTERPRISE, uscc) if role == auth.ENTERPRISE else None
        return Case(provider_id, body, token=own_user)
    return case


def new_provider(world, role, situation, fresh):
    if role == auth.ENTERPRISE:
        if situation == "other_enterprise":
            return Case(body=provider_registration(world.enterprises["other_enterprise"], region_code=HOME))
        uscc = new_uscc(HOME)
        return Case(body=provider_registration(uscc, region_code=HOME), token=world.token(auth.ENTERPRISE, uscc))
    return Case(body=provider_registration(new_uscc(world.region_of(situation)), region_code=world.region_of(situation)))


def assessment(world, role, situation, fresh):
    region = HOME_SCOPES.get(role, HOME)
    return Case(query=f"region={region}&period=2026")


def on_member(body=None, query=""):
    return lambda world, role, situation, fresh: Case(world.members[situation], body, query)


def on_run(body=None):
    return lambda world, role, situation, fresh: Case(world.runs[situation], body)


def new_member(world, role, situation, fresh):
    return Case(world.station_of(situation)["id"], {"subject": f"matrix-staff-{serial()}", "name": "矩阵新成员",
                                                    "post": "服务专员"})


def secondment(world, role, situation, fresh):
    return Case(world.members[situation], {"kind": "park", "place": "矩阵测试园区",
                                           "region_code": world.region_of(situation), "starts_on": "2026-01-05"})


def nomination_of(world, role, situation, fresh):
    return Case(world.runs[situation], {"kind": "agency", "agency_id": world.station_of(situation)["id"],
                                        "title": "优秀服务机构", "reason": "矩阵测试"})


def review(world, role, situation, fresh):
    return Case(world.nomination(situation), {"decision": "approve", "reason": "矩阵测试"})


def set_clock(world, role, situation, fresh):
    now = world.api.get("/api/v1/clock", world.admin()).json()
    return Case(body={"offset_seconds": now["offset_seconds"]})


def import_batch(world, role, situation, fresh):
    row = registration(new_uscc(HOME), region_code=HOME)
    return Case(body={"format": "jsonl", "content": json.dumps(row, ensure_ascii=False)})


def on_notice(world, role, situation, fresh):
    return Case(world.notice(role, situation))


def on_subscription(needs_fresh=False):
    def case(world, role, situation, fresh):
        return Case(world.subscription(role, situation, fresh and needs_fresh))
    return case


def on_published_policy(world, role, situation, fresh):
    return Case(world.published_policy(situation))


def why(world, role, situation, fresh):
    return Case(world.published_policy("own"), query=f"uscc={world.enterprises[situation]}")


CASES = {
    # meta
    "openapi_document": fixed(), "live": fixed(), "ready": fixed(),
    # agencies
    "list_agencies": fixed(query=f"level=county&region={HOME}"),
    "get_agency": on_station(), "agency_escalation": on_station(), "get_guide": on_station(),
    "create_agency": new_station, "load_skeleton": fixed(),
    "update_agency": on_station({"active": True}), "publish_guide": on_station(SERVICE_GUIDE),
    "route_request": fixed(query=f"region={HOME}&area=policy"),
    "agency_queue": on_station(),
    # policies
    "list_policies": fixed(), "list_policy_drafts": fixed(), "get_policy": on_policy(),
    "create_policy": new_policy, "update_policy": on_policy({"benefits": "测试用（修订）"}),
    "publish_policy": on_policy(needs_fresh=True),
    "withdraw_policy": on_policy({"reason": "测试撤回"}, needs_fresh=True),
    "policy_reach": on_policy(),
    # library
    **{name: case for kind in ENTRY_BODIES for name, case in entry_cases(kind).items()},
    "search_library": fixed(query="q=政策"),
    # providers
    "list_providers": fixed(), "get_provider": on_provider(None), "register_provider": new_provider,
    "update_provider": on_provider({"description": "矩阵测试更新"}),
    "apply_for_admission": on_provider({"service_area": "finance_talent"}, needs="new"),
    "decide_admission": on_provider({"service_area": "finance_talent", "decision": "admit", "reason": "材料齐全"},
                                    needs="applied"),
    "evaluate_provider": on_provider({"service_area": "finance_talent", "period": evaluation_quarters()[0], "capability": 90,
                                      "management": 90, "service_quality": 90}, needs="admitted"),
    # capacity and staff
    "record_capacity": on_station(CAPACITY), "capacity_record": on_station_query(f"year={CAPACITY_YEAR}"),
    "capacity_versions": on_station_query(f"year={CAPACITY_YEAR}"),
    "close_capacity_year": lambda world, role, situation, fresh: Case(
        body={"province": PROVINCES[situation], "year": 2099}),
    "coverage": lambda world, role, situation, fresh: Case(
        query=f"region={HOME_SCOPES.get(role, HOME)}&year={CAPACITY_YEAR}"),
    "list_staff": on_station(), "add_staff": new_member, "get_staff": on_member(),
    "update_staff": on_member({"post": "服务主管"}),
    "record_training": on_member({"course": "政策解读", "hours": 4, "held_on": "2026-03-02", "provider": "省中心"}),
    "record_secondment": secondment, "staff_performance": on_member(query="period=2026"),
    "agency_performance": on_station_query("period=2026"),
    # scoring and honours
    "scoring_indicators": fixed(),
    "define_scoring_model": lambda world, role, situation, fresh: Case(body={
        "scope": PROVINCES[situation], "year": CAPACITY_YEAR,
        "indicators": [{"indicator": "park_coverage", "weight": 100, "target": 80}]}),
    "scoring_models": fixed(query=f"scope=330000&year={CAPACITY_YEAR}"),
    "get_scoring_model": lambda world, role, situation, fresh: Case(world.models[situation]),
    "run_scoring": lambda world, role, situation, fresh: Case(body={"model_id": world.models[situation]}),
    "scoring_runs": fixed(query="scope=330000"),
    "get_scoring_run": on_run(), "recompute_scoring_run": on_run(), "export_scoring_run": on_run(),
    "run_nominations": on_run(), "nominate": nomination_of, "review_nomination": review,
    "agency_honours": on_station(),
    # enterprises
    "register_enterprise": lambda world, role, situation, fresh: Case(
        body=registration(new_uscc(world.region_of(situation)), region_code=world.region_of(situation))),
    "get_enterprise": on_enterprise(), "enterprise_portrait": on_enterprise(),
    "enterprise_size_class": on_enterprise(query=f"as_of={date.today().isoformat()}"),
    "explain_criteria": on_enterprise({"employees_min": 1}),
    "update_enterprise": lambda world, role, situation, fresh: Case(
        world.enterprises[situation], {"park": f"矩阵测试园区{serial()}"}),
    "enterprise_history": on_enterprise(),
    "search_enterprises": fixed(), "count_matching_enterprises": fixed(body={"employees_min": 1}),
    "import_enterprises": import_batch,
    # requests
    "submit_request": fixed(body={"service_area": "policy", "title": "政策咨询", "description": "矩阵测试",
                                  "region_code": HOME}),
    "list_requests": fixed(), "get_request": on_request, "transition_request": transition,
    "rate_request": rating, "record_revisit": revisit, "assessment": assessment,
    "load_holiday_schedule": lambda world, role, situation, fresh: Case(2035, {
        "holidays": [{"name": "元旦", "first": "2035-01-01", "last": "2035-01-01"}], "source": "矩阵测试"}),
    "read_clock": fixed(), "set_clock": set_clock,
    # notifications
    "list_notifications": fixed(), "unread_notifications": fixed(), "read_all_notifications": fixed(),
    "read_notification": on_notice, "get_notification_preferences": fixed(),
    "set_notification_preferences": fixed(body={"channels": {"policy_match": ["in_app"]}}),
    "create_webhook": fixed(body={"url": LOCAL_HOOK}), "list_webhooks": fixed(),
    "delete_webhook": on_subscription(needs_fresh=True), "ping_webhook": on_subscription(),
    "webhook_deliveries": on_subscription(),
    "policy_matches": on_published_policy, "policy_why": why,
    # Open311
    "open311_discovery": fixed(), "open311_services": fixed(),
    "open311_file": fixed(body={"service_code": "policy", "description": "矩阵测试", "jurisdiction_id": HOME},
                          form=True),
    "open311_requests": lambda world, role, situation, fresh: Case(query=f"service_request_id={world.requests['own']}"),
    "open311_request": on_request,
}

def activity_cases():
    def on(kind, body=None):
        return lambda world, role, situation, fresh: Case(getattr(world, kind)[situation], body)

    def fresh_occurrence(world, role, situation, fresh):
        return Case(world.occurrence(situation) if fresh else world.occurrences[situation])

    def cancel(world, role, situation, fresh):
        if not fresh:
            return Case(world.occurrences[situation])
        return Case(world.registered(world.occurrence(situation), world.enterprises["own"]))

    def check_in(world, role, situation, fresh):
        if not fresh:
            return Case(world.occurrences[situation], {"uscc": world.enterprises["own"]})
        uscc = new_uscc(HOME)
        return Case(world.registered(world.occurrence(situation), uscc), {"uscc": uscc})

    def rate(world, role, situation, fresh):
        key = world.attended(world.enterprises["own"]) if fresh else world.occurrences[situation]
        return Case(key, {"score": 5, "comment": "矩阵测试"})

    def new_activity(world, role, situation, fresh):
        station = world.station_of(situation)
        return Case(body=activity_body(station["id"], datetime.now(timezone.utc) + timedelta(days=30)))

    def new_lead_firm(world, role, situation, fresh):
        region = world.region_of(situation)
        return Case(body={"name": f"矩阵新建链主企业{serial()}", "uscc": new_uscc(region), "region_code": region,
                          "industry_codes": ["C36"]})

    def offer_on_need(world, role, situation, fresh):
        return Case(world.chain_need(situation) if fresh else world.chain_needs[situation], {"offer": "可供货"})

    def on_chain_offer(body=None, shortlisted=False):
        def case(world, role, situation, fresh):
            if not fresh:
                return Case(world.chain_offers[situation], body)
            return Case(world.chain_offer(world.chain_need(situation), shortlisted, situation), body)
        return case

    def close_need(world, role, situation, fresh):
        return Case(world.chain_need(situation) if fresh else world.chain_needs[situation])

    def offer_financing(world, role, situation, fresh):
        need = world.financing_need(situation) if fresh else world.financing[situation]
        return Case(need, FINANCING_OFFER, token=world.banks[HOME] if role == auth.ENTERPRISE else None)

    def accept(world, role, situation, fresh):
        if not fresh:
            return Case(world.financing_offers[situation])
        return Case(world.financing_offer(world.financing_need(situation), situation))

    def record_funding(world, role, situation, fresh):
        if not fresh:
            return Case(world.financing[situation], {"funded": False})
        need = world.financing_need(situation)
        world.call("POST", f"/api/v1/financing-offers/{world.financing_offer(need, situation)}/accept",
                   world.token(auth.ENTERPRISE, world.enterprises[situation]))
        return Case(need, {"funded": False})

    return {
        "publish_activity": new_activity, "list_activities": fixed(), "get_activity": on("activities"),
        "list_occurrences": fixed(), "get_occurrence": on("occurrences"), "public_calendar_feed": fixed(),
        "agency_calendar_feed": on_station(), "register": fresh_occurrence, "my_registration": on("occurrences"),
        "cancel_registration": cancel, "list_registrations": on("occurrences"), "check_in": check_in,
        "rate": rate,
        "register_lead_firm": new_lead_firm, "list_lead_firms": fixed(), "get_lead_firm": on("lead_firms"),
        "post_chain_need": fixed(body=CHAIN_NEED), "list_chain_needs": fixed(), "get_chain_need": on("chain_needs"),
        "suggest_suppliers": on("chain_needs"), "offer_on_chain_need": offer_on_need,
        "list_chain_offers": on("chain_needs"), "shortlist_offer": on_chain_offer(),
        "record_chain_outcome": on_chain_offer({"outcome": "contacted"}, shortlisted=True),
        "close_chain_need": close_need,
        "post_financing_need": fixed(body=FINANCING_NEED), "list_financing_needs": fixed(),
        "get_financing_need": on("financing"), "offer_financing": offer_financing,
        "list_financing_offers": on("financing"), "accept_financing_offer": accept,
        "record_funding": record_funding,
    }


CASES.update(activity_cases())

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def path_of(url, key):
    return _PARAM.sub(lambda match: str(key), url)


def missing_key(url):
    [name] = _PARAM.findall(url)
    return MISSING.get(name, MISSING_ID)


def send(world, entrypoint, token, case, key):
    path = path_of(entrypoint.url, key) + (f"?{case.query}" if case.query else "")
    kwargs = {}
    if case.body is not None:
        kwargs = {"data": case.body} if case.form else {"json": case.body}
    # One correlation id for both answers compared word for word (errors repeat it).
    return world.api.request(entrypoint.method, path, case.token or token,
                             headers={"X-Correlation-ID": "authorization-matrix"}, **kwargs)


def verdict(world, entrypoint, expected, token, case):
    """What is wrong with the answer (None when it is the declared one)."""
    answer = send(world, entrypoint, token, case, case.key)
    status = answer.status_code
    if expected == access.OK:
        return None if 200 <= status < 300 else f"expected 2xx, got {status} {answer.text[:300]}"
    if expected in ("denied", access.REFUSED):
        return None if status == 403 else f"expected 403, got {status} {answer.text[:300]}"
    if expected == "unauthenticated":
        return None if status == 401 else f"expected 401, got {status} {answer.text[:300]}"
    absent = send(world, entrypoint, token, case, missing_key(entrypoint.url))
    if (status, absent.status_code) != (404, 404):
        return f"expected 404 as for a missing object ({absent.status_code}), got {status} {answer.text[:300]}"
    if answer.text != absent.text.replace(str(missing_key(entrypoint.url)), str(case.key)):
        return f"answers {answer.text} but a missing object answers {absent.text}"
    return None


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_answers_every_caller_as_its_access_table_declares(world, name):
    entrypoint = ROUTES[name]
    assert name in CASES, f"route {name} ({entrypoint.method} {entrypoint.url}) has no case in the matrix"
    deviations = []
    for caller in access.CALLERS:
        token = world.caller(caller)
        for situation in access.SITUATIONS:
            expected = entrypoint.access.outcome(caller, situation)
            if expected == access.DOES_NOT_ARISE or (caller not in entrypoint.access and situation != "own"):
                continue
            case = CASES[name](world, caller, situation, expected == access.OK)
            problem = verdict(world, entrypoint, expected, token, case)
            if problem:
                deviations.append(f"{caller} / {situation}: {problem}")
    assert not deviations, f"{entrypoint.method} {entrypoint.url}:\n" + "\n".join(deviations)


def test_every_case_names_a_route():
    assert set(CASES) <= set(ROUTES), f"cases for routes that do not exist: {set(CASES) - set(ROUTES)}"
