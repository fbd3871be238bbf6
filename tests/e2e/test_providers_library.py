"""The quality service-provider library over HTTP: self-registration, admission, evaluation, exit."""
from datetime import date

import pytest

from tests.stack import evaluation_quarters, provider_registration


@pytest.fixture
def admitted(api, token, new_uscc):
    uscc = new_uscc("620102")
    me = token("enterprise", uscc)
    created = api.post("/api/v1/providers", me, json=provider_registration(uscc))
    assert created.status_code == 201, created.text
    provider_id = created.json()["id"]
    applied = api.post(f"/api/v1/providers/{provider_id}/applications", me, json={"service_area": "finance_talent"})
    assert applied.status_code == 201, applied.text
    admin = token("county_admin", "620102")
    decided = api.post(f"/api/v1/providers/{provider_id}/decisions", admin,
                       json={"service_area": "finance_talent", "decision": "admit", "reason": "材料齐全"})
    assert decided.status_code == 200, decided.text
    return provider_id, uscc


def test_self_registered_provider_is_admitted_by_its_regions_admin_and_listed(api, token, admitted, new_uscc):
    provider_id, uscc = admitted
    record = api.get(f"/api/v1/providers/{provider_id}", token("county_admin", "620102")).json()
    assert [(m["service_area"], m["state"]) for m in record["memberships"]] == [("finance_talent", "admitted")]
    assert [d["action"] for d in record["decisions"]] == ["applied", "admitted"]
    listed = api.get("/api/v1/providers?area=finance_talent&region=620102", token("county_admin", "620102"))
    assert provider_id in [item["id"] for item in listed.json()["items"]]
    anonymous = api.get(f"/api/v1/providers/{provider_id}")
    assert anonymous.status_code == 200 and "contact" not in anonymous.json() and "decisions" not in anonymous.json()
    outsider = api.post(f"/api/v1/providers/{provider_id}/decisions", token("county_admin", "650102"),
                        json={"service_area": "finance_talent", "decision": "exit", "reason": "越权"})
    assert outsider.status_code == 404
    other_firm = api.post(f"/api/v1/providers/{provider_id}/applications", token("enterprise", new_uscc("620102")),
                          json={"service_area": "training"})
    assert other_firm.status_code == 404


def test_provider_failing_admission_criteria_is_told_each_failing_criterion(api, token, new_uscc):
    uscc = new_uscc("620102")
    me = token("enterprise", uscc)
    young = api.post("/api/v1/providers", me, json=provider_registration(
        uscc, established_on=date.today().replace(day=1).isoformat(), served_enterprises=3, qualifications=[]))
    refused = api.post(f"/api/v1/providers/{young.json()['id']}/applications", me, json={"service_area": "training"})
    assert refused.status_code == 422
    assert set(refused.json()["error"]["details"]) == {"qualifications", "established_on", "served_enterprises"}


def test_two_quarters_below_threshold_exit_the_provider_and_bad_scores_are_422(api, token, admitted):
    provider_id, _ = admitted
    admin = token("province_admin", "620000")
    previous, current = evaluation_quarters()
    low = {"service_area": "finance_talent", "capability": 40, "management": 50, "service_quality": 45}
    out_of_range = api.post(f"/api/v1/providers/{provider_id}/evaluations", admin,
                            json={**low, "period": previous, "capability": 140})
    assert out_of_range.status_code == 422 and "capability" in out_of_range.json()["error"]["details"]
    first = api.post(f"/api/v1/providers/{provider_id}/evaluations", admin, json={**low, "period": previous})
    assert first.status_code == 201 and first.json()["exited"] is False
    second = api.post(f"/api/v1/providers/{provider_id}/evaluations", admin, json={**low, "period": current})
    assert second.status_code == 201 and second.json()["exited"] is True
    record = api.get(f"/api/v1/providers/{provider_id}", admin).json()
    assert record["memberships"][0]["state"] == "exited"
    assert "two consecutive periods below 60" in record["decisions"][-1]["reason"]
    reapplied = api.post(f"/api/v1/providers/{provider_id}/applications", admin,
                         json={"service_area": "finance_talent"})
    assert reapplied.status_code == 201
