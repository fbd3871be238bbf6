"""The server does what the OpenAPI document says, and refuses what no field may hold."""
import json

from gateway import openapi


def test_the_gateway_serves_the_committed_document(api):
    with open(openapi.DOCUMENT_PATH, encoding="utf-8") as handle:
        assert api.get("/api/v1/openapi.json").json() == json.load(handle)



def test_a_nul_in_a_text_field_is_a_422_naming_the_field_and_stores_nothing(api, token):
    admin = token("province_admin", "530000")

    answer = api.post("/api/v1/products", admin, json={
        "title": "零字符测试\u0000加速营", "summary": "面向专精特新企业的管理提升",
        "service_area": "cultivation", "region_code": "530100"})

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"title": ["control characters (such as NUL) are not allowed in text"]}
    assert api.get("/api/v1/search", params={"q": "零字符测试"}).json()["items"] == []


def test_control_characters_in_a_query_parameter_are_a_422_and_in_a_path_name_nothing(api, token):
    answer = api.get("/api/v1/search", params={"q": "专精\u0000特新"})
    assert answer.status_code == 422, answer.text
    assert list(answer.json()["error"]["details"]) == ["q"]
    assert api.get("/api/v1/enterprises/9111010%00MA01A00010", token("national_admin")).status_code == 404
