"""Prometheus gauges of the latest scoring run of every scope and year (考核评价).

Computed from the database when Prometheus scrapes the agencies process's
``/metrics``, so every replica reports the same values: per region its score,
rank and each indicator's attainment, and per run its model version and the
facts' cut-off.
"""
from prometheus_client.core import GaugeMetricFamily

from chassis.metrics import ScrapeTimeCollector, ScrapeTimeGauges
from services.agencies import scoring_store

REGION_LABELS = ["scope", "year", "region"]


class ScoringCollector(ScrapeTimeCollector):
    def families(self):
        return {
            "score": GaugeMetricFamily("onenet_scoring_score", "Score (0-100) of a region in the latest run.",
                                       labels=REGION_LABELS),
            "rank": GaugeMetricFamily("onenet_scoring_rank", "Rank of a region in the latest run (1 = best).",
                                      labels=REGION_LABELS),
            "attainment": GaugeMetricFamily(
                "onenet_scoring_indicator_attainment",
                "Attainment (0-100) of an indicator's target by a region in the latest run.",
                labels=REGION_LABELS + ["indicator"]),
            "run": GaugeMetricFamily("onenet_scoring_run_info", "The latest run of a scope and year (value 1).",
                                     labels=["scope", "year", "run", "model_version"]),
            "cutoff": GaugeMetricFamily("onenet_scoring_facts_cutoff_timestamp_seconds",
                                        "The facts' cut-off of the latest run.", labels=["scope", "year"]),
        }

    def read(self, tx):
        return scoring_store.latest_runs(tx)

    def fill(self, families, rows):
        runs = {}
        for row in rows:
            labels = [row["scope"], str(row["year"]), row["region_code"]]
            runs[(row["scope"], str(row["year"]))] = row
            if row["score"] is not None:
                families["score"].add_metric(labels, row["score"])
            if row["rank"] is not None:
                families["rank"].add_metric(labels, row["rank"])
            for item in row["indicators"]:
                if item["attainment"] is not None:
                    families["attainment"].add_metric(labels + [item["indicator"]], item["attainment"])
        for (scope, year), row in runs.items():
            families["run"].add_metric([scope, year, str(row["id"]), str(row["model_version"])], 1)
            families["cutoff"].add_metric([scope, year], row["facts_cutoff"].timestamp())


def ScoringGauges():
    """The dependency that reports :class:`ScoringCollector` while the service runs."""
    return ScrapeTimeGauges(ScoringCollector)
