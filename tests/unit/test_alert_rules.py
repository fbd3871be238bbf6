"""The alert rules (infra/prometheus/alerts.yml): promtool checks them and runs their unit tests
(infra/prometheus/*.test.yml) where it is installed (``.ci/run`` installs it); every alert has a
test in which it fires; every metric an alert names is one the processes define."""
import shutil
import subprocess

import pytest
import yaml

from tests import monitoring
from tests.unit.test_dashboard import DEFINED

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed "
                                    "(apt-get install prometheus; .ci/run installs it)")


@needs_promtool
def test_promtool_accepts_the_rules():
    checked = subprocess.run([PROMTOOL, "check", "rules", monitoring.ALERTS],
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_promtool_unit_tests_of_the_rules_pass():
    tested = subprocess.run([PROMTOOL, "test", "rules", *monitoring.ALERT_TESTS],
                            capture_output=True, text=True, timeout=300, cwd=monitoring.PROMETHEUS)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(monitoring.ALERT_TESTS)


def test_every_alert_has_a_unit_test_in_which_it_fires():
    fired = set()
    for path in monitoring.ALERT_TESTS:
        with open(path, encoding="utf-8") as handle:
            for test in yaml.safe_load(handle)["tests"]:
                fired |= {case["alertname"] for case in test.get("alert_rule_test", []) if case["exp_alerts"]}
    assert {rule["alert"] for rule in monitoring.alert_rules()} - fired == set()


@pytest.mark.parametrize("rule", monitoring.alert_rules(), ids=lambda rule: rule["alert"])
def test_every_alert_names_metrics_the_processes_define(rule):
    names = monitoring.metric_names(rule["expr"])
    assert names, rule["expr"]
    assert names - DEFINED == set()
