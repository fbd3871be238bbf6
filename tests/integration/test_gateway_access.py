"""The gateway's access rules over real HTTP: a route whose access table names no caller
is denied to everyone, and the clock cannot be moved on a network where clock control is off."""
import os

import pytest
import requests as http

from gateway import auth
from gateway.api import route
from gateway.service import GatewayService
from services.requests.service import RequestsService

# A port of its own, beside the end-to-end gateway's.
ADDRESS = f"127.0.0.1:{int(os.environ['GATEWAY_PORT']) + 50}"
SCOPES = {"national_admin": None, "province_admin": "320000", "city_admin": "320100",
          "county_admin": "320102", "agency_staff": "7", "enterprise": "91320102MA1XB0003L",
          "province_system": "32"}


def bearer(role):
    return {"Authorization": "Bearer " + auth.mint(os.environ["ONENET_JWT_SECRET"], role, SCOPES[role])}


class UndeclaredRoutes:
    """A gateway with one route whose access table names no caller, and one that names one."""

    name = "gateway_access_check"

    @route("GET", "/api/v1/forgotten", access="")
    def forgotten(self, call):
        return {"reached": True}

    @route("GET", "/api/v1/declared", access="national_admin ok ok ok")
    def declared(self, call):
        return {"reached": True}


def test_a_route_whose_access_table_names_no_caller_is_denied_to_every_role(container_for):
    container_for(UndeclaredRoutes, "gateway/config.yml", WEB_SERVER_ADDRESS=ADDRESS)

    answers = {role: http.get(f"http://{ADDRESS}/api/v1/forgotten", headers=bearer(role), timeout=10)
               for role in SCOPES}

    assert {role: answer.status_code for role, answer in answers.items()} == dict.fromkeys(SCOPES, 403)
    assert {answer.json()["error"]["code"] for answer in answers.values()} == {"forbidden"}
    anonymous = http.get(f"http://{ADDRESS}/api/v1/forgotten", timeout=10)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "unauthenticated")
    declared = http.get(f"http://{ADDRESS}/api/v1/declared", headers=bearer("national_admin"), timeout=10)
    assert (declared.status_code, declared.json()) == (200, {"reached": True})


@pytest.fixture
def network_without_clock_control(container_for):
    """The requests service with clock control off (as in production) behind a gateway."""
    container_for(RequestsService, "services/requests/config.yml", CLOCK_CONTROL="off", ESCALATION_INTERVAL=0)
    container_for(GatewayService, "gateway/config.yml", WEB_SERVER_ADDRESS=ADDRESS)


def test_setting_the_clock_with_clock_control_off_is_forbidden(network_without_clock_control):
    admin = bearer("national_admin")

    refused = http.put(f"http://{ADDRESS}/api/v1/clock", json={"offset_seconds": 86400}, headers=admin,
                       timeout=10)
    reading = http.get(f"http://{ADDRESS}/api/v1/clock", headers=admin, timeout=10)

    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "forbidden",
                                       "message": "the clock is not under operator control on this network",
                                       "details": {"clock": ["CLOCK_CONTROL is off"]},
                                       "correlation_id": refused.headers["X-Correlation-ID"]}
    assert (reading.status_code, reading.json()["offset_seconds"]) == (200, 0.0)
