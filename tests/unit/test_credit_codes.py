"""Unified social credit codes (GB 32100) read in one form at every schema edge."""
import pytest
from marshmallow import ValidationError

from reference import credit_codes
from gateway import auth
from services.agencies.schemas import ProviderFields
from services.enterprises import domain, imports, schemas
from services.requests.schemas import ArrearsClaim, RequestFilter

COMPACT = "91110000600037341L"
WRITTEN_FORMS = ("9111 0000600037341L", "91110000-600037341L", "91110000600037341l", " 91110000600037341L ")


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_uscc_written_with_blanks_dashes_or_lower_case_is_the_compact_upper_case_code(written):
    assert credit_codes.compact(written) == COMPACT
    assert credit_codes.validate(written) == COMPACT


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_registration_stores_the_compact_uscc(written):
    loaded = schemas.EnterpriseRegistration().load({
        "uscc": written, "name": "北京示例科技有限公司", "region_code": "110105",
        "industry_code": "C39", "employees": 40, "revenue": 1200})
    assert loaded["uscc"] == COMPACT


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_arrears_debtor_and_request_filter_read_the_compact_uscc(written):
    claim = ArrearsClaim().load({"debtor_uscc": written, "debtor_type": "large_enterprise", "amount": 10,
                                 "contract_date": "2026-06-01", "delivery_date": "2026-06-02"})
    assert claim["debtor_uscc"] == COMPACT
    assert RequestFilter().load({"uscc": written}) == {"uscc": COMPACT}


def test_provider_registration_reads_the_compact_uscc():
    loaded = ProviderFields().load({"name": "示例服务机构", "uscc": "9111 0000600037341L",
                                    "region_code": "110105", "established_on": "2015-01-01"})
    assert loaded["uscc"] == COMPACT


def test_invalid_uscc_is_refused_after_compacting():
    with pytest.raises(ValidationError) as raised:
        schemas.EnterpriseRegistration().load({"uscc": "9111 0000600037341X", "name": "北京示例科技有限公司",
                                               "region_code": "110105", "industry_code": "C39",
                                               "employees": 40, "revenue": 1200})
    assert raised.value.messages["uscc"] == ["not a valid unified social credit code: "
                                             "The number's checksum or check digit is invalid."]


def test_one_enterprise_written_two_ways_in_an_import_is_one_profile():
    content = ("uscc,name,region_code,industry_code,employees,revenue\n"
               "9111 0000600037341L,北京示例科技有限公司,110105,C39,40,1200\n"
               "91110000-600037341L,北京示例科技有限公司,110105,C39,40,1200\n")
    profiles, rejected, received = imports.profiles_from(content, "csv", domain.today())
    assert [profile["uscc"] for _, profile in profiles] == [COMPACT]
    assert rejected == [{"line": 3, "uscc": "91110000-600037341L",
                         "errors": {"uscc": ["already in this batch at line 2"]}}]


@pytest.mark.parametrize("written", WRITTEN_FORMS)
def test_enterprise_token_scope_is_the_compact_uscc(written):
    principal = auth.principal_from_claims({"sub": "u1", "role": "enterprise", "uscc": written})
    assert principal.scope == COMPACT
    assert principal.is_enterprise("9111-0000-6000-3734-1l")


def test_minted_enterprise_token_carries_the_compact_uscc():
    import jwt
    token = auth.mint("a-development-secret-of-32-bytes!", "enterprise", "9111 0000600037341L")
    assert jwt.decode(token, options={"verify_signature": False})["uscc"] == COMPACT


@pytest.mark.parametrize("code, kind, name", [
    ("11100000000013127D", "11", "机关"),
    ("124403004557551528", "12", "事业单位"),
    (COMPACT, "91", "企业"),
    ("9111 0000600037341L", "91", "企业"),
])
def test_registration_authority_and_kind_are_the_first_two_characters(code, kind, name):
    assert credit_codes.kind_of(code) == kind
    assert credit_codes.kind_name(kind) == name


@pytest.mark.parametrize("code", [
    COMPACT, "91110000600037341K", "91110000600037341I", "9111000060003734IL", "9111OOOO600037341L",
    "91110000600037341", "91110000600037341LL", "911100006000373410", *WRITTEN_FORMS, "", "ABCDEFGHJKLMNPQRTU",
])
def test_a_code_already_compact_is_judged_as_stdnum_judges_it(code):
    """The compact form skips stdnum's cleaning; the verdict and its reason stay stdnum's."""
    from stdnum.cn import uscc as standard
    try:
        expected = standard.validate(standard.compact(code))
    except Exception as exc:  # noqa: BLE001 (stdnum's ValidationError subclasses)
        expected = f"not a valid unified social credit code: {exc}"
    try:
        found = credit_codes.validate(code)
    except ValueError as exc:
        found = str(exc)
    assert found == expected
