"""Complaints about payments owed to an SME (拖欠中小企业账款投诉).

Under the 保障中小企业款项支付条例, a government body (机关) or public
institution (事业单位) buying goods, works or services from an SME pays within
30 days of delivery; a contract may set another term, but never longer than
60 days.  A large enterprise (大型企业) pays within 60 days of delivery unless
the contract sets a term.  Days are calendar days counted from the delivery
date (the day of delivery itself not included).

Such complaints go to the rights-protection service area (权益保护).
"""
from dataclasses import dataclass
from datetime import timedelta

GOVERNMENT, PUBLIC_INSTITUTION, LARGE_ENTERPRISE = "government", "public_institution", "large_enterprise"
DEBTOR_TYPES = (GOVERNMENT, PUBLIC_INSTITUTION, LARGE_ENTERPRISE)
STATUTORY_DAYS = {GOVERNMENT: 30, PUBLIC_INSTITUTION: 30, LARGE_ENTERPRISE: 60}
PUBLIC_PAYERS = frozenset({GOVERNMENT, PUBLIC_INSTITUTION})
PUBLIC_MAX_AGREED_DAYS = 60
SERVICE_AREA = "rights"

STATUTORY, AGREED, AGREED_CAPPED = "statutory", "agreed", "agreed_capped"


@dataclass(frozen=True)
class PaymentTerm:
    """How many days the debtor had to pay, and on what ground."""

    days: int
    basis: str  # statutory | agreed | agreed_capped


def payment_term(debtor_type, agreed_days=None):
    """The payment term that applies to a debtor of ``debtor_type``.

    A contract's own term applies where the rules allow it; a public payer's
    agreed term longer than 60 days is cut to the 60-day maximum.
    """
    if debtor_type not in STATUTORY_DAYS:
        raise ValueError(f"unknown debtor type {debtor_type!r}")
    if agreed_days is None:
        return PaymentTerm(STATUTORY_DAYS[debtor_type], STATUTORY)
    if debtor_type in PUBLIC_PAYERS and agreed_days > PUBLIC_MAX_AGREED_DAYS:
        return PaymentTerm(PUBLIC_MAX_AGREED_DAYS, AGREED_CAPPED)
    return PaymentTerm(agreed_days, AGREED)


def assess(arrears, today):
    """The computed facts of an arrears complaint: due date, term, whether overdue.

    ``arrears`` holds ``debtor_type``, ``delivery_date`` (a date) and
    optionally ``agreed_days``; ``today`` is the day in China.
    """
    term = payment_term(arrears["debtor_type"], arrears.get("agreed_days"))
    due = arrears["delivery_date"] + timedelta(days=term.days)
    late = (today - due).days
    return {
        "payment_term_days": term.days,
        "payment_term_basis": term.basis,
        "payment_due_date": due,
        "overdue": late > 0,
        "days_overdue": max(late, 0),
    }
