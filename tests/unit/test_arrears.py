"""Payment terms and who may complain under 保障中小企业款项支付条例 (2020; 2025 revision from 2025-06-01)."""
import dataclasses
import json
from datetime import date

import pytest
from marshmallow import ValidationError

from services.requests import arrears
from services.requests.deadlines import WorkingDayCalendar
from services.requests.schemas import RequestSubmission

CALENDAR = WorkingDayCalendar()
GOVERNMENT_USCC = "11100000000013127D"
INSTITUTION_USCC = "124403004557551528"
ENTERPRISE_USCC = "91110000600037341L"


def claim(debtor_type="government", contract="2026-08-01", delivered="2026-09-01", **extra):
    return {"debtor_type": debtor_type, "contract_date": date.fromisoformat(contract),
            "delivery_date": date.fromisoformat(delivered), **extra}


def facts(today=date(2026, 12, 31), **kwargs):
    return arrears.assess(claim(**kwargs), today, CALENDAR)


# -- 1. a term ending on a rest day or holiday (民法典 第二百零三条) --------------------------

@pytest.mark.parametrize("debtor_type, contract, delivered, nominal, due", [
    # the worked examples: government +30 days lands on 国庆 2026-10-01 → 10-08
    ("government", "2026-08-01", "2026-09-01", date(2026, 10, 1), date(2026, 10, 8)),
    # government +30 lands on Saturday 2026-01-31 → Monday 02-02
    ("government", "2025-12-01", "2026-01-01", date(2026, 1, 31), date(2026, 2, 2)),
    # large enterprise +60 lands on Saturday 2026-05-30 → Monday 06-01
    ("large_enterprise", "2026-03-01", "2026-03-31", date(2026, 5, 30), date(2026, 6, 1)),
    # Saturday 2026-02-14 is a make-up working day (春节调休): the term ends that day
    ("public_institution", "2026-01-01", "2026-01-15", date(2026, 2, 14), date(2026, 2, 14)),
    # an ordinary Wednesday stays
    ("government", "2026-05-01", "2026-06-01", date(2026, 7, 1), date(2026, 7, 1)),
])
def test_term_ending_on_a_rest_day_or_holiday_ends_on_the_next_working_day(
        debtor_type, contract, delivered, nominal, due):
    answer = facts(debtor_type=debtor_type, contract=contract, delivered=delivered)
    assert (answer["term_end_nominal"], answer["payment_due_date"], answer["due_date_provisional"]) == (
        nominal, due, False)


@pytest.mark.parametrize("today, overdue, late", [
    (date(2026, 10, 2), False, 0),     # the 30th day was 10-01, a holiday: not overdue yet
    (date(2026, 10, 8), False, 0),
    (date(2026, 10, 9), True, 1),
])
def test_government_payer_delivered_2026_09_01_is_due_2026_10_08(today, overdue, late):
    answer = facts(today=today)
    assert (answer["payment_due_date"], answer["overdue"], answer["days_overdue"]) == (
        date(2026, 10, 8), overdue, late)
    assert answer["notes"][-1] == ("2026-10-01 is a rest day or holiday: the term ends on the next working day, "
                                   "2026-10-08 (民法典 第二百零三条)")


def test_due_date_in_a_year_without_a_holiday_schedule_is_provisional():
    """2026-12-02 + 30 days = 2027-01-01, 元旦 under the 2024 holiday rules; 2027's schedule is not loaded."""
    answer = facts(delivered="2026-12-02", contract="2026-11-01")
    assert (answer["payment_due_date"], answer["due_date_provisional"]) == (date(2027, 1, 4), True)


# -- 2. inspection and acceptance (第十条) -------------------------------------------------------

@pytest.mark.parametrize("extra, start, basis, due", [
    # accepted on 09-10: +30 = Saturday 10-10, a make-up working day
    ({"accepted_on": date(2026, 9, 10)}, date(2026, 9, 10), "acceptance", date(2026, 10, 10)),
    # accepted within the 15-day inspection period
    ({"accepted_on": date(2026, 9, 10), "inspection_days": 15}, date(2026, 9, 10), "acceptance",
     date(2026, 10, 10)),
    # accepted on the period's last day, 09-16: still in time
    ({"accepted_on": date(2026, 9, 16), "inspection_days": 15}, date(2026, 9, 16), "acceptance",
     date(2026, 10, 16)),
    # not accepted: from the end of the inspection period, 09-16
    ({"inspection_days": 15}, date(2026, 9, 16), "inspection_period_end", date(2026, 10, 16)),
    # accepted late, on 09-30: still from the end of the period the payer let run out
    ({"accepted_on": date(2026, 9, 30), "inspection_days": 15}, date(2026, 9, 16), "inspection_period_end",
     date(2026, 10, 16)),
    # a 5-day period ends on Sunday 09-06, so on Monday 09-07; +30 = 10-07 (国庆) → 10-08
    ({"inspection_days": 5}, date(2026, 9, 7), "inspection_period_end", date(2026, 10, 8)),
])
def test_term_runs_from_acceptance_or_from_the_end_of_the_agreed_inspection_period(extra, start, basis, due):
    answer = facts(**extra)
    assert (answer["term_starts_on"], answer["term_start_basis"], answer["payment_due_date"],
            answer["due_date_provisional"]) == (start, basis, due, False)


def test_inspection_period_without_acceptance_says_the_end_of_the_period_was_assumed():
    assert facts(inspection_days=15)["notes"] == [
        "no accepted_on given: the term is taken to run from the end of the agreed inspection period, "
        "2026-09-16, as if the payer had not inspected in time (第十条)"]
    assert facts(inspection_days=15, accepted_on=date(2026, 9, 30))["notes"] == [
        "accepted on 2026-09-30, after the agreed inspection period ended on 2026-09-16: the term runs from "
        "the end of that period (第十条)"]


def test_without_acceptance_or_inspection_the_answer_says_it_assumed_delivery():
    answer = facts(delivered="2026-06-01", contract="2026-05-01")
    assert (answer["term_starts_on"], answer["term_start_basis"]) == (date(2026, 6, 1), "delivery")
    assert answer["notes"] == ["neither accepted_on nor inspection_days given: the term is taken to run from "
                               "delivery, 2026-06-01"]


# -- 3. settlement (第九条第三款) ------------------------------------------------------------------

def test_settlement_term_runs_from_the_day_the_amount_is_confirmed():
    answer = facts(delivered="2026-06-01", contract="2026-05-01", settlement_confirmed_on=date(2026, 7, 20))
    assert (answer["term_starts_on"], answer["term_start_basis"], answer["payment_due_date"], answer["notes"],
            answer["due_date_provisional"]) == (date(2026, 7, 20), "settlement_confirmed", date(2026, 8, 19), [], False)


# -- 4. the rules in force on the contract date ----------------------------------------------------

@pytest.mark.parametrize("debtor_type, contract, agreed, term", [
    ("large_enterprise", date(2025, 6, 1), None, arrears.PaymentTerm(60, "statutory", "2025")),
    ("large_enterprise", date(2025, 5, 31), None, arrears.PaymentTerm(None, "no_statutory_term", "2020")),
    ("large_enterprise", date(2025, 5, 31), 45, arrears.PaymentTerm(45, "agreed", "2020")),
    ("large_enterprise", date(2026, 1, 5), 90, arrears.PaymentTerm(90, "agreed", "2025")),
    ("large_enterprise", date(2026, 1, 5), 20, arrears.PaymentTerm(20, "agreed", "2025")),
    ("government", date(2026, 1, 5), None, arrears.PaymentTerm(30, "statutory", "2025")),
    ("public_institution", date(2026, 1, 5), None, arrears.PaymentTerm(30, "statutory", "2025")),
    ("government", date(2026, 1, 5), 45, arrears.PaymentTerm(45, "agreed", "2025")),
    ("public_institution", date(2026, 1, 5), 60, arrears.PaymentTerm(60, "agreed", "2025")),
    ("government", date(2026, 1, 5), 90, arrears.PaymentTerm(60, "agreed_capped", "2025")),  # at most 60 days
    ("government", date(2020, 9, 1), None, arrears.PaymentTerm(30, "statutory", "2020")),
    ("public_institution", date(2021, 3, 1), None, arrears.PaymentTerm(30, "statutory", "2020")),
    ("government", date(2023, 4, 1), 90, arrears.PaymentTerm(60, "agreed_capped", "2020")),
    ("government", date(2020, 8, 31), None, arrears.PaymentTerm(None, "no_statutory_term", None)),
    ("government", date(2020, 8, 31), 90, arrears.PaymentTerm(90, "agreed", None)),
])
def test_payment_term_is_the_one_the_rules_in_force_on_the_contract_date_give(debtor_type, contract, agreed, term):
    assert arrears.payment_term(debtor_type, contract, agreed) == term


def test_large_enterprise_contract_before_2025_06_01_without_agreed_term_has_no_statutory_term():
    """No 60 days are invented for a contract of 2025-05-31: no due date, and the answer says why."""
    answer = facts(debtor_type="large_enterprise", contract="2025-05-31", delivered="2025-07-01")
    assert {key: answer[key] for key in ("payment_rules", "payment_term_days", "payment_term_basis",
                                         "payment_due_date", "overdue", "days_overdue")} == {
        "payment_rules": "2020", "payment_term_days": None, "payment_term_basis": "no_statutory_term",
        "payment_due_date": None, "overdue": None, "days_overdue": None}
    assert answer["notes"][-1] == (
        "the contract was made on 2025-05-31, before the 2025 revision (in force 2025-06-01) set a 60-day "
        "term for 大型企业, and agrees no payment term: no statutory term applies and no due date can be given")


def test_contract_before_the_regulation_without_agreed_term_has_no_statutory_term():
    answer = facts(contract="2020-08-31", delivered="2020-09-15")
    assert (answer["payment_term_days"], answer["payment_due_date"]) == (None, None)
    assert answer["notes"][-1] == (
        "the contract was made on 2020-08-31, before 保障中小企业款项支付条例 came into force on 2020-09-01, "
        "and agrees no payment term: no statutory term applies and no due date can be given")


def test_unknown_debtor_type_is_refused():
    with pytest.raises(ValueError):
        arrears.payment_term("individual", date(2026, 1, 1))


# -- 5. who may complain (第三条) -------------------------------------------------------------------

def size(size_class, year=2025, reason=None):
    return {"size_class": size_class, "figures_year": year, "reason": reason}


CONTRACT = claim(debtor_type="large_enterprise", contract="2026-03-01", delivered="2026-03-31")


@pytest.mark.parametrize("complainant, debtor, problems", [
    (size("small"), size("large"), {}),
    (size("micro"), None, {}),                               # a debtor not on record is taken as stated
    (size("medium"), size(None, reason="no figures on file for 2025"), {}),
    (None, size("large"), {"contract_date": [
        "the complainant is not in the SME database, so whether it was an SME on 2026-03-01 is unknown"]}),
    (size("large"), size("large"), {"contract_date": [
        "a complaint is taken only from an SME on the contract date, 2026-03-01: it was a large enterprise "
        "(2025 figures)"]}),
    (size(None, reason="no figures on file for 2025, the year (上一年度) whose figures classify the "
                       "enterprise on 2026-03-01"), None, {"contract_date": [
        "a complaint is taken only from an SME on the contract date, 2026-03-01: no figures on file for 2025, "
        "the year (上一年度) whose figures classify the enterprise on 2026-03-01"]}),
    (size("small"), size("small"), {"debtor_type": [
        "the debtor is on record as a small enterprise on 2026-03-01 (2025 figures), not a large enterprise"]}),
])
def test_complaint_is_taken_only_from_an_sme_on_the_contract_date_against_a_debtor_not_on_record_as_an_sme(
        complainant, debtor, problems):
    assert arrears.complaint_problems(CONTRACT, complainant, debtor) == problems


@pytest.mark.parametrize("debtor_type", ["government", "public_institution"])
def test_public_debtors_are_not_checked_against_the_sme_database(debtor_type):
    assert arrears.complaint_problems(claim(debtor_type=debtor_type), size("small"), size("small")) == {}


def test_a_large_enterprise_debtor_named_in_a_request_body_is_checked_against_the_sme_database():
    named = claim(debtor_type=json.loads('"large_enterprise"'), contract="2026-03-01", delivered="2026-03-31")
    assert list(arrears.complaint_problems(named, size("small"), size("micro"))) == ["debtor_type"]


def test_each_version_of_the_regulation_is_a_value_that_cannot_be_altered():
    with pytest.raises(dataclasses.FrozenInstanceError):
        arrears.RULES[0].in_force_from = date(2020, 1, 1)


def complaint(**arrears_overrides):
    body = {"debtor_uscc": GOVERNMENT_USCC, "debtor_type": "government", "amount": 125000.5,
            "contract_date": "2026-06-01", "delivery_date": "2026-07-01"}
    body.update(arrears_overrides)
    return {"title": "货款拖欠", "description": "区政府采购款逾期未付", "region_code": "320102",
            "arrears": body}


@pytest.mark.parametrize("debtor_type, debtor_uscc, message", [
    ("government", ENTERPRISE_USCC, "a government debtor (机关) has a credit code starting 11 (机关); "
                                    "91110000600037341L starts 91 (企业)"),
    ("public_institution", GOVERNMENT_USCC, "a public_institution debtor (事业单位) has a credit code starting 12 "
                                            "(事业单位); 11100000000013127D starts 11 (机关)"),
    ("large_enterprise", INSTITUTION_USCC, "a large_enterprise debtor (大型企业) has a credit code starting 91 "
                                           "(企业); 124403004557551528 starts 12 (事业单位)"),
    ("large_enterprise", "92110000MA00A0001Y", "a large_enterprise debtor (大型企业) has a credit code starting "
                                               "91 (企业); 92110000MA00A0001Y starts 92 (个体工商户)"),
])
def test_debtor_type_must_agree_with_the_registration_authority_and_kind_of_the_debtors_uscc(
        debtor_type, debtor_uscc, message):
    with pytest.raises(ValidationError) as raised:
        RequestSubmission().load(complaint(debtor_type=debtor_type, debtor_uscc=debtor_uscc))
    assert raised.value.messages == {"arrears": {"debtor_type": [message]}}


@pytest.mark.parametrize("debtor_type, debtor_uscc", [
    ("government", GOVERNMENT_USCC), ("public_institution", INSTITUTION_USCC),
    ("large_enterprise", ENTERPRISE_USCC),
])
def test_debtor_type_agreeing_with_the_uscc_is_accepted(debtor_type, debtor_uscc):
    loaded = RequestSubmission().load(complaint(debtor_type=debtor_type, debtor_uscc=debtor_uscc))
    assert loaded["arrears"]["debtor_type"] == debtor_type


# -- the claim as submitted -------------------------------------------------------------------------

def test_arrears_complaint_goes_to_the_rights_area_without_naming_it():
    assert RequestSubmission().load(complaint())["arrears"]["amount"] == pytest.approx(125000.5)


def test_claim_may_carry_acceptance_inspection_and_settlement():
    loaded = RequestSubmission().load(complaint(accepted_on="2026-07-10", inspection_days=15,
                                                settlement_confirmed_on="2026-07-20"))["arrears"]
    assert (loaded["accepted_on"], loaded["inspection_days"], loaded["settlement_confirmed_on"]) == (
        date(2026, 7, 10), 15, date(2026, 7, 20))


@pytest.mark.parametrize("overrides, field", [
    ({"debtor_type": "individual"}, "debtor_type"),
    ({"amount": 0}, "amount"),
    ({"debtor_uscc": "91320102MA1XB0003X"}, "debtor_uscc"),
    ({"delivery_date": "2026-05-01"}, "delivery_date"),
    ({"agreed_days": 0}, "agreed_days"),
    ({"accepted_on": "2026-06-30"}, "accepted_on"),                  # before delivery
    ({"inspection_days": 0}, "inspection_days"),
    ({"settlement_confirmed_on": "2026-05-31"}, "settlement_confirmed_on"),  # before the contract
])
def test_invalid_arrears_claims_name_the_field(overrides, field):
    with pytest.raises(ValidationError) as raised:
        RequestSubmission().load(complaint(**overrides))
    assert field in raised.value.messages["arrears"]


def test_arrears_complaint_cannot_be_filed_under_another_area():
    with pytest.raises(ValidationError) as raised:
        RequestSubmission().load({**complaint(), "service_area": "policy"})
    assert "service_area" in raised.value.messages


def test_a_payment_term_is_a_value_that_cannot_be_altered():
    term = arrears.payment_term("government", date(2026, 6, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        term.days = 90
    assert {term: "the same term"}[arrears.payment_term("government", date(2026, 6, 1))] == "the same term"
