"""The enterprises service's use cases run without a broker or a database: a small fake stands in
for the store and the outbox, as cosmicpython's service-layer tests do (the real-broker tests stay)."""
import copy
from datetime import date

import pytest

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.enterprises.use_cases import bulk, profiles, tiers
from tests.stack import PROFILE_DAY, award, registration, uscc_of

PROVINCE_ADMIN = {"role": "province_admin", "scope": "110000", "subject": "p-admin"}
COUNTY_ADMIN = {"role": "county_admin", "scope": "110105", "subject": "c-admin"}


class FakeOutbox:
    def __init__(self):
        self.events = []

    def add(self, tx, event_type, payload, aggregate_id=None, **kwargs):
        self.events.append((event_type, payload, aggregate_id))

    def add_many(self, tx, event_type, items, **kwargs):
        for payload, aggregate_id, *rest in items:
            self.add(tx, event_type, payload, aggregate_id)

    def part(self, tx, events, when=None):
        """Events written by the store's own statement, only if it writes its change."""
        return FakePart(self, events)

    def types(self):
        return [event_type for event_type, _, _ in self.events]


class FakePart:
    def __init__(self, outbox, events):
        self.outbox, self.events = outbox, list(events)

    def written(self):
        self.outbox.events.extend(self.events)


class FakeStore:
    """The store functions the use cases call, over a dict of profiles."""

    def __init__(self):
        self.profiles, self.history, self.claimable = {}, [], {}

    def insert_profile(self, tx, profile, on, announce=None, last=False):
        self.inserted_last = last
        if profile["uscc"] in self.profiles:
            raise Conflict(f"uscc {profile['uscc']} is already registered", {"uscc": ["already registered"]})
        self.profiles[profile["uscc"]] = copy.deepcopy(profile)
        if announce is not None:
            announce.written()

    def load_profile(self, tx, uscc, lock=False):
        return copy.deepcopy(self.profiles.get(uscc))

    def save_profile(self, tx, profile, changed, on):
        self.profiles[profile["uscc"]] = copy.deepcopy(profile)

    def add_change(self, tx, uscc, actor, reason, changed):
        self.history.append((uscc, actor["role"], reason, sorted(changed)))

    def import_profiles(self, tx, new, on):
        stored = {profile["uscc"] for profile in new if profile["uscc"] not in self.profiles}
        self.profiles.update({profile["uscc"]: profile for profile in new if profile["uscc"] in stored})
        return stored

    def claim_expired_tiers(self, tx, on, limit=1000):
        claimed, self.claimable = self.claimable, {}
        return claimed

    def tiers_and_regions(self, tx, usccs):
        return {uscc: (self.profiles[uscc]["region_code"], self.profiles[uscc]["tiers"]) for uscc in usccs}


@pytest.fixture
def fake(monkeypatch):
    store = FakeStore()
    for module in (profiles, bulk, tiers):
        monkeypatch.setattr(module, "store", store)
    return store


def registered(fake, outbox=None, actor=COUNTY_ADMIN, **overrides):
    new = profiles.new_registration(registration(**overrides), actor, PROFILE_DAY)
    return profiles.register(None, outbox or FakeOutbox(), new, PROFILE_DAY)


def test_a_registration_is_stored_with_its_size_class_and_announced_once(fake):
    outbox = FakeOutbox()
    profile = registered(fake, outbox)
    assert (profile["uscc"], profile["size_class"]) == ("91110105MA01B0001" + profile["uscc"][-1], "small")
    assert fake.profiles[profile["uscc"]]["size_class"] == "small"
    assert [(kind, payload["uscc"], payload["size_class"], key) for kind, payload, key in outbox.events] == [
        ("enterprise.registered", profile["uscc"], "small", profile["uscc"])]
    assert fake.inserted_last   # the profile's one statement ends the transaction


def test_a_taken_credit_code_is_a_conflict_and_nothing_more_is_announced(fake):
    registered(fake)
    outbox = FakeOutbox()
    with pytest.raises(Conflict):
        registered(fake, outbox)
    assert outbox.events == []


def test_tiers_the_registrar_does_not_award_are_refused_before_anything_is_stored(fake):
    with pytest.raises(Forbidden):
        profiles.new_registration(registration(tiers=[award()]), COUNTY_ADMIN, PROFILE_DAY)
    assert profiles.new_registration(registration(tiers=[award()]), PROVINCE_ADMIN, PROFILE_DAY)["tiers"]
    assert fake.profiles == {}


def test_a_change_of_figures_is_kept_in_the_history_and_announces_the_new_size_class(fake):
    uscc = registered(fake)["uscc"]
    outbox = FakeOutbox()
    profile, changed = profiles.update(None, outbox, uscc, {"employees": 5, "revenue": 80}, "110105",
                                       COUNTY_ADMIN, PROFILE_DAY)
    assert (profile["size_class"], fake.profiles[uscc]["size_class"], sorted(changed)) == ("micro", "micro",
                                                                                            ["figures"])
    assert fake.history == [(uscc, "county_admin", None, ["figures"])]
    assert outbox.types() == ["enterprise.updated", "enterprise.size_class_changed"]


def test_an_enterprise_outside_the_callers_region_is_not_found_as_if_it_did_not_exist(fake):
    uscc = registered(fake)["uscc"]
    with pytest.raises(NotFound) as outside:
        profiles.update(None, FakeOutbox(), uscc, {"employees": 5}, "3201", COUNTY_ADMIN, PROFILE_DAY)
    with pytest.raises(NotFound) as missing:
        profiles.update(None, FakeOutbox(), uscc_of("91110105MA01B0009"), {"employees": 5}, "3201",
                        COUNTY_ADMIN, PROFILE_DAY)
    assert outside.value.details == {"uscc": uscc} and str(missing.value).startswith("no enterprise with uscc")


def test_a_move_out_of_the_callers_region_is_forbidden_and_nothing_changes(fake):
    uscc = registered(fake)["uscc"]
    outbox = FakeOutbox()
    with pytest.raises(Forbidden):
        profiles.update(None, outbox, uscc, {"region_code": "320102"}, "110105", COUNTY_ADMIN, PROFILE_DAY)
    assert fake.profiles[uscc]["region_code"] == "110105" and outbox.events == [] and fake.history == []


def test_a_change_that_changes_nothing_is_refused_naming_each_field(fake):
    uscc = registered(fake)["uscc"]
    with pytest.raises(ValidationFailed) as refused:
        profiles.update(None, FakeOutbox(), uscc, {"employees": 40, "reason": "核对"}, None, COUNTY_ADMIN,
                        PROFILE_DAY)
    assert refused.value.details == {"employees": ["unchanged"]}


def test_an_import_stores_the_new_rows_and_rejects_the_registered_ones_by_line(fake):
    taken = registered(fake)["uscc"]
    fresh = uscc_of("91110105MA01B0002")
    content = "\n".join(f'{{"uscc": "{uscc}", "name": "北京示例科技有限公司", "region_code": "110105", '
                        f'"industry_code": "C39", "employees": 40, "revenue": 1200}}' for uscc in (taken, fresh))
    rows, rejected, received = bulk.read_rows(content, "jsonl", "110105", COUNTY_ADMIN, PROFILE_DAY)
    outbox = FakeOutbox()
    stored, already = bulk.store_rows(None, outbox, rows, PROFILE_DAY)
    assert (received, rejected, stored) == (2, [], {fresh})
    assert already == [{"line": 1, "uscc": taken, "errors": {"uscc": ["already registered"]}}]
    assert [(kind, key) for kind, _, key in outbox.events] == [("enterprise.registered", fresh)]


def test_an_import_row_with_tiers_the_caller_does_not_award_is_rejected_with_its_line(fake):
    line = registration(tiers=[award()])
    content = ('{"uscc": "%s", "name": "北京示例科技有限公司", "region_code": "110105", "industry_code": "C39", '
               '"employees": 40, "revenue": 1200, "tiers": [{"tier": "specialized_sme", "certificate_no": "ZJTX-1", '
               '"level": "province", "awarded_on": "2024-01-01", "expires_on": "2026-12-31"}]}' % line["uscc"])
    rows, rejected, received = bulk.read_rows(content, "jsonl", None, COUNTY_ADMIN, PROFILE_DAY)
    assert rows == [] and [(item["line"], list(item["errors"])) for item in rejected] == [(1, ["tiers"])]


def test_an_expired_award_is_announced_once_with_the_tiers_before_and_after(fake):
    uscc = registered(fake, actor=PROVINCE_ADMIN, tiers=[award(expires="2025-06-30")])["uscc"]
    after_expiry = date(2025, 7, 1)
    fake.claimable = {uscc: {"specialized_sme"}}
    outbox = FakeOutbox()

    assert tiers.announce_expired(None, outbox, after_expiry) == (1, 1)
    assert tiers.announce_expired(None, outbox, after_expiry) == (0, 0)
    (kind, payload, key), = outbox.events
    assert (kind, key, payload["active_tiers_before"], payload["active_tiers"], payload["removed"],
            payload["reason"], payload["decided_by"]) == (
        "enterprise.tier_changed", uscc, ["specialized_sme"], [], ["specialized_sme"], "expired", "system")
