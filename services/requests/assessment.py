"""评估问效: how each region handled the requests raised in it.

The unit of assessment is the *cohort*: the requests raised (submitted) in a
region — a county, or every county of a city or province — during a period
(a year ``2026``, a quarter ``2026-Q4`` or a month ``2026-11``, in China
time).  For a cohort:

* ``received`` — how many requests it has;
* ``accepted_on_time_pct`` — of the requests accepted or past an acceptance
  deadline, the share accepted without ever missing one (a request escalated
  because nobody accepted it in time counts as not accepted on time, for the
  region where it was raised, whoever accepted it later);
* ``resolved_on_time_pct`` — likewise for resolution deadlines;
* ``escalations`` — escalations of the cohort's requests (by the scheduler or
  by hand); ``escalations_received`` — escalations of the period's requests
  *to* agencies of the region (a county request escalated to its city agency
  counts as received by the city and its province);
* ``average_satisfaction`` — mean score of every rating given (a request
  reopened and rated again contributes both ratings);
* ``revisit_coverage_pct`` — of the resolved requests, the share with a
  rating or a revisit call (回访);
* ``resolved_not_solved_pct`` — of the ratings, the share saying the problem
  was resolved but not solved.

A percentage without a denominator is null.

With a *cut-off* the figures are those the stored history gave at that
moment: only steps, breaches, ratings and revisit calls recorded by then
count (the history is append-only, so the same cut-off always gives the
same figures). Provinces' scoring runs read them so.
"""
from chassis.periods import Period, parse_period  # noqa: F401  (the assessment's periods)
from reference import regions
from services.requests import deadlines


def current_periods(today):
    """The month and the year containing ``today`` (what the gauges show)."""
    return [parse_period(f"{today.year}-{today.month:02d}"), parse_period(str(today.year))]


def percent(part, whole):
    """``part`` of ``whole`` in %, two decimals; None without a denominator."""
    return None if not whole else round(100.0 * part / whole, 2)


def figures(row, period, region):
    """The published figures from one aggregated row (see :func:`query`)."""
    row = row or {}
    number = lambda key: int(row.get(key) or 0)  # noqa: E731
    ratings = number("ratings")
    return {
        "region": region,
        "level": regions.level_of(region),
        "period": period.name,
        "period_start": period.start,
        "period_end": period.last_day,
        "received": number("received"),
        "accepted": number("accepted"),
        "accepted_on_time": number("accepted_on_time"),
        "accepted_on_time_pct": percent(number("accepted_on_time"), number("acceptance_due")),
        "resolved": number("resolved"),
        "resolved_on_time": number("resolved_on_time"),
        "resolved_on_time_pct": percent(number("resolved_on_time"), number("resolution_due")),
        "escalations": number("escalations"),
        "escalations_received": number("escalations_received"),
        "ratings": ratings,
        "average_satisfaction": round(number("score_sum") / ratings, 2) if ratings else None,
        "revisit_coverage_pct": percent(number("resolved_revisited"), number("resolved")),
        "resolved_not_solved_pct": percent(number("not_solved"), ratings),
    }


# Province, city and county codes a region code counts towards (deduplicated:
# a city without counties is its own county-level code).
_LEVELS_OF = ("CROSS JOIN LATERAL (SELECT DISTINCT code FROM unnest(ARRAY["
              "left({col}, 2) || '0000', left({col}, 4) || '00', {col}::text]) AS code) AS g (region)")

QUERY = f"""
WITH cohort AS (
    SELECT r.id, r.region_code,
           EXISTS (SELECT 1 FROM request_history h WHERE h.request_id = r.id AND h.action = 'accept'
                   AND h.at <= %(cutoff)s) AS accepted,
           EXISTS (SELECT 1 FROM deadline_breach b WHERE b.request_id = r.id AND b.kind = 'accept'
                   AND b.detected_at <= %(cutoff)s) AS accept_late,
           EXISTS (SELECT 1 FROM request_history h WHERE h.request_id = r.id AND h.action = 'resolve'
                   AND h.at <= %(cutoff)s) AS resolved,
           EXISTS (SELECT 1 FROM deadline_breach b WHERE b.request_id = r.id AND b.kind = 'resolve'
                   AND b.detected_at <= %(cutoff)s) AS resolve_late,
           (SELECT count(*) FROM request_history h WHERE h.request_id = r.id AND h.action = 'escalate'
                   AND h.at <= %(cutoff)s) AS escalations,
           EXISTS (SELECT 1 FROM request_rating x WHERE x.request_id = r.id AND x.rated_at <= %(cutoff)s)
               OR EXISTS (SELECT 1 FROM revisit_call c WHERE c.request_id = r.id
                          AND c.called_at <= %(cutoff)s) AS revisited,
           (SELECT count(*) FROM request_rating x WHERE x.request_id = r.id
                   AND x.rated_at <= %(cutoff)s) AS ratings,
           (SELECT coalesce(sum(x.score), 0) FROM request_rating x WHERE x.request_id = r.id
                   AND x.rated_at <= %(cutoff)s) AS score_sum,
           (SELECT count(*) FROM request_rating x WHERE x.request_id = r.id AND NOT x.solved
                   AND x.rated_at <= %(cutoff)s) AS not_solved
    FROM service_request r
    WHERE r.submitted_at >= %(start)s AND r.submitted_at < %(end)s AND r.region_code LIKE %(prefix)s
      AND r.submitted_at <= %(cutoff)s
), raised AS (
    SELECT g.region,
           count(*) AS received,
           count(*) FILTER (WHERE accepted) AS accepted,
           count(*) FILTER (WHERE accepted AND NOT accept_late) AS accepted_on_time,
           count(*) FILTER (WHERE accepted OR accept_late) AS acceptance_due,
           count(*) FILTER (WHERE resolved) AS resolved,
           count(*) FILTER (WHERE resolved AND NOT resolve_late) AS resolved_on_time,
           count(*) FILTER (WHERE resolved OR resolve_late) AS resolution_due,
           sum(escalations) AS escalations,
           count(*) FILTER (WHERE resolved AND revisited) AS resolved_revisited,
           sum(ratings) AS ratings,
           sum(score_sum) AS score_sum,
           sum(not_solved) AS not_solved
    FROM cohort c {_LEVELS_OF.format(col="c.region_code")}
    GROUP BY g.region
), received AS (
    SELECT g.region, count(*) AS escalations_received
    FROM request_history h JOIN service_request r ON r.id = h.request_id
    {_LEVELS_OF.format(col="h.to_agency_region")}
    WHERE h.action = 'escalate' AND h.to_agency_region IS NOT NULL AND h.to_agency_region <> '000000'
      AND h.at <= %(cutoff)s
      AND r.submitted_at >= %(start)s AND r.submitted_at < %(end)s
      AND h.to_agency_region LIKE %(prefix)s
    GROUP BY g.region
)
SELECT raised.*, coalesce(raised.region, received.region) AS region,
       coalesce(received.escalations_received, 0) AS escalations_received
FROM raised FULL JOIN received ON received.region = raised.region
"""


def query(tx, period, prefix="", cutoff=None):
    """Aggregated rows per region code for ``period``, for regions under ``prefix``, from what
    was recorded by ``cutoff`` (None: everything)."""
    return tx.all(QUERY, {"start": deadlines.moment_of(period.start),
                          "end": deadlines.moment_of(period.end), "prefix": prefix + "%",
                          "cutoff": cutoff or "infinity"})


def for_region(tx, region, period):
    """The figures of one region (province, city or county code) for ``period``."""
    rows = query(tx, period, regions.prefix(region))
    row = next((row for row in rows if row["region"] == region), None)
    return figures(row, period, region)


def for_all_regions(tx, period, prefix="", cutoff=None):
    """The figures of every region under ``prefix`` with requests in ``period``, as recorded by
    ``cutoff`` (None: now)."""
    return [figures(row, period, row["region"]) for row in query(tx, period, prefix, cutoff)]
