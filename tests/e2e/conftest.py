"""The whole network, started once per test run as ``make run`` starts it.

Tests drive it only through the gateway's HTTP API (``api``) with tokens minted
for any role (``token``); each process writes its JSON log lines to a file in
``network.log_dir``.
"""
import os
from datetime import datetime

from urllib.parse import urlsplit

import pytest
import requests

from gateway import auth
from infra.network import Network
from services.requests.deadlines import CHINA_TIME
from tests import stack
from tests.contract import Contract


class Api:
    """A thin HTTP client for the gateway under test. Every JSON answer is checked against
    the served OpenAPI document; what departs from it is kept in ``off_contract``."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()
        self.contract = None
        self.off_contract = []

    def request(self, method, path, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        answer = self.session.request(method, self.base_url + path, headers=headers,
                                      timeout=15, **kwargs)
        self._check(method, path, answer)
        return answer

    def _check(self, method, path, answer):
        if not answer.headers.get("Content-Type", "").startswith("application/json"):
            return
        if self.contract is None:
            self.contract = Contract(self.session.get(self.base_url + "/api/v1/openapi.json", timeout=15).json())
        try:
            body = answer.json()
        except ValueError:
            self.off_contract.append(f"{method} {path}: the body is not JSON")
            return
        self.off_contract.extend(self.contract.violations(method, urlsplit(path).path, answer.status_code, body))

    def get(self, path, token=None, **kwargs):
        return self.request("GET", path, token, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.request("POST", path, token, **kwargs)

    def patch(self, path, token=None, **kwargs):
        return self.request("PATCH", path, token, **kwargs)

    def put(self, path, token=None, **kwargs):
        return self.request("PUT", path, token, **kwargs)


@pytest.fixture(scope="session")
def network(prepared_stack, tmp_path_factory):
    net = Network(log_dir=str(tmp_path_factory.mktemp("network-logs")))
    try:
        net.start_all(timeout=60)
        yield net
    finally:
        net.stop_all()


@pytest.fixture(scope="session")
def agency_skeleton(network):
    """The national agency skeleton (one agency per province, city and county), loaded as
    operators load it (``python -m services.agencies.skeleton``), and copied by the requests
    service (which routes over its copy); idempotent."""
    from nameko.standalone.rpc import ClusterRpcProxy
    with ClusterRpcProxy({"AMQP_URI": os.environ["ONENET_AMQP_URI"]}, timeout=120) as services:
        skeleton = services.agencies.generate_skeleton()
    stack.skeleton_known_to_requests(skeleton["total"])
    return skeleton


@pytest.fixture(scope="session")
def api(network):
    return Api(f"http://127.0.0.1:{os.environ['GATEWAY_PORT']}")


@pytest.fixture(autouse=True)
def answers_on_contract(request):
    """Every answer a test got through ``api`` matches the OpenAPI document."""
    if "api" not in request.fixturenames:
        yield
        return
    api = request.getfixturevalue("api")
    del api.off_contract[:]
    yield
    found, api.off_contract[:] = list(api.off_contract), []
    if os.environ.get("ONENET_CONTRACT_LOG"):
        with open(os.environ["ONENET_CONTRACT_LOG"], "a") as log:
            log.writelines(f"{request.node.nodeid}\t{line}\n" for line in found)
        return
    assert not found, "answers off the OpenAPI document:\n" + "\n".join(found)


@pytest.fixture(scope="session")
def token():
    """``token(role, scope=None, **claims)``: a valid bearer token for the suite's secret."""

    def mint(role, scope=None, **kwargs):
        return auth.mint(os.environ["ONENET_JWT_SECRET"], role, scope, **kwargs)

    return mint


@pytest.fixture
def clock(api, token):
    """``clock(day, hour=10)`` puts the network's clock at that hour, China time, on ``day``
    (which also runs the escalation sweep); reset to real time afterwards."""
    admin = token("national_admin")

    def move_to(day, hour=10):
        target = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TIME)
        answer = api.request("PUT", "/api/v1/clock", admin, json={
            "offset_seconds": (target - datetime.now(CHINA_TIME)).total_seconds()})
        assert answer.status_code == 200, answer.text
        return answer.json()

    yield move_to
    api.request("PUT", "/api/v1/clock", admin, json={"offset_seconds": 0})


@pytest.fixture
def new_uscc():
    """``new_uscc(region_code)``: a fresh, valid unified social credit code."""
    return stack.new_uscc
