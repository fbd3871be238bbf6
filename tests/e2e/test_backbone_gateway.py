"""The gateway's contract: authentication, authorization, the error shape, limits, OpenAPI."""
import base64
import json
import os
import time

import pytest
from openapi_spec_validator import validate

from gateway import auth
from tests.stack import registration

SECRET_ENV = "ONENET_JWT_SECRET"


def assert_error(answer, status, code=None):
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "details", "correlation_id"}
    assert error["correlation_id"] == answer.headers["X-Correlation-ID"]
    assert error["message"]
    assert "Traceback" not in answer.text
    if code:
        assert error["code"] == code
    return error


def unsigned_token(claims):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def bad_tokens():
    secret = os.environ[SECRET_ENV]
    now = int(time.time())
    return {
        "expired": auth.mint(secret, "national_admin", now=now - 7200, ttl_seconds=60),
        "wrong audience": auth.mint(secret, "national_admin", audience="another-api"),
        "wrong key": auth.mint("a-different-key-a-different-key-1234", "national_admin"),
        "alg none": unsigned_token({"iss": "onenet", "aud": "onenet-api", "sub": "x",
                                    "role": "national_admin", "exp": now + 600}),
    }


@pytest.mark.parametrize("kind", ["expired", "wrong audience", "wrong key", "alg none"])
def test_bad_tokens_get_401(api, kind):
    answer = api.get("/api/v1/notifications", bad_tokens()[kind])
    assert_error(answer, 401, "unauthenticated")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_gets_401(api):
    answer = api.get("/api/v1/notifications")
    assert_error(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_error_repeats_the_correlation_id_sent_even_on_an_unknown_route(api):
    for path in ("/api/v1/no-such-route", "/api/v1/notifications"):
        answer = api.get(path, headers={"X-Correlation-ID": "front-end-42"})
        assert answer.headers["X-Correlation-ID"] == "front-end-42"
        assert answer.json()["error"]["correlation_id"] == "front-end-42"


def test_a_date_that_cannot_be_read_says_the_form_it_must_take(api, token):
    answer = api.get("/api/v1/enterprises/91110000600037341L/size-class?as_of=31.03.2026",
                     token("national_admin"))
    error = assert_error(answer, 422, "validation_failed")
    assert "YYYY-MM-DD" in error["details"]["as_of"][0]


def test_county_admin_cannot_register_an_enterprise_in_another_county(api, token, new_uscc):
    uscc = new_uscc("110106")
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"),
                      json=registration(uscc, region_code="110106"))
    error = assert_error(answer, 403, "forbidden")
    assert error["details"] == {"region_code": "110106"}
    assert_error(api.get(f"/api/v1/enterprises/{uscc}", token("national_admin")), 404)


def test_role_not_declared_on_a_route_is_denied(api, token):
    answer = api.post("/api/v1/enterprises", token("enterprise", "91110105MA01A00010"),
                      json=registration("91110105MA01A00010"))
    assert_error(answer, 403)


def test_enterprise_cannot_read_another_enterprise(api, token, new_uscc):
    uscc = new_uscc("110105")
    assert api.post("/api/v1/enterprises", token("county_admin", "110105"),
                    json=registration(uscc)).status_code == 201
    other = token("enterprise", new_uscc("110105"))
    assert_error(api.get(f"/api/v1/enterprises/{uscc}", other), 404)
    assert_error(api.get(f"/api/v1/enterprises/{uscc}", token("county_admin", "110106")), 404)
    assert api.get(f"/api/v1/enterprises/{uscc}", token("city_admin", "110100")).status_code == 200


@pytest.mark.parametrize("change, field", [
    ({"uscc": "91110105MA01A0001X"}, "uscc"),          # wrong check character
    ({"region_code": "119999"}, "region_code"),         # no such county
    ({"region_code": "110103"}, "region_code"),         # retired in 2010
    ({"industry_code": "Z99"}, "industry_code"),
    ({"employees": -3}, "employees"),
    ({"revenue": "lots"}, "revenue"),
    ({"name": None}, "name"),
    ({"unexpected": 1}, "unexpected"),
])
def test_invalid_registration_gets_422_naming_the_field_and_stores_nothing(api, token, new_uscc, change, field):
    uscc = new_uscc("110105")
    body = registration(uscc)
    body.update(change)
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), json=body)
    error = assert_error(answer, 422, "validation_failed")
    assert field in error["details"]
    assert_error(api.get(f"/api/v1/enterprises/{body['uscc']}", token("national_admin")), 404)


def test_missing_fields_are_each_named(api, token):
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), json={"name": "某公司"})
    error = assert_error(answer, 422)
    assert {"uscc", "region_code", "industry_code", "employees", "revenue"} <= set(error["details"])


def test_malformed_json_gets_400(api, token):
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), data=b"{\"uscc\": ",
                      headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "malformed_request")


def test_non_json_body_gets_400(api, token):
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), data=b"uscc=1",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(answer, 400)


def test_oversized_body_gets_413(api, token):
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"),
                      json={"name": "x" * 1_100_000})
    assert_error(answer, 413, "payload_too_large")


def test_duplicate_registration_gets_409(api, token, new_uscc):
    body = registration(new_uscc("110105"))
    admin = token("county_admin", "110105")
    assert api.post("/api/v1/enterprises", admin, json=body).status_code == 201
    error = assert_error(api.post("/api/v1/enterprises", admin, json=body), 409, "conflict")
    assert "uscc" in error["details"]


def test_page_size_above_the_maximum_gets_422(api, token):
    answer = api.get("/api/v1/notifications?page_size=1000", token("enterprise", "91110105MA01A00010"))
    assert "page_size" in assert_error(answer, 422)["details"]


def test_unknown_route_and_method_answer_in_the_error_shape(api):
    assert_error(api.get("/api/v1/no-such-thing"), 404)
    assert_error(api.request("DELETE", "/api/v1/openapi.json"), 405)


def test_service_that_does_not_answer_gives_503_not_a_hang(network, api, token):
    notifications = network.process("notifications")
    network.kill("notifications")
    try:
        started = time.monotonic()
        answer = api.get("/api/v1/notifications", token("enterprise", "91110105MA01A00010"))
        assert_error(answer, 503, "service_unavailable")
        assert time.monotonic() - started < 10
    finally:
        network.start(notifications)
        network.wait_ready([notifications])


def test_openapi_document_is_valid_and_lists_roles(api):
    document = api.get("/api/v1/openapi.json").json()
    validate(document)
    operation = document["paths"]["/api/v1/enterprises"]["post"]
    assert "county_admin" in operation["x-roles"]
    assert "422" in operation["responses"]
