"""Complaints about payments owed to an SME (拖欠中小企业账款投诉), under 保障中小企业款项支付条例.

Which rules apply is decided by the contract date:

* from 2025-06-01, the 2025 revision, 第九条: a government body (机关) or public
  institution (事业单位) pays within 30 days; a contract may agree another term,
  but never more than 60 days.  A large enterprise (大型企业) pays within 60 days
  unless the contract agrees a term;
* from 2020-09-01 (the regulation's first version, 第八条): the same for
  government bodies and public institutions; a large enterprise pays within the
  term the contract agrees, and the regulation sets no term of its own;
* before 2020-09-01 the regulation was not in force: only an agreed term counts.

Where no term applies, the answer says so and gives no due date.

When the term starts (2025 revision; 2020: 第八条第三款 and 第九条):

* delivery of the goods, works or services (交付);
* where the contract calls for inspection or acceptance, the day it is passed,
  or the end of the agreed inspection period if the payer lets it run out
  (第十条);
* with periodic or progress settlement, the day both sides confirm the amount
  (第九条第三款).

Days are counted from the day after the start (民法典 第二百零一条); a term
whose last day is a rest day or statutory holiday ends on the next working day
(第二百零三条), by the working-day calendar of request deadlines
(:mod:`services.requests.deadlines`).  The agreed inspection period is a period
too, counted the same way.  Each answer says which start it assumed when the
claim leaves it open.

Who may complain (第三条): an SME, classified on the contract date, about a
government body, public institution or large enterprise; see
:func:`complaint_problems`.  Such complaints go to the rights-protection
service area (权益保护).
"""
from dataclasses import dataclass
from datetime import date, timedelta

from reference import credit_codes
from services.requests import deadlines
from services.requests.schemas import (  # noqa: F401  (the debtor types are the contract's)
    DEBTOR_KINDS, DEBTOR_NAMES, DEBTOR_TYPES, GOVERNMENT, LARGE_ENTERPRISE, PUBLIC_INSTITUTION,
    debtor_kind_problem)

PUBLIC_PAYERS = frozenset({GOVERNMENT, PUBLIC_INSTITUTION})
PUBLIC_MAX_AGREED_DAYS = 60
SERVICE_AREA = "rights"

SMALL_AND_MEDIUM = frozenset({"medium", "small", "micro"})

STATUTORY, AGREED, AGREED_CAPPED, NO_STATUTORY_TERM = "statutory", "agreed", "agreed_capped", "no_statutory_term"
DELIVERY, ACCEPTANCE, INSPECTION_PERIOD_END, SETTLEMENT = (
    "delivery", "acceptance", "inspection_period_end", "settlement_confirmed")


@dataclass(frozen=True)
class PaymentRules:
    """One version of the regulation: when it applies from and the terms it sets itself."""

    version: str
    in_force_from: date
    statutory_days: dict  # debtor type -> days; a type not listed has no statutory term
    article: str


RULES = (
    PaymentRules("2025", date(2025, 6, 1), {GOVERNMENT: 30, PUBLIC_INSTITUTION: 30, LARGE_ENTERPRISE: 60},
                 "第九条"),
    PaymentRules("2020", date(2020, 9, 1), {GOVERNMENT: 30, PUBLIC_INSTITUTION: 30}, "第八条"),
)


def rules_on(contract_date):
    """The version of the regulation that governs a contract made on ``contract_date``, or None."""
    return next((rules for rules in RULES if rules.in_force_from <= contract_date), None)


@dataclass(frozen=True)
class PaymentTerm:
    """How many days the debtor had to pay (None: no term applies), on what ground, under which rules."""

    days: int | None
    basis: str  # statutory | agreed | agreed_capped | no_statutory_term
    rules: str | None = None  # "2025", "2020" or None (before the regulation)


def payment_term(debtor_type, contract_date, agreed_days=None):
    """The payment term for a debtor of ``debtor_type`` under a contract made on ``contract_date``.

    The contract's own term applies where the rules allow it; a public payer's
    agreed term longer than 60 days is cut to the 60-day maximum.  Without an
    agreed term the statutory one applies, if the rules in force on the
    contract date set one: never a term the rules did not have then.
    """
    if debtor_type not in DEBTOR_TYPES:
        raise ValueError(f"unknown debtor type {debtor_type!r}")
    rules = rules_on(contract_date)
    version = rules.version if rules else None
    if agreed_days is not None:
        if rules is not None and debtor_type in PUBLIC_PAYERS and agreed_days > PUBLIC_MAX_AGREED_DAYS:
            return PaymentTerm(PUBLIC_MAX_AGREED_DAYS, AGREED_CAPPED, version)
        return PaymentTerm(agreed_days, AGREED, version)
    if rules is None or debtor_type not in rules.statutory_days:
        return PaymentTerm(None, NO_STATUTORY_TERM, version)
    return PaymentTerm(rules.statutory_days[debtor_type], STATUTORY, version)


def no_term_note(debtor_type, contract_date):
    """Why no statutory term applies to a contract without an agreed term."""
    if rules_on(contract_date) is None:
        return (f"the contract was made on {contract_date.isoformat()}, before 保障中小企业款项支付条例 came into "
                f"force on {RULES[-1].in_force_from.isoformat()}, and agrees no payment term: no statutory "
                "term applies and no due date can be given")
    return (f"the contract was made on {contract_date.isoformat()}, before the 2025 revision (in force "
            f"{RULES[0].in_force_from.isoformat()}) set a 60-day term for {DEBTOR_NAMES[debtor_type]}, and "
            "agrees no payment term: no statutory term applies and no due date can be given")


def term_start(claim, calendar):
    """``(day, basis, provisional, notes)``: the day the payment term runs from.

    ``claim`` may carry ``settlement_confirmed_on`` (第九条第三款), ``accepted_on``
    and ``inspection_days`` (第十条); without them the term runs from delivery,
    and ``notes`` says so.
    """
    delivered = claim["delivery_date"]
    if claim.get("settlement_confirmed_on"):
        return claim["settlement_confirmed_on"], SETTLEMENT, False, []
    accepted, inspection_days = claim.get("accepted_on"), claim.get("inspection_days")
    if inspection_days:
        period = deadlines.first_working_day(delivered + timedelta(days=inspection_days), calendar)
        if accepted is not None and accepted <= period.due:
            return accepted, ACCEPTANCE, False, []
        if accepted is not None:
            note = (f"accepted on {accepted.isoformat()}, after the agreed inspection period ended on "
                    f"{period.due.isoformat()}: the term runs from the end of that period (第十条)")
        else:
            note = (f"no accepted_on given: the term is taken to run from the end of the agreed inspection "
                    f"period, {period.due.isoformat()}, as if the payer had not inspected in time (第十条)")
        return period.due, INSPECTION_PERIOD_END, period.provisional, [note]
    if accepted is not None:
        return accepted, ACCEPTANCE, False, []
    return delivered, DELIVERY, False, [
        f"neither accepted_on nor inspection_days given: the term is taken to run from delivery, "
        f"{delivered.isoformat()}"]


def assess(arrears, today, calendar):
    """The computed facts of an arrears complaint: rules, term, start, due date, whether overdue.

    ``arrears`` holds ``debtor_type``, ``contract_date`` and ``delivery_date``
    (dates) and optionally ``agreed_days``, ``accepted_on``, ``inspection_days``
    and ``settlement_confirmed_on``; ``today`` is the day in China; ``calendar``
    the working-day calendar (:class:`deadlines.WorkingDayCalendar`).
    """
    term = payment_term(arrears["debtor_type"], arrears["contract_date"], arrears.get("agreed_days"))
    start, basis, provisional, notes = term_start(arrears, calendar)
    facts = {"payment_rules": term.rules, "payment_term_days": term.days, "payment_term_basis": term.basis,
             "term_starts_on": start, "term_start_basis": basis, "term_end_nominal": None,
             "payment_due_date": None, "due_date_provisional": provisional, "overdue": None,
             "days_overdue": None, "notes": notes}
    if term.days is None:
        facts["notes"] = notes + [no_term_note(arrears["debtor_type"], arrears["contract_date"])]
        return facts
    nominal = start + timedelta(days=term.days)
    due = deadlines.first_working_day(nominal, calendar)
    if due.due != nominal:
        facts["notes"] = notes + [f"{nominal.isoformat()} is a rest day or holiday: the term ends on the next "
                                  f"working day, {due.due.isoformat()} (民法典 第二百零三条)"]
    late = (today - due.due).days
    facts.update(term_end_nominal=nominal, payment_due_date=due.due,
                 due_date_provisional=provisional or due.provisional,
                 overdue=late > 0, days_overdue=max(late, 0))
    return facts


def _year(answer):
    return f"{answer['figures_year']} figures" if answer.get("figures_year") else "no figures"


def complaint_problems(claim, complainant, debtor):
    """``{field: [problem]}`` that bar the complaint (empty when it may be taken).

    ``complainant`` and ``debtor`` are the enterprises service's
    ``size_class_as_of`` answers on the contract date (None when not on record).
    Under 第三条 the size class on the contract date decides: the complainant
    must then be an SME (medium, small or micro), and a ``large_enterprise``
    debtor must not be on record as an SME.
    """
    on = claim["contract_date"].isoformat()
    problems = {}
    if complainant is None:
        problems["contract_date"] = [
            f"the complainant is not in the SME database, so whether it was an SME on {on} is unknown"]
    elif complainant.get("size_class") not in SMALL_AND_MEDIUM:
        if complainant.get("size_class"):
            why = f"it was a {complainant['size_class']} enterprise ({_year(complainant)})"
        else:
            why = complainant.get("reason") or "it has no size class"
        problems["contract_date"] = [f"a complaint is taken only from an SME on the contract date, {on}: {why}"]
    if (claim["debtor_type"] == LARGE_ENTERPRISE and debtor is not None
            and debtor.get("size_class") in SMALL_AND_MEDIUM):
        problems["debtor_type"] = [f"the debtor is on record as a {debtor['size_class']} enterprise on {on} "
                                   f"({_year(debtor)}), not a large enterprise"]
    return problems
