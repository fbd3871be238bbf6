"""The agency network over HTTP: skeleton, routing, stations, the service guide, admin scopes.

Uses regions no other suite touches (甘肃兰州, 新疆乌鲁木齐, 云南昆明).
"""
import pytest

from tests.stack import SERVICE_GUIDE


@pytest.fixture(scope="module")
def skeleton(api, token):
    loaded = api.post("/api/v1/agencies/skeleton", token("national_admin"))
    assert loaded.status_code == 200, loaded.text
    return loaded.json()


def county_agency(api, code):
    found = api.get(f"/api/v1/agencies?level=county&region={code}").json()["items"]
    assert len(found) == 1
    return found[0]


def test_skeleton_loads_once_and_only_the_national_admin_may_load_it(api, token, skeleton):
    assert skeleton["total"] > 3000
    again = api.post("/api/v1/agencies/skeleton", token("national_admin")).json()
    assert again == {"created": 0, "total": skeleton["total"]}
    assert api.post("/api/v1/agencies/skeleton", token("province_admin", "620000")).status_code == 403


def test_public_routing_falls_back_from_county_to_city_with_the_reason(api, skeleton):
    routed = api.get("/api/v1/routing?region=620102&area=international")
    assert routed.status_code == 200, routed.text
    body = routed.json()
    assert (body["agency"]["level"], body["agency"]["region_code"]) == ("city", "620100")
    assert body["explanation"][0]["skipped"] is True
    assert "does not offer international" in body["explanation"][0]["reason"]
    assert api.get("/api/v1/routing?region=999999&area=policy").status_code == 422
    assert api.get("/api/v1/routing?region=620102&area=banking").status_code == 422


def test_county_admin_adds_a_park_station_that_then_answers_for_its_park(api, token, skeleton):
    chengguan = county_agency(api, "620102")
    admin = token("county_admin", "620102")
    station = api.post("/api/v1/agencies", admin, json={
        "name": "兰州高新区服务站", "level": "station", "region_code": "620102", "parent_id": chengguan["id"],
        "park": "兰州高新技术产业开发区", "service_areas": ["finance_talent"]})
    assert station.status_code == 201, station.text
    routed = api.get("/api/v1/routing?region=620102&area=finance_talent&park=兰州高新技术产业开发区").json()
    assert routed["agency"]["id"] == station.json()["id"]
    elsewhere = api.post("/api/v1/agencies", admin, json={
        "name": "越权服务站", "level": "station", "region_code": "650102",
        "parent_id": county_agency(api, "650102")["id"], "park": "乌鲁木齐经开区"})
    assert elsewhere.status_code == 403
    assert api.get("/api/v1/routing?region=620102&area=finance_talent").json()["agency"]["id"] == chengguan["id"]


def test_parent_outside_region_is_422_and_a_cycle_is_409_and_nothing_changes(api, token, skeleton):
    admin = token("province_admin", "650000")
    tianshan = county_agency(api, "650102")
    wrong = api.post("/api/v1/agencies", admin, json={
        "name": "错挂服务站", "level": "station", "region_code": "650102",
        "parent_id": county_agency(api, "620102")["id"], "park": "天山软件园"})
    assert wrong.status_code == 422
    assert "does not cover region 650102" in wrong.json()["error"]["details"]["parent_id"][0]
    urumqi = api.get(f"/api/v1/agencies/{tianshan['parent_id']}").json()
    cycle = api.patch(f"/api/v1/agencies/{urumqi['id']}", admin, json={"parent_id": tianshan["id"]})
    assert cycle.status_code == 409
    assert "cycle" in cycle.json()["error"]["details"]["parent_id"][0]
    assert api.get(f"/api/v1/agencies/{urumqi['id']}").json()["parent_id"] == urumqi["parent_id"]
    assert api.patch(f"/api/v1/agencies/{urumqi['id']}", token("province_admin", "620000"),
                     json={"name": "改名"}).status_code == 404




def test_agency_staff_publish_their_own_guide_which_everyone_may_read(api, token, skeleton):
    wuhua = county_agency(api, "530102")
    staff = token("agency_staff", str(wuhua["id"]))
    assert api.get(f"/api/v1/agencies/{wuhua['id']}/guide").status_code == 404
    published = api.request("PUT", f"/api/v1/agencies/{wuhua['id']}/guide", staff, json=SERVICE_GUIDE)
    assert published.status_code == 200, published.text
    guide = api.get(f"/api/v1/agencies/{wuhua['id']}/guide").json()
    assert guide["items"][0]["resolve_days"] == 10 and guide["contact"]["phone"] == "0871-00000000"
    other = token("agency_staff", str(wuhua["parent_id"]))
    assert api.request("PUT", f"/api/v1/agencies/{wuhua['id']}/guide", other, json=SERVICE_GUIDE).status_code == 404
    bad = {**SERVICE_GUIDE, "items": [{**SERVICE_GUIDE["items"][0], "accept_days": 0}]}
    refused = api.request("PUT", f"/api/v1/agencies/{wuhua['id']}/guide", staff, json=bad)
    assert refused.status_code == 422 and "accept_days" in str(refused.json()["error"]["details"])
    assert api.get(f"/api/v1/agencies/{wuhua['id']}/guide").json()["version"] == guide["version"]


def test_public_reads_carry_an_etag_and_a_write_through_the_gateway_shows_at_once(api, token, skeleton):
    routing = "/api/v1/routing?region=530102&area=policy"
    first = api.get(routing)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=5"
    again = api.get(routing, headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", first.headers["ETag"])
    assert api.get(routing, headers={"If-None-Match": '"other"'}).json() == first.json()

    wuhua = county_agency(api, "530102")
    staff = token("agency_staff", str(wuhua["id"]))
    assert api.request("PUT", f"/api/v1/agencies/{wuhua['id']}/guide", staff, json=SERVICE_GUIDE).status_code == 200
    kept = api.get(f"/api/v1/agencies/{wuhua['id']}/guide").json()
    changed = {**SERVICE_GUIDE, "contact": {**SERVICE_GUIDE["contact"], "phone": "0871-11111111"}}
    assert api.request("PUT", f"/api/v1/agencies/{wuhua['id']}/guide", staff, json=changed).status_code == 200
    read = api.get(f"/api/v1/agencies/{wuhua['id']}/guide").json()
    assert (read["version"], read["contact"]["phone"]) == (kept["version"] + 1, "0871-11111111")
