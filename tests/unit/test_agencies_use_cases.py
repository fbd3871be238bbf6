"""The agencies service's use cases run without a broker or a database: small fakes stand in for
the stores and the outbox, as cosmicpython's service-layer tests do (the real-broker tests stay)."""
from datetime import date

import pytest

from chassis.errors import Conflict, NotFound, ValidationFailed
from services.agencies import domain
from services.agencies.schemas import AREAS
from services.agencies.use_cases import batches, hierarchy, policy_library, provider_library

TODAY = date(2026, 5, 20)


class FakeOutbox:
    """Records what a use case announces."""

    def __init__(self):
        self.events = []

    def add(self, tx, event_type, payload, aggregate_id, **kwargs):
        self.events.append((event_type, payload, aggregate_id))

    def add_many(self, tx, event_type, items, **kwargs):
        for payload, aggregate_id, *rest in items:
            self.add(tx, event_type, payload, aggregate_id)


class FakeTables:
    """The stores' functions the use cases call, over dicts."""

    def __init__(self):
        self.agencies, self.policies, self.providers = {}, {}, {}
        self.memberships, self.evaluations, self.index, self.guides = {}, {}, {}, {}

    # store
    def get_agency(self, tx, agency_id, lock=False):
        return self.agencies.get(agency_id)

    def insert_agency(self, tx, row):
        row = {**row, "id": max(self.agencies, default=0) + 1}
        self.agencies[row["id"]] = row
        return row

    def update_agency(self, tx, row):
        self.agencies[row["id"]] = row
        return row

    def chain_above(self, tx, agency_id):
        chain = []
        while agency_id is not None:
            chain.append(agency_id)
            agency_id = self.agencies[agency_id]["parent_id"]
        return chain

    def index_entry(self, tx, kind, entry_id, document):
        self.index[(kind, entry_id)] = document

    def index_entries(self, tx, kind, documents):
        for entry_id, document in documents:
            self.index_entry(tx, kind, entry_id, document)

    def agencies_by_id(self, tx, ids, lock=False):
        return {agency_id: self.agencies[agency_id] for agency_id in ids if agency_id in self.agencies}

    def replace_guides(self, tx, guides, actor):
        for agency_id, content in guides:
            self.guides[agency_id] = {**content, "version": self.guides.get(agency_id, {}).get("version", 0) + 1}
        return {agency_id: self.guides[agency_id]["version"] for agency_id, _ in guides}

    # library_store
    def get_policy(self, tx, policy_id, lock=False):
        return self.policies.get(policy_id)

    def insert_policies(self, tx, many_values):
        rows = []
        for values in many_values:
            row = {"state": "draft", "expires_on": None, "document_number": None, "full_text": "",
                   "withdrawn_reason": None, **values, "id": max(self.policies, default=0) + 1}
            self.policies[row["id"]] = row
            rows.append(row)
        return rows

    def set_policies_state(self, tx, ids_and_reasons, state):
        for policy_id, reason in ids_and_reasons:
            self.policies[policy_id] = {**self.policies[policy_id], "state": state,
                                        "withdrawn_reason": reason or self.policies[policy_id]["withdrawn_reason"]}
        return [self.policies[policy_id] for policy_id, _ in ids_and_reasons]

    def set_policy_state(self, tx, policy_id, state, reason=None):
        self.policies[policy_id] = {**self.policies[policy_id], "state": state}
        return self.policies[policy_id]

    # provider_store
    def get_provider(self, tx, provider_id, lock=False):
        return self.providers.get(provider_id)

    def insert_provider(self, tx, values):
        row = {**values, "id": max(self.providers, default=0) + 1}
        self.providers[row["id"]] = row
        return row

    def update_provider(self, tx, provider_id, values):
        self.providers[provider_id] = {**self.providers[provider_id], **values}
        return self.providers[provider_id]

    def membership_state(self, tx, provider_id, area):
        return self.memberships.get((provider_id, area))

    def set_membership(self, tx, provider_id, area, state, action, reason, actor):
        self.memberships[(provider_id, area)] = state

    def has_exited_before(self, tx, provider_id, area):
        return False

    def admitted_areas(self, tx, provider_id):
        return [area for (pid, area), state in self.memberships.items() if pid == provider_id and state == "admitted"]

    def provider_record(self, tx, row):
        return {**row, "memberships": []}

    def evaluation_score(self, tx, provider_id, area, period):
        return self.evaluations.get((provider_id, area, period), {}).get("score")

    def ratings_in(self, tx, provider_id, area, start, end):
        return None, 0

    def insert_evaluation(self, tx, provider_id, record, evaluator):
        self.evaluations[(provider_id, record["service_area"], record["period"])] = record
        return {**record, "provider_id": provider_id}


@pytest.fixture
def tables(monkeypatch):
    fake = FakeTables()
    for module, names in ((hierarchy, ("store",)), (policy_library, ("store", "library_store")),
                          (provider_library, ("store", "provider_store"))):
        for name in names:
            monkeypatch.setattr(module, name, fake)
    return fake


def agency(tables, id, level, region_code, parent_id=None):
    tables.agencies[id] = {"id": id, "name": f"agency {id}", "level": level, "region_code": region_code,
                           "region_prefix": domain.coverage_prefix(region_code), "parent_id": parent_id,
                           "park": None, "service_areas": list(AREAS), "active": True, "depth": 0}
    return tables.agencies[id]


def test_a_new_agency_under_a_covering_parent_is_stored_and_announced_once(tables):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    outbox = FakeOutbox()

    row = hierarchy.create_agency(None, outbox, {"name": "南京市中小企业服务中心", "level": "city",
                                                 "region_code": "320100", "parent_id": 2})

    assert tables.agencies[row["id"]]["parent_id"] == 2
    assert [(kind, payload["region_code"], payload["parent_id"]) for kind, payload, _ in outbox.events] == [
        ("agency.created", "320100", 2)]


def test_an_agency_under_an_unknown_parent_is_refused_with_nothing_stored_or_announced(tables):
    outbox = FakeOutbox()
    with pytest.raises(ValidationFailed) as refused:
        hierarchy.create_agency(None, outbox, {"name": "某中心", "level": "city", "region_code": "320100",
                                               "parent_id": 9})
    assert refused.value.details == {"parent_id": ["no agency with id 9"]}
    assert (tables.agencies, outbox.events) == ({}, [])


def test_moving_an_agency_under_its_own_child_is_refused_as_a_cycle(tables):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    agency(tables, 3, "city", "320100", parent_id=2)
    outbox = FakeOutbox()
    with pytest.raises((ValidationFailed, Conflict)):
        hierarchy.update_agency(None, outbox, 2, {"parent_id": 3})
    assert outbox.events == [] and tables.agencies[2]["parent_id"] == 1


def test_a_missing_agency_answers_not_found(tables):
    with pytest.raises(NotFound, match="no agency with id 5"):
        hierarchy.escalation_target(None, 5)


def test_the_national_agency_escalates_to_no_one(tables):
    agency(tables, 1, "national", "000000")
    assert hierarchy.escalation_target(None, 1) is None


def policy(tables, state="draft", expires_on=None):
    tables.policies[7] = {"id": 7, "agency_id": 2, "title": "专精特新奖励", "document_number": "苏工信〔2026〕1号",
                          "service_area": "policy", "region_code": "320000", "issued_on": date(2026, 1, 5),
                          "expires_on": expires_on, "benefits": "奖励50万元", "criteria": {}, "state": state,
                          "issuer": "江苏省工信厅", "full_text": ""}
    return tables.policies[7]


def test_publishing_a_draft_announces_it_with_its_scope_as_criteria(tables):
    policy(tables)
    outbox = FakeOutbox()

    policy_library.publish(None, outbox, 7, TODAY)

    [(kind, payload, aggregate)] = outbox.events
    assert (kind, aggregate, payload["issued_on"], payload["criteria"]) == (
        "policy.published", 7, "2026-01-05", {"region_prefixes": ["32"]})
    assert tables.policies[7]["state"] == "published"


@pytest.mark.parametrize("state, expires_on, refused", [
    ("published", None, Conflict),
    ("draft", date(2026, 5, 19), ValidationFailed),
])
def test_a_policy_that_may_not_be_published_is_left_as_it_was(tables, state, expires_on, refused):
    policy(tables, state, expires_on)
    outbox = FakeOutbox()
    with pytest.raises(refused):
        policy_library.publish(None, outbox, 7, TODAY)
    assert outbox.events == [] and tables.policies[7]["state"] == state


def test_withdrawing_a_draft_announces_nothing(tables):
    policy(tables)
    outbox = FakeOutbox()
    policy_library.withdraw(None, outbox, 7, "被新文件替代")
    assert outbox.events == [] and tables.policies[7]["state"] == "withdrawn"


def provider(tables, **overrides):
    tables.providers[4] = {"id": 4, "name": "苏州某咨询有限公司", "uscc": "91320505MA1XYZ1234",
                           "region_code": "320505", "description": "管理咨询", "established_on": date(2020, 1, 1),
                           "served_enterprises": 50, "qualifications": [
                               {"name": "资质", "number": "1", "issuer": "某局", "valid_until": None}], **overrides}
    return tables.providers[4]


def test_admitting_an_applicant_announces_it_and_indexes_it_under_the_area(tables):
    provider(tables)
    tables.memberships[(4, "finance_talent")] = "applied"
    outbox = FakeOutbox()

    provider_library.decide_admission(None, outbox, 4, {"service_area": "finance_talent", "decision": "admit",
                                                         "reason": "材料齐全"}, "admin", TODAY)

    assert [(kind, payload["service_area"], payload["readmission"]) for kind, payload, _ in outbox.events] == [
        ("provider.admitted", "finance_talent", False)]
    assert tables.memberships[(4, "finance_talent")] == "admitted"
    assert tables.index[("provider", 4)]["visible"] is True


def test_a_provider_that_no_longer_qualifies_is_not_admitted(tables):
    provider(tables, served_enterprises=3)
    tables.memberships[(4, "finance_talent")] = "applied"
    outbox = FakeOutbox()
    with pytest.raises(ValidationFailed):
        provider_library.decide_admission(None, outbox, 4, {"service_area": "finance_talent", "decision": "admit",
                                                             "reason": "材料齐全"}, "admin", TODAY)
    assert outbox.events == [] and tables.memberships[(4, "finance_talent")] == "applied"


def test_a_second_quarter_below_the_threshold_exits_the_provider(tables):
    provider(tables)
    tables.memberships[(4, "finance_talent")] = "admitted"
    tables.evaluations[(4, "finance_talent", "2026-Q1")] = {"score": 50.0}
    outbox = FakeOutbox()

    evaluated, reason = provider_library.evaluate(None, outbox, 4, {
        "service_area": "finance_talent", "period": "2026-Q2", "capability": 40, "management": 40,
        "service_quality": 40}, "evaluator", TODAY)

    assert evaluated["exited"] is True and "two consecutive periods" in reason
    assert [kind for kind, _, _ in outbox.events] == ["provider.evaluated", "provider.exited"]
    assert tables.memberships[(4, "finance_talent")] == "exited"


def test_a_quarter_is_evaluated_once(tables):
    provider(tables)
    tables.memberships[(4, "finance_talent")] = "admitted"
    tables.evaluations[(4, "finance_talent", "2026-Q2")] = {"score": 80.0}
    with pytest.raises(Conflict, match="already evaluated"):
        provider_library.evaluate(None, FakeOutbox(), 4, {
            "service_area": "finance_talent", "period": "2026-Q2", "capability": 90, "management": 90,
            "service_quality": 90}, "evaluator", TODAY)


def test_a_registered_provider_is_announced_with_where_it_is(tables):
    outbox = FakeOutbox()
    registered = provider_library.register(None, outbox, {
        "name": "苏州某咨询有限公司", "uscc": "91320505ma1xya123p", "region_code": "320505",
        "established_on": "2020-01-01", "served_enterprises": 50})
    assert outbox.events == [("provider.registered", {"provider_id": registered["id"], "name": "苏州某咨询有限公司",
                                                      "uscc": "91320505MA1XYA123P", "region_code": "320505"},
                              registered["id"])]


def test_a_provider_that_moves_is_announced_where_it_is_now(tables):
    provider(tables)
    outbox = FakeOutbox()
    provider_library.update(None, outbox, 4, {"region_code": "320506"})
    assert outbox.events == [("provider.updated", {"provider_id": 4, "name": "苏州某咨询有限公司",
                                                   "uscc": "91320505MA1XYZ1234", "region_code": "320506"}, 4)]


def test_a_provider_whose_credit_code_would_change_is_refused_and_nothing_is_announced(tables):
    provider(tables)
    outbox = FakeOutbox()
    with pytest.raises(ValidationFailed):
        provider_library.update(None, outbox, 4, {"uscc": "91320505MA1XYZ1250"})
    assert outbox.events == []


# -- batches (a roll-out by the hundred, in one transaction) ------------------------------------

def guide(*areas):
    return {"items": [{"service_area": area, "title": "服务事项", "content": "服务内容", "process": ["受理"],
                       "accept_days": 2, "resolve_days": 10} for area in areas],
            "supervision": {"phone": "12345"}, "contact": {"address": "服务大厅", "phone": "12345"}}


def test_a_batch_of_agencies_names_the_item_that_breaks_a_rule(tables):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    outbox = FakeOutbox()
    with pytest.raises(ValidationFailed) as refused:
        batches.create_agencies(None, outbox, [
            {"name": "南京市中小企业服务中心", "level": "city", "region_code": "320100", "parent_id": 2},
            {"name": "某中心", "level": "city", "region_code": "320200", "parent_id": 9}])
    assert str(refused.value) == "item 1: no agency with id 9"
    assert refused.value.details == {"items": {"1": {"parent_id": ["no agency with id 9"]}}}
    assert [payload["region_code"] for _, payload, _ in outbox.events] == ["320100"]  # the transaction takes neither


def test_guides_published_together_are_each_announced_with_their_next_version_and_time_limits(tables):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    tables.guides[2] = {"version": 3}
    outbox = FakeOutbox()

    answer = batches.publish_guides(None, outbox, [{"agency_id": 1, **guide("policy")},
                                                   {"agency_id": 2, **guide("policy", "rights")}], "admin")

    assert answer == [{"agency_id": 1, "version": 1}, {"agency_id": 2, "version": 4}]
    assert outbox.events == [
        ("guide.published", {"agency_id": 1, "version": 1, "time_limits": [
            {"service_area": "policy", "accept_days": 2, "resolve_days": 10}]}, 1),
        ("guide.published", {"agency_id": 2, "version": 4, "time_limits": [
            {"service_area": "policy", "accept_days": 2, "resolve_days": 10},
            {"service_area": "rights", "accept_days": 2, "resolve_days": 10}]}, 2)]


@pytest.mark.parametrize("second, refused, details", [
    ({"agency_id": 2, **guide("rights")}, ValidationFailed, {"items": ["agency 2 does not offer rights"]}),
    ({"agency_id": 9, **guide("policy")}, NotFound, {"agency_id": 9}),
    ({"agency_id": 1, **guide("policy")}, ValidationFailed, {"agency_id": ["a second guide for this agency"]}),
    ({"agency_id": 2, **guide("policy"), "items": []}, ValidationFailed, None),
])
def test_a_guide_that_one_alone_could_not_publish_refuses_the_batch_naming_it(tables, second, refused, details):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)["service_areas"] = ["policy"]
    outbox = FakeOutbox()
    with pytest.raises(refused) as raised:
        batches.publish_guides(None, outbox, [{"agency_id": 1, **guide("policy")}, second], "admin")
    assert list(raised.value.details["items"]) == ["1"]
    assert details is None or raised.value.details["items"]["1"] == details
    assert (tables.guides, outbox.events) == ({}, [])


def test_policies_created_together_end_in_the_state_each_asks_for(tables):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    outbox = FakeOutbox()
    body = {"agency_id": 2, "region_code": "320000", "issuer": "江苏省工信厅", "issuer_level": "province",
            "issued_on": "2026-01-05", "service_area": "policy", "benefits": "奖励50万元", "criteria": {}}

    created = batches.create_policies(None, outbox, [
        {**body, "title": "草稿政策"}, {**body, "title": "已发布政策", "state": "published"},
        {**body, "title": "已废止政策", "state": "withdrawn", "withdrawal_reason": "被新文件替代"}], TODAY)

    assert [policy["state"] for policy in created] == ["draft", "published", "withdrawn"]
    assert [(kind, aggregate) for kind, _, aggregate in outbox.events] == [
        ("policy.published", created[1]["id"]), ("policy.published", created[2]["id"]),
        ("policy.withdrawn", created[2]["id"])]
    assert outbox.events[0][1]["criteria"] == {"region_prefixes": ["32"]}
    assert outbox.events[2][1]["reason"] == "被新文件替代"
    assert [tables.index[("policy", policy["id"])]["visible"] for policy in created] == [False, True, False]
    with pytest.raises(ValidationFailed) as refused:
        batches.create_policies(None, outbox, [{**body, "title": "过期政策", "state": "expired"}], TODAY)
    assert refused.value.details == {"items": {"0": {"state": ["not one of draft, published, withdrawn: expired"]}}}


def test_providers_registered_together_are_admitted_in_their_areas_and_announced(tables):
    outbox = FakeOutbox()
    [registered] = batches.register_providers(None, outbox, [{
        "name": "苏州某咨询有限公司", "uscc": "91320505MA1XYA123P", "region_code": "320505",
        "established_on": "2020-01-01", "served_enterprises": 50,
        "qualifications": [{"name": "资质", "number": "1", "issuer": "某局"}],
        "admitted_in": ["finance_talent", "training"], "admission_reason": "材料齐全"}], "admin", TODAY)
    assert [(kind, payload.get("service_area")) for kind, payload, _ in outbox.events] == [
        ("provider.registered", None), ("provider.admitted", "finance_talent"), ("provider.admitted", "training")]
    assert {area: state for (pid, area), state in tables.memberships.items() if pid == registered["id"]} == {
        "finance_talent": "admitted", "training": "admitted"}


@pytest.mark.parametrize("change, refused, details", [
    ({"agency_id": 9}, ValidationFailed, {"agency_id": ["no agency with id 9"]}),
    ({"region_code": "330000"}, ValidationFailed, None),
    ({"state": "published", "expires_on": "2026-05-19"}, ValidationFailed, None),
    ({"state": "withdrawn"}, ValidationFailed, None),
])
def test_a_policy_that_one_alone_could_not_create_refuses_the_batch_naming_it(tables, change, refused, details):
    agency(tables, 1, "national", "000000")
    agency(tables, 2, "province", "320000", parent_id=1)
    outbox = FakeOutbox()
    body = {"agency_id": 2, "region_code": "320000", "issuer": "江苏省工信厅", "issuer_level": "province",
            "issued_on": "2026-01-05", "service_area": "policy", "benefits": "奖励50万元", "criteria": {},
            "title": "专精特新奖励政策"}
    with pytest.raises(refused) as raised:
        batches.create_policies(None, outbox, [{**body, "state": "published"}, {**body, **change}], TODAY)
    assert list(raised.value.details["items"]) == ["1"]
    assert details is None or raised.value.details["items"]["1"] == details
    assert (tables.policies, outbox.events) == ({}, [])
