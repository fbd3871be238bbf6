"""Statutory payment terms for complaints about payments owed to SMEs (保障中小企业款项支付条例)."""
from datetime import date

import pytest
from marshmallow import ValidationError

from services.requests import arrears
from services.requests.schemas import RequestSubmission


@pytest.mark.parametrize("debtor_type, agreed, days, basis", [
    ("government", None, 30, "statutory"),
    ("public_institution", None, 30, "statutory"),
    ("large_enterprise", None, 60, "statutory"),
    ("government", 45, 45, "agreed"),
    ("public_institution", 60, 60, "agreed"),
    ("government", 90, 60, "agreed_capped"),       # a public payer may not agree more than 60 days
    ("large_enterprise", 90, 90, "agreed"),
    ("large_enterprise", 20, 20, "agreed"),
])
def test_payment_term_by_debtor_type_and_contract(debtor_type, agreed, days, basis):
    assert arrears.payment_term(debtor_type, agreed) == arrears.PaymentTerm(days, basis)


@pytest.mark.parametrize("debtor_type, delivered, agreed, today, due, overdue, late", [
    ("government", date(2026, 9, 1), None, date(2026, 10, 1), date(2026, 10, 1), False, 0),
    ("government", date(2026, 9, 1), None, date(2026, 10, 2), date(2026, 10, 1), True, 1),
    ("large_enterprise", date(2026, 9, 1), None, date(2026, 11, 26), date(2026, 10, 31), True, 26),
    ("large_enterprise", date(2026, 9, 1), 120, date(2026, 11, 26), date(2026, 12, 30), False, 0),
    ("public_institution", date(2026, 12, 15), None, date(2026, 12, 20), date(2027, 1, 14), False, 0),
])
def test_due_date_and_overdue_status(debtor_type, delivered, agreed, today, due, overdue, late):
    facts = arrears.assess({"debtor_type": debtor_type, "delivery_date": delivered,
                            "agreed_days": agreed}, today)
    assert (facts["payment_due_date"], facts["overdue"], facts["days_overdue"]) == (due, overdue, late)


def test_unknown_debtor_type_is_refused():
    with pytest.raises(ValueError):
        arrears.payment_term("individual")


def complaint(**arrears_overrides):
    claim = {"debtor_uscc": "11100000000013127D", "debtor_type": "government", "amount": 125000.5,
             "contract_date": "2026-06-01", "delivery_date": "2026-07-01"}
    claim.update(arrears_overrides)
    return {"title": "货款拖欠", "description": "区政府采购款逾期未付", "region_code": "320102",
            "arrears": claim}


def test_arrears_complaint_goes_to_the_rights_area_without_naming_it():
    assert RequestSubmission().load(complaint())["arrears"]["amount"] == pytest.approx(125000.5)


@pytest.mark.parametrize("overrides, field", [
    ({"debtor_type": "individual"}, "debtor_type"),
    ({"amount": 0}, "amount"),
    ({"debtor_uscc": "91320102MA1XB0003X"}, "debtor_uscc"),
    ({"delivery_date": "2026-05-01"}, "delivery_date"),
    ({"agreed_days": 0}, "agreed_days"),
])
def test_invalid_arrears_claims_name_the_field(overrides, field):
    with pytest.raises(ValidationError) as raised:
        RequestSubmission().load(complaint(**overrides))
    assert field in raised.value.messages["arrears"]


def test_arrears_complaint_cannot_be_filed_under_another_area():
    with pytest.raises(ValidationError) as raised:
        RequestSubmission().load({**complaint(), "service_area": "policy"})
    assert "service_area" in raised.value.messages
