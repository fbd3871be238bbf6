"""绩效考评: each staff member's figures for a period, derived from the request history only.

Staff are known by the subject of their token, which every step a staff member
takes records as its ``actor``. For a staff member of an agency, over the steps
they took *at that agency* during a period (China time):

* ``accepted`` — acceptances (受理); ``accepted_on_time`` — those with no
  acceptance deadline missed at that agency since the request last came to it;
* ``resolved`` — resolutions (办结; a request reopened and resolved again counts
  twice, as each resolution is rated on its own); ``resolved_on_time`` — those
  with no resolution deadline missed at that agency since the resolution clock
  last started (the request's arrival there, or its reopening);
* ``ratings``, ``average_satisfaction``, ``not_solved_pct`` — the enterprise's
  ratings of those resolutions (a rating belongs to the latest resolution
  before it), and the share saying "not solved";
* ``revisit_coverage_pct`` — of those resolutions, the share followed by a
  rating or a revisit call (回访) before the request was resolved again;
* ``escalations_caused`` — escalations (提级) during the period of requests
  the staff member escalated by hand, or had accepted and still held when the
  scheduler or an administrator escalated them.

The denominators are the staff member's own acts: a deadline nobody acted on
is the agency's (see :mod:`assessment`), not any one person's. With a cut-off
only what was recorded by then counts.
"""
from dataclasses import dataclass, field

from services.requests import deadlines
from services.requests.assessment import percent

STAFF_ROLE = "agency_staff"
REASSIGNING = frozenset({"assign", "transfer", "return", "escalate"})


@dataclass(frozen=True)
class Step:
    """One entry of a request's history, as far as performance needs it."""

    at: object
    action: str
    actor: str
    actor_role: str
    from_agency_id: int | None
    to_agency_id: int | None


@dataclass(frozen=True)
class Breach:
    kind: str  # accept | resolve
    agency_id: int
    detected_at: object


@dataclass(frozen=True)
class Rating:
    at: object
    score: int
    solved: bool


@dataclass(frozen=True)
class Case:
    """One request's record: its steps in order, breaches, ratings and revisit call times."""

    steps: tuple
    breaches: tuple = ()
    ratings: tuple = ()
    revisit_calls: tuple = ()


@dataclass
class Tally:
    accepted: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_revisited: int = 0
    ratings: int = 0
    score_sum: int = 0
    not_solved: int = 0
    escalations_caused: int = 0

    def figures(self, subject):
        return {
            "subject": subject,
            "accepted": self.accepted,
            "accepted_on_time": self.accepted_on_time,
            "accepted_on_time_pct": percent(self.accepted_on_time, self.accepted),
            "resolved": self.resolved,
            "resolved_on_time": self.resolved_on_time,
            "resolved_on_time_pct": percent(self.resolved_on_time, self.resolved),
            "ratings": self.ratings,
            "average_satisfaction": round(self.score_sum / self.ratings, 2) if self.ratings else None,
            "not_solved_pct": percent(self.not_solved, self.ratings),
            "revisit_coverage_pct": percent(self.resolved_revisited, self.resolved),
            "escalations_caused": self.escalations_caused,
        }


@dataclass
class _Holding:
    """Where a request stands while its history is replayed."""

    stint_start: object = None   # when it last came to its agency (the acceptance clock)
    clock_start: object = None   # when its resolution clock last started
    acceptor: str | None = None  # the staff member who accepted it at its agency
    resolutions: list = field(default_factory=list)  # (at, subject) of counted resolutions


def staff_figures(cases, agency_id, subjects, period, cutoff=None):
    """``{subject: figures}`` for each of ``subjects`` at agency ``agency_id`` in ``period``
    (an :class:`assessment.Period`), from ``cases`` (:class:`Case`)."""
    tallies = {subject: Tally() for subject in subjects}
    for case in cases:
        _replay(case, agency_id, tallies, period, cutoff)
    return {subject: tally.figures(subject) for subject, tally in tallies.items()}


def _recorded(at, cutoff):
    return cutoff is None or at <= cutoff


def _in_period(at, period):
    return period.start <= deadlines.local_day(at) < period.end


def _missed(case, kind, agency_id, since, until, cutoff):
    return any(breach.kind == kind and breach.agency_id == agency_id and since <= breach.detected_at <= until
               and _recorded(breach.detected_at, cutoff) for breach in case.breaches)


def _replay(case, agency_id, tallies, period, cutoff):
    holding = _Holding()
    steps = [step for step in case.steps if _recorded(step.at, cutoff)]
    for step in steps:
        by_staff = step.actor_role == STAFF_ROLE
        ours = step.from_agency_id == agency_id and _in_period(step.at, period)
        if step.action in REASSIGNING:
            if step.action == "escalate" and ours:
                culprit = step.actor if by_staff else holding.acceptor
                if culprit in tallies:
                    tallies[culprit].escalations_caused += 1
            holding.stint_start = holding.clock_start = step.at
            holding.acceptor = None
        elif step.action == "accept":
            holding.acceptor = step.actor if by_staff else None
            if ours and by_staff and step.actor in tallies:
                tally = tallies[step.actor]
                tally.accepted += 1
                if not _missed(case, "accept", agency_id, holding.stint_start, step.at, cutoff):
                    tally.accepted_on_time += 1
        elif step.action == "reopen":
            holding.clock_start = step.at
        elif step.action == "resolve":
            if ours and by_staff and step.actor in tallies:
                tally = tallies[step.actor]
                tally.resolved += 1
                if not _missed(case, "resolve", agency_id, holding.clock_start, step.at, cutoff):
                    tally.resolved_on_time += 1
                holding.resolutions.append((step.at, step.actor))
    _rate_resolutions(case, steps, holding.resolutions, tallies, cutoff)


def _rate_resolutions(case, steps, counted, tallies, cutoff):
    """Ratings and revisit calls, each to the latest resolution before it."""
    every_resolution = [step.at for step in steps if step.action == "resolve"]
    for at, subject in counted:
        later = [moment for moment in every_resolution if moment > at]
        until = min(later) if later else None

        def follows(moment):
            return moment >= at and (until is None or moment < until) and _recorded(moment, cutoff)

        ratings = [rating for rating in case.ratings if follows(rating.at)]
        tally = tallies[subject]
        tally.ratings += len(ratings)
        tally.score_sum += sum(rating.score for rating in ratings)
        tally.not_solved += sum(1 for rating in ratings if not rating.solved)
        if ratings or any(follows(moment) for moment in case.revisit_calls):
            tally.resolved_revisited += 1


def case_of(steps, breaches, ratings, revisit_calls):
    """A :class:`Case` from the stored rows of one request (see ``store.staff_cases``)."""
    return Case(
        steps=tuple(Step(row["at"], row["action"], row["actor"], row["actor_role"], row["from_agency_id"],
                         row["to_agency_id"]) for row in steps),
        breaches=tuple(Breach(row["kind"], row["agency_id"], row["detected_at"]) for row in breaches),
        ratings=tuple(Rating(row["rated_at"], row["score"], row["solved"]) for row in ratings),
        revisit_calls=tuple(row["called_at"] for row in revisit_calls))
