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


def test_a_georeport_v2_client_discovers_lists_files_and_follows_a_request(api, token, new_uscc, agency_skeleton):
    """Driven by the ``georeport`` package from PyPI (0.3.1). It reads services and requests
    but has no call that files one, so filing is the form post the GeoReport v2 specification
    describes, with the token as ``api_key``, made with ``requests`` as that client makes its calls."""
    import requests
    from georeport import GeoReport

    discovery = api.get("/open311/discovery.json")
    assert discovery.status_code == 200
    [endpoint] = discovery.json()["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{api.base_url}/open311/v2" and "application/json" in endpoint["formats"]
    client = GeoReport(endpoint["url"], jurisdiction="330106", api_key=token("enterprise", new_uscc("330106")))

    services = client.get_service_list()
    assert "rights" in [service["service_code"] for service in services]
    filed = requests.post(f"{endpoint['url']}/requests.json", data={
        "api_key": client.api_key, "jurisdiction_id": client.jurisdiction, "service_code": "rights",
        "description": "货款逾期三个月未付，请求协调", "attribute[title]": "账款拖欠协调"}, timeout=15)
    assert filed.status_code == 201, filed.text
    request_id = filed.json()[0]["service_request_id"]

    followed = client.get_service_request(request_id)
    assert set(followed) == {"service_request_id", "status", "service_code", "service_name", "agency_responsible",
                             "requested_datetime", "updated_datetime", "expected_datetime"}
    assert (followed["service_request_id"], followed["status"], followed["service_code"]) == (request_id, "open", "rights")
    assert followed["agency_responsible"].endswith("西湖区中小企业服务中心")
    [listed] = client.get_service_requests(service_request_id=request_id)
    assert listed == followed

    try:
        client.get_service_request("00000000-0000-0000-0000-000000000000")
        raise AssertionError("an unknown request was answered")
    except requests.HTTPError as exc:
        assert exc.response.status_code == 404
        assert exc.response.json() == [{"code": 404, "description":
                                        "no request with id 00000000-0000-0000-0000-000000000000"}]
    unauthorised = requests.post(f"{endpoint['url']}/requests.json", data={
        "api_key": "not-a-token", "service_code": "rights", "description": "x"}, timeout=15)
    assert unauthorised.status_code == 401
    assert [set(error) for error in unauthorised.json()] == [{"code", "description"}]
    with_key = requests.get(f"{endpoint['url']}/requests/{request_id}.json",
                            params={"api_key": client.api_key}, timeout=15).json()[0]
    assert with_key["description"] == "货款逾期三个月未付，请求协调"


def test_open311_routes_are_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {"/open311/discovery.json", "/open311/v2/services.json", "/open311/v2/requests.json",
            "/open311/v2/requests/{request_id}.json"} <= set(paths)
    single = paths["/open311/v2/requests/{request_id}.json"]["get"]
    assert {} in single["security"] and {"api_key": []} in single["security"]
