"""The lead-firm role (链主企业): its token claim and what it is scoped to."""
import time

import jwt
import pytest

from gateway import auth

SECRET = "unit-test-secret-unit-test-secret"


def authenticate(token):
    return auth.Authenticator("HS256", SECRET, "onenet", "onenet-api").authenticate(f"Bearer {token}")


def test_lead_firm_token_carries_its_firm_id_as_scope():
    principal = authenticate(auth.mint(SECRET, "lead_firm", "42"))
    assert (principal.role, principal.scope) == ("lead_firm", "42")
    assert principal.is_lead_firm(42) and not principal.is_lead_firm(43)
    assert not principal.covers_region("110105")
    assert principal.region_prefix is None


@pytest.mark.parametrize("claims", [
    {},                                  # no lead_firm_id claim
    {"lead_firm_id": "0"},
    {"lead_firm_id": "abc"},
    {"uscc": "91110105MA01A00010"},     # a lead firm is not an SME user
])
def test_lead_firm_token_without_a_valid_firm_id_is_refused(claims):
    token = jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "firm-user", "role": "lead_firm",
                        "exp": int(time.time()) + 60, **claims}, SECRET, algorithm="HS256")
    with pytest.raises(auth.InvalidToken, match="lead_firm_id"):
        authenticate(token)


def test_an_enterprise_user_is_not_a_lead_firm():
    assert not auth.Principal("s", "enterprise", "91110105MA01A00010").is_lead_firm("91110105MA01A00010")
