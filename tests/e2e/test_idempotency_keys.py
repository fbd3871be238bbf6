"""Idempotency keys through the gateway: a write retried with its key is done once and
answered the same, also when the first answer never reached the client."""
import json
import socket
import uuid

import eventlet

from tests.stack import registration, sql, wait_for


def registrations_of(uscc):
    """How many ``enterprise.registered`` events the enterprises outbox holds for ``uscc``."""
    return sql("enterprises", "SELECT count(*) FROM outbox WHERE event_type = 'enterprise.registered' "
                              "AND aggregate_id = %s", (uscc,))[0][0]


def keyed(key):
    return {"Idempotency-Key": key}


def test_registration_retried_with_its_key_is_answered_the_same_and_registered_once(api, token, new_uscc):
    uscc, admin, key = new_uscc("110105"), token("county_admin", "110105"), str(uuid.uuid4())

    first = api.post("/api/v1/enterprises", admin, json=registration(uscc), headers=keyed(key))
    again = api.post("/api/v1/enterprises", admin, json=registration(uscc), headers=keyed(key))

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert registrations_of(uscc) == 1
    # without a key the same registration is the duplicate it is
    assert api.post("/api/v1/enterprises", admin, json=registration(uscc)).status_code == 409


def test_a_key_sent_again_with_another_body_is_422_and_changes_nothing(api, token, new_uscc):
    admin, key = token("county_admin", "110105"), str(uuid.uuid4())
    uscc, other = new_uscc("110105"), new_uscc("110105")
    assert api.post("/api/v1/enterprises", admin, json=registration(uscc), headers=keyed(key)).status_code == 201

    reused = api.post("/api/v1/enterprises", admin, json=registration(other), headers=keyed(key))

    assert reused.status_code == 422, reused.text
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert "another request" in reused.json()["error"]["message"]
    assert api.get(f"/api/v1/enterprises/{other}", admin).status_code == 404
    assert registrations_of(other) == 0


def test_another_callers_equal_key_is_another_key(api, token, new_uscc):
    key = str(uuid.uuid4())
    first, second = new_uscc("110105"), new_uscc("110108")

    one = api.post("/api/v1/enterprises", token("county_admin", "110105"), json=registration(first),
                   headers=keyed(key))
    two = api.post("/api/v1/enterprises", token("county_admin", "110108"), json=registration(second),
                   headers=keyed(key))

    assert (one.status_code, two.status_code) == (201, 201), two.text
    assert two.json()["uscc"] == second


def test_malformed_key_is_400(api, token, new_uscc):
    uscc = new_uscc("110105")
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), json=registration(uscc),
                      headers=keyed("two words"))
    assert answer.status_code == 400
    assert answer.json()["error"]["details"] == {"idempotency_key": ["malformed"]}
    assert registrations_of(uscc) == 0


def test_registration_whose_answer_was_lost_is_retried_and_done_once(api, token, new_uscc):
    uscc, admin, key = new_uscc("110105"), token("county_admin", "110105"), str(uuid.uuid4())
    body = json.dumps(registration(uscc)).encode()
    host, port = api.base_url.removeprefix("http://").split(":")
    # the client sends the registration and goes away before the answer comes
    with socket.create_connection((host, int(port))) as lost:
        lost.sendall(b"POST /api/v1/enterprises HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {admin}\r\nIdempotency-Key: {key}\r\n".encode()
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    wait_for(lambda: registrations_of(uscc))

    retried = api.post("/api/v1/enterprises", admin, json=registration(uscc), headers=keyed(key))

    assert retried.status_code == 201, retried.text
    assert retried.json() == api.get(f"/api/v1/enterprises/{uscc}", admin).json()
    assert registrations_of(uscc) == 1


def test_racing_retries_with_one_key_register_once_and_get_one_answer(api, token, new_uscc):
    uscc, admin, key = new_uscc("110105"), token("county_admin", "110105"), str(uuid.uuid4())
    pool = eventlet.GreenPool()

    answers = list(pool.imap(lambda _: api.request("POST", "/api/v1/enterprises", admin, json=registration(uscc),
                                                   headers=keyed(key)), range(4)))

    assert {answer.status_code for answer in answers} == {201}, [answer.text for answer in answers]
    assert len({answer.text for answer in answers}) == 1
    assert registrations_of(uscc) == 1


def test_request_and_its_transition_retried_with_their_keys_happen_once(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc("110105")
    me, key = token("enterprise", uscc), str(uuid.uuid4())
    body = {"service_area": "policy", "title": "社保补贴咨询", "region_code": "110105",
            "description": "想了解稳岗补贴的申请条件"}

    first = api.post("/api/v1/requests", me, json=body, headers=keyed(key))
    again = api.post("/api/v1/requests", me, json=body, headers=keyed(key))

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert sql("requests", "SELECT count(*) FROM service_request WHERE uscc = %s", (uscc,))[0][0] == 1
    staff = token("agency_staff", str(first.json()["agency_id"]))
    path, step = f"/api/v1/requests/{first.json()['id']}/transitions", str(uuid.uuid4())
    accepted = api.post(path, staff, json={"action": "accept"}, headers=keyed(step))
    accepted_again = api.post(path, staff, json={"action": "accept"}, headers=keyed(step))
    assert accepted.status_code == 200, accepted.text
    assert (accepted_again.status_code, accepted_again.json()) == (200, accepted.json())
    # a new key is a new step: accepting twice is the illegal transition it is
    assert api.post(path, staff, json={"action": "accept"}, headers=keyed(str(uuid.uuid4()))).status_code == 409
