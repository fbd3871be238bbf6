"""The Grafana dashboards (infra/grafana/dashboards), provisioned by docker-compose.yml beside
Prometheus: each panel queries the provisioned data source, and every expression names metrics
the processes define (tests/e2e/test_monitoring.py checks them against the running network)."""
import os

import pytest
import yaml
from prometheus_client import REGISTRY

from chassis.metrics import ScrapeTimeCollector
from chassis.serve import service_class
from infra.network import PROCESSES, load_config
from tests import monitoring


def defined_metric_names():
    """Every sample name the processes' code defines: the metrics registered when their service
    classes are imported, and the gauges their scrape-time collectors compute."""
    for process in PROCESSES:
        service_class(load_config(process)["SERVICE"])
    names = set(REGISTRY._names_to_collectors)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for collector in subclasses(ScrapeTimeCollector):
        names |= {family.name for family in collector(None, {}).families().values()}
    return monitoring.exported(names)


DEFINED = defined_metric_names()
PANELS = [(os.path.basename(path), panel) for path in monitoring.DASHBOARDS
          for panel in monitoring.dashboard_panels(path)]


def provisioned_datasource_uid():
    path = os.path.join(monitoring.ROOT, "infra", "grafana", "provisioning", "datasources", "prometheus.yml")
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["datasources"][0]["uid"]


def test_the_dashboard_covers_what_operators_watch():
    assert [os.path.basename(path) for path in monitoring.DASHBOARDS] == ["onenet.json"]
    expressions = " ".join(target["expr"] for _, panel in PANELS for target in panel["targets"])
    for metric in ("onenet_http_request_duration_seconds_count", "onenet_rpc_duration_seconds_bucket",
                   "onenet_outbox_backlog", "onenet_dead_lettered_total", "onenet_requests_by_state",
                   "onenet_request_deadlines_missed_total", "onenet_notices_written_total",
                   "onenet_deliveries_total", "onenet_province_events_received_total"):
        assert metric in expressions


@pytest.mark.parametrize("dashboard, panel", PANELS, ids=[panel["title"] for _, panel in PANELS])
def test_each_panel_queries_the_provisioned_prometheus_for_metrics_the_processes_define(dashboard, panel):
    uid = provisioned_datasource_uid()
    assert panel["datasource"]["uid"] == uid
    assert panel["targets"]
    for target in panel["targets"]:
        assert target["datasource"]["uid"] == uid
        names = monitoring.metric_names(target["expr"])
        assert names, target["expr"]
        assert names - DEFINED == set(), target["expr"]


def test_panel_ids_are_unique():
    ids = [panel["id"] for _, panel in PANELS]
    assert len(ids) == len(set(ids))


def test_compose_provisions_the_data_source_and_dashboards_beside_prometheus():
    with open(os.path.join(monitoring.ROOT, "docker-compose.yml"), encoding="utf-8") as handle:
        services = yaml.safe_load(handle)["services"]
    grafana = services["grafana"]
    assert grafana["profiles"] == services["prometheus"]["profiles"] == ["monitoring"]
    assert "./infra/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./infra/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    with open(os.path.join(monitoring.ROOT, "infra", "grafana", "provisioning", "dashboards", "onenet.yml"),
              encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
