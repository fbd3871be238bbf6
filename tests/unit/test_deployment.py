"""The Docker deployment (docker-compose.yml), its Prometheus config and the processes'
broker rights, checked as files: no Docker engine is needed to read them."""
import os
import re

import pytest
import yaml

from infra import accounts
from infra.network import PROCESSES, password_variables

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


COMPOSE_TEXT = read("docker-compose.yml")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]


def published(service):
    """The container ports a compose service publishes on the host."""
    return {int(str(entry).rsplit(":", 1)[-1].split("/")[0]) for entry in service.get("ports", [])}


def test_only_the_gateway_api_and_an_optional_local_prometheus_and_grafana_are_published():
    assert {name: published(service) for name, service in SERVICES.items() if published(service)} == {
        "gateway": {8000}, "prometheus": {9090}, "grafana": {3000}}
    for name, port in (("prometheus", 9090), ("grafana", 3000)):
        assert SERVICES[name]["profiles"] == ["monitoring"]
        assert SERVICES[name]["ports"] == [f"127.0.0.1:{port}:{port}"]


@pytest.mark.parametrize("server", ["rabbitmq", "postgres", "redis"])
def test_no_broker_database_or_redis_port_is_published(server):
    assert "ports" not in SERVICES[server]


def test_no_password_or_secret_has_a_default():
    references = re.findall(r"\$\{([A-Z0-9_]+)([^}]*)\}", COMPOSE_TEXT)
    secrets = [(name, rest) for name, rest in references if re.search("PASSWORD|SECRET", name)]
    assert secrets
    assert [name for name, rest in secrets if not rest.startswith(":?")] == []
    assert "POSTGRES_HOST_AUTH_METHOD" not in COMPOSE_TEXT
    assert "guest" not in COMPOSE_TEXT


@pytest.mark.parametrize("process", [p.name for p in PROCESSES])
def test_each_process_gets_its_own_passwords_and_no_one_elses(process):
    environment = SERVICES[process]["environment"]
    mine = set(password_variables(next(p for p in PROCESSES if p.name == process)))
    secrets = {name for name in environment if re.search("PASSWORD|SECRET", name)}
    extra = {"gateway": {"ONENET_JWT_SECRET", "ONENET_REDIS_PASSWORD"},
             "notifications": {"ONENET_WEBHOOK_SECRET_KEYS"}}.get(process, set())
    assert secrets == mine | extra
    for url in (environment["ONENET_AMQP_URI"], environment["ONENET_DATABASE_URL"]):
        assert "@" not in url, f"{process} must not connect with the administrator's account"


def test_prepare_gets_every_process_password_and_the_administrators():
    environment = SERVICES["prepare"]["environment"]
    wanted = {variable for process in PROCESSES for variable in password_variables(process)}
    assert wanted <= set(environment)
    assert "PGPASSWORD" in environment
    assert environment["ONENET_RABBITMQ_MANAGEMENT_URL"] == "http://rabbitmq:15672"


def test_prometheus_scrapes_the_gateway_on_its_ops_port():
    for config in ("infra/prometheus/prometheus.yml", "infra/prometheus/prometheus.local.yml"):
        jobs = {job["job_name"]: job["static_configs"][0]["targets"]
                for job in yaml.safe_load(read(config))["scrape_configs"]}
        assert [target.rsplit(":", 1)[1] for target in jobs["gateway"]] == ["9100"], config
    assert "9100/health/ready" in str(SERVICES["gateway"]["healthcheck"]["test"])


RPC = "nameko-rpc"
REPLY = accounts._REPLY_KEY


@pytest.mark.parametrize("service_path, rpc_write, rpc_read, events_write, events_read", [
    ("services.requests.service:RequestsService",
     rf"^(agencies\.[A-Za-z0-9_]+|enterprises\.[A-Za-z0-9_]+|{REPLY})$", rf"^(requests\.\*|{REPLY})$",
     r"^(request\.[a-z_]+|holiday_schedule\.[a-z_]+)$", r"^(agency\.created|agency\.updated|guide\.published|"
     r"provider\.admitted|provider\.exited|provider\.registered|provider\.updated)$"),
    ("services.notifications.service:NotificationsService",
     rf"^(enterprises\.[A-Za-z0-9_]+|{REPLY})$", rf"^(notifications\.\*|{REPLY})$", "^$",
     "^(" + "|".join(name.replace(".", r"\.") for name in (
         "activity.promoted", "activity.published", "activity.rescheduled", "agency.created", "agency.updated",
         "enterprise.registered",
         "enterprise.size_class_changed", "enterprise.tier_changed", "enterprise.updated", "policy.expired",
         "policy.published",
         "policy.withdrawn", "provider.admitted", "provider.evaluated", "provider.exited", "request.accepted",
         "request.assigned", "request.closed", "request.deadline_missed", "request.escalated",
         "request.reopened", "request.resolved", "request.returned", "request.revisited", "request.submitted",
         "request.transferred", "request.withdrawn")) + ")$"),
    ("services.agencies.service:AgenciesService",
     rf"^(activities\.[A-Za-z0-9_]+|notifications\.[A-Za-z0-9_]+|requests\.[A-Za-z0-9_]+|{REPLY})$",
     rf"^(agencies\.\*|{REPLY})$",
     r"^(agency\.[a-z_]+|guide\.[a-z_]+|policy\.[a-z_]+|provider\.[a-z_]+|capacity\.[a-z_]+|scoring\.[a-z_]+|"
     r"honour\.[a-z_]+)$",
     r"^(enterprise\.registered|enterprise\.size_class_changed|enterprise\.updated|request\.rated)$"),
    ("services.activities.service:ActivitiesService",
     rf"^({REPLY})$", rf"^(activities\.\*|{REPLY})$",
     r"^(activity\.[a-z_]+|lead_firm\.[a-z_]+|chain_need\.[a-z_]+|financing_need\.[a-z_]+)$",
     r"^(agency\.created|agency\.updated|enterprise\.registered|enterprise\.size_class_changed|"
     r"enterprise\.tier_changed|enterprise\.updated|holiday_schedule\.loaded|provider\.admitted|"
     r"provider\.exited|provider\.registered|provider\.updated)$"),
    ("gateway.service:GatewayService",
     rf"^(activities\.[A-Za-z0-9_]+|agencies\.[A-Za-z0-9_]+|enterprises\.[A-Za-z0-9_]+|"
     rf"notifications\.[A-Za-z0-9_]+|requests\.[A-Za-z0-9_]+|{REPLY})$", rf"^({REPLY})$", "^$", "^$"),
])
def test_broker_rights_follow_what_each_process_calls_serves_publishes_and_handles(
        service_path, rpc_write, rpc_read, events_write, events_read):
    from chassis.serve import service_class
    grants = accounts.grants_for(service_class(service_path))
    assert grants.topics[RPC] == (rpc_write, rpc_read)
    assert grants.topics["onenet.events"] == (events_write, events_read)


def test_a_service_may_touch_only_its_own_queues_and_the_shared_exchanges():
    grants = accounts.broker_grants("requests")
    own = (r"^(rpc-requests(\.dead-letter)?|rpc\.reply-requests-.+|requests\..+|nameko\-rpc|onenet\.events|"
           r"onenet\.redelivery)$")
    assert (grants.configure, grants.write, grants.read) == (own, own, own)
    assert grants.topics["onenet.redelivery"] == (r"^(requests\..+)$", r"^(requests\..+)$")
    for name in ("rpc-enterprises", "rpc-enterprises.dead-letter", "enterprises.welcome", "amq.default", "",
                 "requests", "rpc-requests.other"):
        assert not re.match(own, name), name
    for name in ("rpc-requests", "rpc-requests.dead-letter", "rpc.reply-requests-1f0e", "requests.x.retry.1000ms",
                 "nameko-rpc"):
        assert re.match(own, name), name


def test_a_service_that_serves_rpc_parks_only_its_own_calls():
    write, read = accounts.broker_grants("requests", serves_rpc=True).topics["onenet.redelivery"]
    assert write == read == r"^(requests\..+|rpc-requests\.dead-letter)$"
    assert not re.match(write, "rpc-enterprises.dead-letter")


def test_broker_definitions_carry_a_salted_hash_never_the_password():
    definitions = accounts.broker_definitions("onenet", [("onenet_requests", "s3cret-pw",
                                                          accounts.broker_grants("requests"))])
    assert "s3cret-pw" not in str(definitions)
    assert [user["name"] for user in definitions["users"]] == ["onenet_requests"]
    assert definitions["users"][0]["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert {entry["exchange"] for entry in definitions["topic_permissions"]} == {
        "nameko-rpc", "onenet.events", "onenet.redelivery"}


def test_the_management_api_gets_the_definitions_as_the_brokers_administrator():
    class Recorder:
        auth, calls = None, []

        def post(self, url, json, timeout):
            self.calls.append((url, json))

            class Answer:
                def raise_for_status(self):
                    pass
            return Answer()

    session = Recorder()
    admin = accounts.ManagementApi("http://rabbitmq:15672/", "amqp://onenet:p%40ss@rabbitmq:5672/",
                                   session=session)
    admin.load({"users": []})
    assert session.auth == ("onenet", "p@ss")
    assert session.calls == [("http://rabbitmq:15672/api/definitions", {"users": []})]


@pytest.mark.parametrize("process", [p.name for p in PROCESSES] + ["rabbitmq", "postgres", "redis"])
def test_docker_starts_every_long_running_process_and_server_again_when_it_exits(process):
    assert SERVICES[process]["restart"] == "unless-stopped"
