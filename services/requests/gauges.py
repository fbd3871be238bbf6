"""Prometheus figures of the requests service.

Counters move as things happen (deadlines missed, escalations, provisional
deadlines computed).  The assessment gauges (评估问效, per region and for the
current month and year), requests by state and level, open requests past
their deadline, and which years have a holiday schedule are computed from the
database when Prometheus scrapes ``/metrics``, so they are exact at the time
of the scrape; every replica reports the same values.
"""
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from chassis.metrics import ScrapeTimeCollector, ScrapeTimeGauges
from services.agencies.schemas import LEVELS as AGENCY_LEVELS
from services.requests import assessment, clock, deadlines, lifecycle, store
from services.requests.deadlines import LIBRARY_YEARS

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


# The level of the agency holding a request; ``none`` while it is not routed.
_LEVEL = "coalesce(agency_level, 'none')"


class AssessmentCollector(ScrapeTimeCollector):
    """The assessment gauges of the current month and year, requests by state and level, open
    requests past their deadline, and whether this year and next have a holiday schedule."""

    def families(self):
        families = {figure: GaugeMetricFamily(name, text, labels=LABELS)
                    for figure, (name, text) in ASSESSMENT_GAUGES.items()}
        families["state"] = GaugeMetricFamily(
            "onenet_requests_by_state", "Requests in each state, by the level of the agency holding them.",
            labels=["state", "level"])
        families["overdue"] = GaugeMetricFamily(
            "onenet_requests_overdue",
            "Open requests past their deadline (kind accept or resolve), by the holding agency's level.",
            labels=["kind", "level"])
        families["holidays"] = GaugeMetricFamily(
            "onenet_holiday_schedule_known",
            "1 when the working-day calendar has the holiday schedule of the year (this year and next), "
            "from the calendar library or a loaded schedule; else 0.", labels=["year", "which"])
        families["provisional"] = GaugeMetricFamily(
            "onenet_requests_provisional_deadlines",
            "Open requests whose deadlines await a year's holiday schedule.")
        return families

    def read(self, tx):
        now, _ = clock.read(tx, clock.control_enabled(self.config))
        rows = [row for period in assessment.current_periods(deadlines.local_day(now))
                for row in assessment.for_all_regions(tx, period)]
        states = tx.all(f"SELECT state, {_LEVEL} AS level, count(*) AS n FROM service_request GROUP BY 1, 2")
        provisional = tx.one("SELECT count(*) AS n FROM service_request WHERE deadline_provisional "
                             f"AND state NOT IN {store.sql_states(RESOLUTION_DONE)}")
        today = deadlines.local_day(now)
        awaiting, handled = store.sql_states(lifecycle.AWAITING_ACCEPTANCE), store.sql_states(lifecycle.BEING_HANDLED)
        overdue = tx.all(
            f"SELECT CASE WHEN state IN {awaiting} THEN 'accept' ELSE 'resolve' END AS kind, "
            f"{_LEVEL} AS level, count(*) AS n FROM service_request "
            f"WHERE (state IN {awaiting} AND accept_by < %(today)s) "
            f"OR (state IN {handled} AND resolve_by < %(today)s) GROUP BY 1, 2",
            {"today": today})
        years = (today.year, today.year + 1)
        loaded = {row["year"] for row in tx.all(
            "SELECT year FROM holiday_schedule_year WHERE year = ANY(%s)", (list(years),))}
        known = {year: year in loaded or year in LIBRARY_YEARS for year in years}
        return rows, states, provisional, overdue, known

    def fill(self, families, found):
        rows, states, provisional, overdue, known = found
        for row in rows:
            labels = [row["region"], row["level"], row["period"]]
            for figure in ASSESSMENT_GAUGES:
                if row[figure] is not None:
                    families[figure].add_metric(labels, row[figure])
        for row in states:
            families["state"].add_metric([row["state"], row["level"]], row["n"])
        # Every kind and level has a series (0 when none is overdue), so growth from zero shows.
        counts = {(kind, level): 0 for kind in ("accept", "resolve") for level in (*AGENCY_LEVELS, "none")}
        counts.update({(row["kind"], row["level"]): row["n"] for row in overdue})
        for (kind, level), n in counts.items():
            families["overdue"].add_metric([kind, level], n)
        for (year, is_known), which in zip(sorted(known.items()), ("current", "next")):
            families["holidays"].add_metric([str(year), which], 1 if is_known else 0)
        families["provisional"].add_metric([], provisional["n"])


def AssessmentGauges():
    """The dependency that reports :class:`AssessmentCollector` while the service runs."""
    return ScrapeTimeGauges(AssessmentCollector)
