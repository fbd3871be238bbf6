"""Through the gateway: arrears complaints under 保障中小企业款项支付条例, credit codes written
with blanks or dashes, replaced division codes, financial firms, and figures as of a date."""
from tests.stack import register_over_http

COUNTY = "330106"  # 杭州市西湖区
GOVERNMENT_DEBTOR = "11100000000013127D"


def spaced(uscc):
    """A code as people write it: ``9133 0106...`` with a blank after the fourth character."""
    return f"{uscc[:4]} {uscc[4:]}"


def dashed(uscc):
    return f"{uscc[:8]}-{uscc[8:]}"


def complain(api, token, uscc, **arrears):
    claim = {"debtor_uscc": GOVERNMENT_DEBTOR, "debtor_type": "government", "amount": 50000,
             "contract_date": "2026-08-01", "delivery_date": "2026-09-01", **arrears}
    return api.post("/api/v1/requests", token("enterprise", uscc), json={
        "title": "货款拖欠", "description": "交付后逾期未付款", "region_code": COUNTY, "arrears": claim})


def sme(api, token, new_uscc, **fields):
    """A small manufacturer in 西湖区 with its 2025 figures: an SME on a 2026 contract date."""
    uscc = new_uscc(COUNTY)
    register_over_http(api, token, uscc, region=COUNTY, **{"figures_year": 2025, **fields})
    return uscc


# -- credit codes (GB 32100) ------------------------------------------------------------------------

def test_uscc_written_with_blanks_or_dashes_registers_once_in_its_compact_form(api, token, new_uscc):
    uscc = new_uscc(COUNTY)
    created = api.post("/api/v1/enterprises", token("county_admin", COUNTY), json={
        "uscc": spaced(uscc).lower(), "name": "杭州西湖示例科技有限公司", "region_code": COUNTY,
        "industry_code": "C39", "employees": 40, "revenue": 1200})
    assert created.status_code == 201, created.text
    assert created.json()["uscc"] == uscc

    again = api.post("/api/v1/enterprises", token("county_admin", COUNTY), json={
        "uscc": dashed(uscc), "name": "杭州西湖示例科技有限公司", "region_code": COUNTY,
        "industry_code": "C39", "employees": 40, "revenue": 1200})
    assert again.status_code == 409, again.text
    read = api.get(f"/api/v1/enterprises/{dashed(uscc)}", token("enterprise", spaced(uscc)))
    assert read.status_code == 200 and read.json()["uscc"] == uscc


def test_import_takes_one_enterprise_written_two_ways_once(api, token, new_uscc):
    uscc = new_uscc(COUNTY)
    content = ("uscc,name,region_code,industry_code,employees,revenue\n"
               f"{spaced(uscc)},杭州西湖示例贸易有限公司,{COUNTY},F51,12,2400\n"
               f"{dashed(uscc)},杭州西湖示例贸易有限公司,{COUNTY},F51,12,2400\n")
    report = api.post("/api/v1/enterprises/import", token("county_admin", COUNTY),
                      json={"format": "csv", "content": content})
    assert report.status_code == 200, report.text
    assert (report.json()["stored"], report.json()["rejected"]) == (1, [
        {"line": 3, "uscc": dashed(uscc), "errors": {"uscc": ["already in this batch at line 2"]}}])


def test_complaint_against_itself_written_with_blanks_is_refused(api, token, new_uscc, agency_skeleton):
    uscc = sme(api, token, new_uscc)
    answer = complain(api, token, uscc, debtor_uscc=spaced(uscc), debtor_type="large_enterprise")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"] == {"arrears": {"debtor_uscc": ["is the complainant itself"]}}


# -- payment terms ----------------------------------------------------------------------------------

def test_government_payer_delivered_2026_09_01_is_due_2026_10_08_and_the_assumed_start_is_named(
        api, token, new_uscc, agency_skeleton):
    answer = complain(api, token, sme(api, token, new_uscc))
    assert answer.status_code == 201, answer.text
    facts = answer.json()["arrears"]
    assert {key: facts[key] for key in ("payment_rules", "payment_term_days", "term_starts_on",
                                        "term_start_basis", "term_end_nominal", "payment_due_date")} == {
        "payment_rules": "2025", "payment_term_days": 30, "term_starts_on": "2026-09-01",
        "term_start_basis": "delivery", "term_end_nominal": "2026-10-01", "payment_due_date": "2026-10-08"}
    assert facts["notes"] == [
        "neither accepted_on nor inspection_days given: the term is taken to run from delivery, 2026-09-01",
        "2026-10-01 is a rest day or holiday: the term ends on the next working day, 2026-10-08 (民法典 第二百零三条)"]


def test_acceptance_and_settlement_dates_start_the_term(api, token, new_uscc, agency_skeleton):
    uscc = sme(api, token, new_uscc)
    accepted = complain(api, token, uscc, inspection_days=15).json()["arrears"]
    assert (accepted["term_starts_on"], accepted["term_start_basis"], accepted["payment_due_date"]) == (
        "2026-09-16", "inspection_period_end", "2026-10-16")
    settled = complain(api, token, uscc, settlement_confirmed_on="2026-09-20").json()["arrears"]
    assert (settled["term_starts_on"], settled["term_start_basis"], settled["payment_due_date"]) == (
        "2026-09-20", "settlement_confirmed", "2026-10-20")


def test_large_enterprise_contract_before_2025_06_01_gets_no_invented_60_days(
        api, token, new_uscc, agency_skeleton):
    uscc = sme(api, token, new_uscc, figures_year=2024)
    answer = complain(api, token, uscc, debtor_uscc=new_uscc("330100"), debtor_type="large_enterprise",
                      contract_date="2025-05-20", delivery_date="2025-07-01")
    assert answer.status_code == 201, answer.text
    facts = answer.json()["arrears"]
    assert (facts["payment_term_basis"], facts["payment_term_days"], facts["payment_due_date"],
            facts["overdue"]) == ("no_statutory_term", None, None, None)
    assert facts["notes"][-1].startswith("the contract was made on 2025-05-20, before the 2025 revision")


# -- who may complain (第三条) -----------------------------------------------------------------------

def test_enterprise_not_in_the_sme_database_cannot_complain(api, token, new_uscc, agency_skeleton):
    answer = complain(api, token, new_uscc(COUNTY))
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"arrears": {"contract_date": [
        "the complainant is not in the SME database, so whether it was an SME on 2026-08-01 is unknown"]}}


def test_large_enterprise_on_the_contract_date_cannot_complain(api, token, new_uscc, agency_skeleton):
    uscc = sme(api, token, new_uscc, employees=1200, revenue=50000)
    answer = complain(api, token, uscc)
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"arrears": {"contract_date": [
        "a complaint is taken only from an SME on the contract date, 2026-08-01: it was a large enterprise "
        "(2025 figures)"]}}


def test_large_enterprise_debtor_on_record_as_an_sme_is_refused(api, token, new_uscc, agency_skeleton):
    uscc, debtor = sme(api, token, new_uscc), sme(api, token, new_uscc)
    answer = complain(api, token, uscc, debtor_uscc=debtor, debtor_type="large_enterprise")
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == {"arrears": {"debtor_type": [
        "the debtor is on record as a small enterprise on 2026-08-01 (2025 figures), not a large enterprise"]}}


def test_debtor_type_contradicting_the_debtors_uscc_is_refused(api, token, new_uscc, agency_skeleton):
    answer = complain(api, token, sme(api, token, new_uscc), debtor_uscc=new_uscc("330100"))
    assert answer.status_code == 422
    details = answer.json()["error"]["details"]
    assert list(details["arrears"]) == ["debtor_type"]
    assert details["arrears"]["debtor_type"][0].startswith(
        "a government debtor (机关) has a credit code starting 11 (机关)")


# -- reference data and figures as of a date --------------------------------------------------------

def test_replaced_division_code_is_refused_and_its_successor_named(api, token, new_uscc):
    answer = api.post("/api/v1/enterprises", token("province_admin", "420000"), json={
        "uscc": new_uscc("421300"), "name": "随州示例机械有限公司", "region_code": "429001",
        "industry_code": "C34", "employees": 40, "revenue": 1200})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["region_code"] == ["region code 429001 was retired in 1999; "
                                                                "it is now 421300"]


def test_size_class_as_of_a_date_names_the_last_completed_year_it_used(api, token, new_uscc):
    uscc = sme(api, token, new_uscc)   # 2025: 40 people, 1200 万元 → small
    admin = token("county_admin", COUNTY)
    grown = api.patch(f"/api/v1/enterprises/{uscc}", admin,
                      json={"figures_year": 2026, "employees": 1200, "revenue": 50000})
    assert grown.status_code == 200 and grown.json()["size_class"] == "large"
    answer = api.get(f"/api/v1/enterprises/{uscc}/size-class?as_of=2026-03-01", admin).json()
    assert {key: answer[key] for key in ("size_class", "figures_year", "figures_basis", "reason")} == {
        "size_class": "small", "figures_year": 2025, "figures_basis": "previous_year", "reason": None}


def test_financial_firm_has_no_size_class_and_says_why(api, token, new_uscc):
    uscc = new_uscc(COUNTY)
    created = register_over_http(api, token, uscc, region=COUNTY, industry_code="J69", employees=33, revenue=2900,
                       total_assets=38000, figures_year=2025)
    assert (created["size_class"], created["size_rule"]) == (None, "financial:not_classified")
    answer = api.get(f"/api/v1/enterprises/{uscc}/size-class?as_of=2026-03-01",
                     token("county_admin", COUNTY)).json()
    assert answer["size_class"] is None
    assert answer["reason"].startswith("not classified under 300号: financial firms (J 金融业) come under "
                                       "金融业企业划型标准规定 (银发〔2015〕309号)")


def test_rd_ratio_without_revenue_meets_no_minimum_in_explain_and_in_counts(api, token, new_uscc):
    uscc = sme(api, token, new_uscc, revenue=0, rd_expense=5, tags=["零收入研发试验"])
    admin = token("county_admin", COUNTY)
    criteria = {"rd_ratio_min": 0, "tags": ["零收入研发试验"]}
    explained = api.post(f"/api/v1/enterprises/{uscc}/explain", admin, json=criteria).json()
    assert explained["criteria"][0] == {"criterion": "rd_ratio_min", "passed": False, "required": 0,
                                        "actual": None}
    counted = api.post("/api/v1/enterprises/criteria/count", admin, json=criteria).json()
    assert counted["count"] == 0
