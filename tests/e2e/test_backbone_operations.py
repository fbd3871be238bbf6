"""What operators rely on: one correlation id across hops, Prometheus metrics, health."""
import json
import os
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.stack import log_lines, registration, wait_for

SERVICE_PORTS = {name: os.environ[f"{name.upper()}_OPS_PORT"]
                 for name in ("agencies", "enterprises", "requests", "notifications")}


def test_one_correlation_id_follows_a_request_through_gateway_enterprises_and_notifications(
        network, api, token, new_uscc):
    """Every line the three processes write after the call belongs to it and carries its id:
    the lines are read by position (all that follow the ones already there), not picked by the id."""
    processes = ("gateway", "enterprises", "notifications")
    uscc = new_uscc("110105")
    cid = f"e2e-{uuid.uuid4()}"
    already = {process: len(log_lines(network.log_dir, process)) for process in processes}

    def new_lines(process):
        return [json.loads(line) for line in log_lines(network.log_dir, process)[already[process]:]]

    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"),
                      json=registration(uscc), headers={"X-Correlation-ID": cid})

    assert answer.status_code == 201
    assert answer.headers["X-Correlation-ID"] == cid
    assert wait_for(lambda: any(line["event"] == "welcome_notice_written" for line in new_lines("notifications")))
    written = {process: new_lines(process) for process in processes}
    assert [line["event"] for line in written["gateway"]] == ["http_request"]
    assert [line["event"] for line in written["enterprises"]] == ["enterprise_registered"]
    assert [line["event"] for line in written["notifications"]] == ["welcome_notice_written"]
    for process, lines in written.items():
        assert [(line["correlation_id"], line["process"]) for line in lines] == [(cid, process)] * len(lines)


def test_gateway_makes_a_correlation_id_when_none_is_given(api):
    answer = api.get("/api/v1/openapi.json")
    uuid.UUID(answer.headers["X-Correlation-ID"])


def families(url):
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(answer.text)}


def test_every_process_serves_prometheus_metrics_with_latency_histograms(api, token):
    api.get("/api/v1/notifications", token("enterprise", "91110105MA01A00010"))
    gateway = families(f"http://127.0.0.1:{os.environ['GATEWAY_OPS_PORT']}/metrics")
    assert gateway["onenet_http_request_duration_seconds"].type == "histogram"
    assert any(sample.labels.get("route") == "/api/v1/notifications"
               for sample in gateway["onenet_http_request_duration_seconds"].samples)
    for name, port in SERVICE_PORTS.items():
        found = families(f"http://127.0.0.1:{port}/metrics")
        assert found["onenet_rpc_duration_seconds"].type == "histogram", name
        assert found["onenet_event_handling_duration_seconds"].type == "histogram", name
        assert "onenet_dead_lettered" in found, name
    notifications = families(f"http://127.0.0.1:{SERVICE_PORTS['notifications']}/metrics")
    assert any(sample.labels.get("method") == "inbox_page"
               for sample in notifications["onenet_rpc_duration_seconds"].samples)
    enterprises = families(f"http://127.0.0.1:{SERVICE_PORTS['enterprises']}/metrics")
    assert "onenet_outbox_backlog" in enterprises
    assert "onenet_outbox_oldest_unsent_seconds" in enterprises


def test_gateway_serves_metrics_on_its_ops_port_only_and_health_on_both(api):
    ops = f"http://127.0.0.1:{os.environ['GATEWAY_OPS_PORT']}"
    public = requests.get(f"{api.base_url}/metrics", timeout=5)
    assert public.status_code == 404
    assert public.json()["error"]["code"] == "not_found"
    assert "onenet_http_request_duration_seconds" not in public.text
    assert "onenet_http_request_duration_seconds" in requests.get(f"{ops}/metrics", timeout=5).text
    for base in (api.base_url, ops):
        assert requests.get(f"{base}/health/live", timeout=5).json() == {"status": "alive"}
        assert requests.get(f"{base}/health/ready", timeout=5).json()["status"] == "ready"


def test_every_process_reports_liveness_and_readiness(api):
    urls = [api.base_url, f"http://127.0.0.1:{os.environ['GATEWAY_OPS_PORT']}"] + [
        f"http://127.0.0.1:{port}" for port in SERVICE_PORTS.values()]
    for base in urls:
        assert requests.get(f"{base}/health/live", timeout=5).status_code == 200
        ready = requests.get(f"{base}/health/ready", timeout=5)
        assert ready.status_code == 200, base
        assert ready.json()["checks"]["broker"] is True
