"""What Prometheus and Grafana are given to watch names what the running network exports: every
alert rule's and every dashboard panel's expression, scraped from each process's ops port."""
import os

import pytest
import requests

from infra.network import PROCESSES
from tests import monitoring


@pytest.fixture(scope="module")
def scraped(network):
    """Sample names (and declared names) of every process's ``/metrics``, after some traffic."""
    names = {}
    for process in PROCESSES:
        answer = requests.get(f"http://127.0.0.1:{process.port(os.environ)}/metrics", timeout=10)
        assert answer.status_code == 200, process.name
        names[process.name] = monitoring.scraped_sample_names(answer.text)
    return names


def exported_by_network(scraped):
    return monitoring.exported(set().union(*scraped.values()))


@pytest.mark.parametrize("rule", monitoring.alert_rules(), ids=lambda rule: rule["alert"])
def test_every_alert_names_metrics_the_network_exports(scraped, rule):
    assert monitoring.metric_names(rule["expr"]) - exported_by_network(scraped) == set()


def test_every_dashboard_panel_names_metrics_the_network_exports(scraped):
    exported = exported_by_network(scraped)
    missing = {(panel["title"], name)
               for path in monitoring.DASHBOARDS for panel in monitoring.dashboard_panels(path)
               for target in panel["targets"] for name in monitoring.metric_names(target["expr"])
               if name not in exported}
    assert missing == set()


def test_the_requests_service_reports_deadlines_and_holiday_schedules_per_level_and_year(scraped, network):
    text = requests.get(f"http://127.0.0.1:{os.environ['REQUESTS_OPS_PORT']}/metrics", timeout=10).text
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    overdue = [line for line in lines if line.startswith("onenet_requests_overdue{")]
    assert len(overdue) == 2 * 6  # accept and resolve, at each level and unrouted
    assert any('kind="resolve"' in line and 'level="county"' in line for line in overdue)
    schedules = [line for line in lines if line.startswith("onenet_holiday_schedule_known{")]
    assert sorted('which="current"' in line for line in schedules) == [False, True]
    assert all(line.rsplit(" ", 1)[1] in ("0.0", "1.0") for line in schedules)
