"""What operators watch, read from the files they load: the alert rules (``infra/prometheus``)
and the Grafana dashboards (``infra/grafana``), and the metric names their expressions use,
set against what the processes export."""
import glob
import json
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMETHEUS = os.path.join(ROOT, "infra", "prometheus")
ALERTS = os.path.join(PROMETHEUS, "alerts.yml")
ALERT_TESTS = sorted(glob.glob(os.path.join(PROMETHEUS, "*.test.yml")))
DASHBOARDS = sorted(glob.glob(os.path.join(ROOT, "infra", "grafana", "dashboards", "*.json")))

# Series Prometheus makes itself for every target (not exported by a process).
PROMETHEUS_SERIES = {"up"}
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def alert_rules():
    with open(ALERTS, encoding="utf-8") as handle:
        return [rule for group in yaml.safe_load(handle)["groups"] for rule in group["rules"]]


def dashboard_panels(path):
    """Every panel of a dashboard that is not a row, rows' nested panels included."""
    with open(path, encoding="utf-8") as handle:
        dashboard = json.load(handle)
    found = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            found.extend(panel.get("panels", []))
        else:
            found.append(panel)
    return found


def metric_names(expression):
    """The metric names a PromQL expression selects (OneNet's, and Prometheus' own ``up``)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values are not names
    return set(re.findall(r"\bonenet_[a-z0-9_]+\b", bare)) | (
        set(re.findall(r"\b[a-z_]+\b", bare)) & PROMETHEUS_SERIES)


def exported(sample_names):
    """What an expression may name, given the sample names processes expose: each name, and for
    a histogram's ``_bucket``/``_count``/``_sum`` samples the family too."""
    names = set(sample_names) | PROMETHEUS_SERIES
    for name in sample_names:
        for suffix in _HISTOGRAM_SUFFIXES:
            if name.endswith(suffix):
                names.add(name[:-len(suffix)])
    return names


def scraped_sample_names(text):
    """The sample names of one ``/metrics`` page, and the names its ``# TYPE`` lines declare
    (a labelled metric that has not been observed yet has no sample, only its declaration)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            names.add(name)
            if kind == "counter":
                names.add(name + "_total" if not name.endswith("_total") else name)
            if kind == "histogram":
                names.update(name + suffix for suffix in _HISTOGRAM_SUFFIXES)
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
