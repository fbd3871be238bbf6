"""Who may see and act on a request, through HTTP: scope by enterprise, agency and region."""

COUNTY = "330106"  # 杭州市西湖区


def raise_request(api, token, uscc, **overrides):
    body = {"service_area": "finance_talent", "title": "融资需求", "description": "需要500万流动资金贷款",
            "region_code": COUNTY}
    body.update(overrides)
    answer = api.post("/api/v1/requests", token("enterprise", uscc), json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_requests_are_invisible_and_untouchable_outside_the_callers_scope(api, token, new_uscc, agency_skeleton):
    owner, stranger = new_uscc(COUNTY), new_uscc(COUNTY)
    created = raise_request(api, token, owner)
    path = f"/api/v1/requests/{created['id']}"
    other_agency = token("agency_staff", str(created["agency_id"] + 1))

    for outsider in (token("enterprise", stranger), other_agency, token("county_admin", "330105"),
                     token("city_admin", "330200")):
        assert api.get(path, outsider).status_code == 404
        assert api.post(path + "/transitions", outsider, json={"action": "withdraw"}).status_code == 404
    assert api.post(path + "/rating", token("enterprise", stranger),
                    json={"score": 5, "solved": True}).status_code == 404
    listed = api.get("/api/v1/requests?page_size=100", token("enterprise", stranger)).json()
    assert created["id"] not in [item["id"] for item in listed["items"]]
    assert api.get(f"/api/v1/agencies/{created['agency_id']}/queue", other_agency).status_code == 404

    for insider in (token("enterprise", owner), token("agency_staff", str(created["agency_id"])),
                    token("county_admin", COUNTY), token("city_admin", "330100"),
                    token("province_admin", "330000"), token("national_admin")):
        assert api.get(path, insider).status_code == 200
    assert api.get(path, token("enterprise", owner)).json()["state"] == "assigned"


def test_lists_show_only_the_callers_requests_filtered(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc(COUNTY)
    first = raise_request(api, token, uscc)
    second = raise_request(api, token, uscc, service_area="training", title="培训需求")

    mine = api.get("/api/v1/requests?service_area=training", token("enterprise", uscc)).json()
    assert [item["id"] for item in mine["items"]] == [second["id"]]
    everything = api.get("/api/v1/requests", token("enterprise", uscc)).json()
    assert {item["id"] for item in everything["items"]} == {first["id"], second["id"]}
    assert all(item["expected_answer_by"] for item in everything["items"])
    region = api.get(f"/api/v1/requests?uscc={uscc}", token("county_admin", COUNTY)).json()
    assert region["total"] == 2
    queue = api.get(f"/api/v1/agencies/{first['agency_id']}/queue?page_size=100",
                    token("agency_staff", str(first["agency_id"])))
    assert queue.status_code == 200, queue.text
    assert queue.json()["agency"]["id"] == first["agency_id"]
    assert first["id"] in [item["id"] for item in queue.json()["items"]]
    assert api.get("/api/v1/requests?page_size=101", token("enterprise", uscc)).status_code == 422


def test_illegal_steps_are_409_with_what_is_allowed_and_bad_input_422(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc(COUNTY)
    me = token("enterprise", uscc)
    created = raise_request(api, token, uscc)
    path = f"/api/v1/requests/{created['id']}/transitions"
    staff = token("agency_staff", str(created["agency_id"]))

    refused = api.post(path, me, json={"action": "accept"})
    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["allowed"] == ["withdraw"]
    no_reason = api.post(path, staff, json={"action": "escalate"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["details"]
    no_target = api.post(path, staff, json={"action": "transfer", "reason": "不属本机构职责"})
    assert no_target.status_code == 422 and "target_agency_id" in no_target.json()["error"]["details"]
    missing = api.post("/api/v1/requests", me, json={"service_area": "policy", "region_code": COUNTY,
                                                     "description": "x"})
    assert missing.status_code == 422 and "title" in missing.json()["error"]["details"]

    withdrawn = api.post(path, me, json={"action": "withdraw", "reason": "已自行解决"})
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert api.post(path, staff, json={"action": "accept"}).status_code == 409


def test_agency_transfers_a_request_with_its_reason(api, token, new_uscc, agency_skeleton):
    created = raise_request(api, token, new_uscc(COUNTY))
    city = api.get(f"/api/v1/agencies/{created['agency_id']}/escalation").json()

    moved = api.post(f"/api/v1/requests/{created['id']}/transitions", token("agency_staff", str(created["agency_id"])),
                     json={"action": "transfer", "reason": "需市级统筹", "target_agency_id": city["id"]})

    assert moved.status_code == 200, moved.text
    assert moved.json()["agency_id"] == city["id"]
    assert moved.json()["history"][-1]["action"] == "transfer"
    assert moved.json()["history"][-1]["reason"] == "需市级统筹"


def test_arrears_complaint_is_routed_to_rights_with_its_payment_due_date(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc(COUNTY)
    registered = api.post("/api/v1/enterprises", token("county_admin", COUNTY), json={
        "uscc": uscc, "name": "杭州西湖示例科技有限公司", "region_code": COUNTY, "industry_code": "C39",
        "figures_year": 2025, "employees": 40, "revenue": 1200})
    assert registered.status_code == 201, registered.text   # an SME on the contract date (第三条)
    answer = api.post("/api/v1/requests", token("enterprise", uscc), json={
        "title": "大型企业拖欠货款", "description": "交付后超过60天未付款", "region_code": COUNTY,
        "arrears": {"debtor_uscc": new_uscc("330100"), "debtor_type": "large_enterprise", "amount": 356000.00,
                    "contract_date": "2026-03-01", "delivery_date": "2026-04-10"}})

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert (created["service_area"], created["kind"], created["state"]) == ("rights", "arrears", "assigned")
    assert created["arrears"]["payment_due_date"] == "2026-06-09"
    assert created["arrears"]["payment_term_basis"] == "statutory"
    assert created["arrears"]["overdue"] is True
