"""The Open311 GeoReport v2 facade: an Open311 client files and follows a request."""


def test_open311_client_lists_services_files_a_form_and_follows_it(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc("330106")
    me = token("enterprise", uscc)

    services = api.get("/open311/v2/services.json")
    assert services.status_code == 200
    assert "rights" in [service["service_code"] for service in services.json()]

    filed = api.post("/open311/v2/requests.json", me, data={
        "jurisdiction_id": "330106", "service_code": "quality_brand", "api_key": "ignored",
        "description": "申请质量管理体系认证辅导", "attribute[title]": "质量认证辅导"})
    assert filed.status_code == 201, filed.text
    receipt = filed.json()
    assert len(receipt) == 1 and receipt[0]["service_request_id"]
    request_id = receipt[0]["service_request_id"]

    one = api.get(f"/open311/v2/requests/{request_id}.json", me)
    assert one.status_code == 200, one.text
    [shown] = one.json()
    assert (shown["status"], shown["status_notes"], shown["service_code"]) == ("open", "assigned", "quality_brand")
    assert shown["agency_responsible"].endswith("西湖区中小企业服务中心")
    assert shown["expected_datetime"].endswith("23:59:59+08:00")
    assert shown["description"] == "申请质量管理体系认证辅导"

    listed = api.get(f"/open311/v2/requests.json?service_request_id={request_id}", me).json()
    assert [item["service_request_id"] for item in listed] == [request_id]
    stranger = token("enterprise", new_uscc("330106"))
    [public] = api.get(f"/open311/v2/requests.json?service_request_id={request_id}", stranger).json()
    assert "description" not in public and public["status"] == "open"
    [public] = api.get(f"/open311/v2/requests/{request_id}.json", stranger).json()
    assert "description" not in public and public["service_code"] == "quality_brand"
    assert request_id in [item["service_request_id"]
                          for item in api.get("/open311/v2/requests.json?status=open", me).json()]


def test_open311_filing_without_jurisdiction_needs_a_registered_enterprise(api, token, new_uscc):
    answer = api.post("/open311/v2/requests.json", token("enterprise", new_uscc("330106")),
                      json={"service_code": "policy", "description": "政策咨询"})
    assert answer.status_code == 422
    [error] = answer.json()
    assert error["code"] == 422 and "jurisdiction_id" in error["description"]
