"""Who may change what in a profile, free of I/O.

Two things in a profile are not everybody's to change, whatever field list
the caller is allowed:

- tiers (梯度培育 awards) are given by their issuing authority
  (:data:`schemas.TIER_AWARDERS`), and a certificate carries the level of the
  authority that issued it;
- figures of a year before the last completed one are history: contract
  dates are judged by the size class they give (``size_class_as_of``), so
  only the administrators of the enterprise's region may correct them, and
  they must say why.

``actor`` is the caller as the gateway passes it (``role``, ``scope``,
``subject``); internal callers that pass none are trusted.
"""
from chassis.errors import Forbidden, ValidationFailed
from services.enterprises import domain, schemas


def _record_key(record):
    return (record["tier"], str(record["certificate_no"]))


def _record_value(record):
    return (record["level"], str(record["awarded_on"]), str(record["expires_on"]))


def touched_awards(before, after):
    """The award records added, removed or changed between two lists, as they are after
    (or were, when removed): ``[(record, kept)]``."""
    old = {_record_key(r): r for r in before}
    new = {_record_key(r): r for r in after}
    touched = []
    for key in sorted(old.keys() | new.keys()):
        if key in old and key in new and _record_value(old[key]) == _record_value(new[key]):
            continue
        touched.append((new[key], True) if key in new else (old[key], False))
    return touched


def award_problems(role, before, after):
    """Why ``role`` may not turn the awards ``before`` into ``after``: a list of problems."""
    problems = []
    for record, kept in touched_awards(before, after):
        tier, awarders = record["tier"], schemas.TIER_AWARDERS[record["tier"]]
        if role not in awarders:
            problems.append(f"{tier} is awarded by {' or '.join(sorted(awarders))}, "
                            f"not by a {role} (certificate {record['certificate_no']})")
        elif kept and record["level"] != awarders[role]:
            problems.append(f"a {tier} certificate awarded by a {role} has level {awarders[role]}, "
                            f"not {record['level']} (certificate {record['certificate_no']})")
    return problems


def check_awards(actor, before, after):
    """``Forbidden`` naming each award the actor may not give, change or withdraw."""
    if actor is None:
        return
    problems = award_problems(actor["role"], before, after)
    if problems:
        raise Forbidden("tiers are awarded by their issuing authority", {"tiers": problems})


def figures_year_touched(stored, change):
    """The figures year a change writes, or None when it writes no figures."""
    if "figures_year" not in change and not any(name in change for name in domain.FIGURE_FIELDS):
        return None
    return change.get("figures_year", domain.latest_year(stored["figures"]))


def check_figures_year(actor, stored, change, on):
    """The last completed year and the current one are the enterprise's to state; older years
    only its region's administrators correct, with a reason."""
    year = figures_year_touched(stored, change)
    if actor is None or year is None or year >= on.year - 1:
        return
    if actor["role"] not in schemas.HISTORY_EDITORS:
        raise Forbidden(f"figures for {year} are history: only the administrators of the "
                        f"enterprise's region may change them",
                        {"figures_year": [f"you may state {on.year - 1} and {on.year}"]})
    if not change.get("reason"):
        raise ValidationFailed(f"changing the figures for {year} needs a reason",
                               {"reason": [f"required to change figures for {year}"]})
