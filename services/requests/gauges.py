"""Prometheus figures of the requests service.

Counters move as things happen (deadlines missed, escalations, provisional
deadlines computed).  The assessment gauges (评估问效, per region and for the
current month and year) and the requests-by-state gauge are computed from the
database when Prometheus scrapes ``/metrics``, so they are exact at the time
of the scrape; every replica reports the same values.
"""
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from chassis.metrics import ScrapeTimeCollector, ScrapeTimeGauges
from services.requests import assessment, clock, deadlines, lifecycle, store

# States past resolution: provisional deadlines no longer matter there.
RESOLUTION_DONE = frozenset({lifecycle.RESOLVED, lifecycle.REVISITED}) | lifecycle.FINAL_STATES

DEADLINES_MISSED = Counter(
    "onenet_request_deadlines_missed_total", "Request deadlines found missed (SLA breaches).", ["kind"])
ESCALATIONS = Counter(
    "onenet_request_escalations_total", "Requests escalated to a parent agency.", ["trigger"])
PROVISIONAL_DEADLINES = Counter(
    "onenet_request_deadlines_provisional_total",
    "Deadlines counted into a year without holiday data (weekdays only, provisional).")

# Assessment figure -> (gauge name, help).
ASSESSMENT_GAUGES = {
    "received": ("onenet_assessment_requests_received", "Requests raised in the region in the period."),
    "accepted_on_time_pct": ("onenet_assessment_accepted_on_time_percent",
                             "Share of requests accepted without missing the acceptance deadline."),
    "resolved_on_time_pct": ("onenet_assessment_resolved_on_time_percent",
                             "Share of requests resolved without missing the resolution deadline."),
    "escalations": ("onenet_assessment_escalations", "Escalations of the region's requests."),
    "escalations_received": ("onenet_assessment_escalations_received",
                             "Escalations of the period's requests to the region's agencies."),
    "average_satisfaction": ("onenet_assessment_satisfaction_average", "Mean rating score (1-5)."),
    "revisit_coverage_pct": ("onenet_assessment_revisit_coverage_percent",
                             "Share of resolved requests with a rating or revisit call."),
    "resolved_not_solved_pct": ("onenet_assessment_resolved_not_solved_percent",
                                "Share of ratings saying resolved but not solved."),
}
LABELS = ["region", "level", "period"]


class AssessmentCollector(ScrapeTimeCollector):
    """The assessment gauges of the current month and year, and requests by state."""

    def families(self):
        families = {figure: GaugeMetricFamily(name, text, labels=LABELS)
                    for figure, (name, text) in ASSESSMENT_GAUGES.items()}
        families["state"] = GaugeMetricFamily("onenet_requests_by_state", "Requests in each state.",
                                              labels=["state"])
        families["provisional"] = GaugeMetricFamily(
            "onenet_requests_provisional_deadlines",
            "Open requests whose deadlines await a year's holiday schedule.")
        return families

    def read(self, tx):
        now, _ = clock.read(tx, clock.control_enabled(self.config))
        rows = [row for period in assessment.current_periods(deadlines.local_day(now))
                for row in assessment.for_all_regions(tx, period)]
        states = tx.all("SELECT state, count(*) AS n FROM service_request GROUP BY state")
        provisional = tx.one("SELECT count(*) AS n FROM service_request WHERE deadline_provisional "
                             f"AND state NOT IN {store.sql_states(RESOLUTION_DONE)}")
        return rows, states, provisional

    def fill(self, families, found):
        rows, states, provisional = found
        for row in rows:
            labels = [row["region"], row["level"], row["period"]]
            for figure in ASSESSMENT_GAUGES:
                if row[figure] is not None:
                    families[figure].add_metric(labels, row[figure])
        for row in states:
            families["state"].add_metric([row["state"]], row["n"])
        families["provisional"].add_metric([], provisional["n"])


def AssessmentGauges():
    """The dependency that reports :class:`AssessmentCollector` while the service runs."""
    return ScrapeTimeGauges(AssessmentCollector)
