import time

import jwt
import pytest

from gateway import auth

SECRET = "unit-test-secret-unit-test-secret"


@pytest.fixture
def authenticator():
    return auth.Authenticator("HS256", SECRET, "onenet", "onenet-api")


def bearer(token):
    return f"Bearer {token}"


def test_valid_token_gives_role_and_scope(authenticator):
    principal = authenticator.authenticate(bearer(auth.mint(SECRET, "county_admin", "110105")))
    assert (principal.role, principal.scope) == ("county_admin", "110105")


@pytest.mark.parametrize("make_token, reason", [
    (lambda: auth.mint(SECRET, "national_admin", now=time.time() - 7200, ttl_seconds=60), "expired"),
    (lambda: auth.mint(SECRET, "national_admin", audience="someone-else"), "audience"),
    (lambda: auth.mint(SECRET, "national_admin", issuer="evil"), "issued"),
    (lambda: auth.mint("another-key-another-key-another-key", "national_admin"), "invalid"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "national_admin",
                         "exp": int(time.time()) + 60}, None, algorithm="none"), "invalid"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "role": "national_admin",
                         "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"), "sub"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "national_admin"},
                        SECRET, algorithm="HS256"), "exp"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "king",
                         "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"), "role"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "county_admin",
                         "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"), "region"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "county_admin",
                         "region": "11", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"), "region"),
])
def test_bad_tokens_are_refused_with_the_reason(authenticator, make_token, reason):
    with pytest.raises(auth.InvalidToken, match=reason):
        authenticator.authenticate(bearer(make_token()))


@pytest.mark.parametrize("role, claim, fits", [
    ("province_admin", "330000", True),
    ("province_admin", "000000", False),
    ("province_admin", "330100", False),
    ("province_admin", "330106", False),
    ("city_admin", "330100", True),
    ("city_admin", "330000", False),
    ("city_admin", "000000", False),
    ("city_admin", "330106", False),
    ("county_admin", "330106", True),
    ("county_admin", "330100", False),
    ("county_admin", "000000", False),
    ("county_admin", "330006", False),
])
def test_region_claim_must_fit_the_role(authenticator, role, claim, fits):
    header = bearer(auth.mint(SECRET, role, claim))
    if fits:
        assert authenticator.authenticate(header).scope == claim
    else:
        with pytest.raises(auth.InvalidToken, match="significant digits"):
            authenticator.authenticate(header)


def test_province_system_needs_a_province(authenticator):
    with pytest.raises(auth.InvalidToken, match="province"):
        authenticator.authenticate(bearer(auth.mint(SECRET, "province_system", "00")))


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "token-without-scheme"])
def test_missing_or_malformed_authorization_header_is_refused(authenticator, header):
    with pytest.raises(auth.InvalidToken):
        authenticator.authenticate(header)


@pytest.mark.parametrize("role, scope, region, covered", [
    ("national_admin", None, "650102", True),
    ("province_admin", "110000", "110105", True),
    ("province_admin", "110000", "120101", False),
    ("city_admin", "320100", "320102", True),
    ("city_admin", "320100", "320205", False),
    ("county_admin", "110105", "110105", True),
    ("county_admin", "110105", "110106", False),
    ("province_system", "44", "440305", True),
    ("province_system", "44", "450102", False),
    ("enterprise", "91110105MA01A00010", "110105", False),
    ("agency_staff", "7", "110105", False),
])
def test_each_admin_covers_only_the_regions_under_its_code(role, scope, region, covered):
    assert auth.Principal("s", role, scope).covers_region(region) is covered


def test_unconfigured_key_stops_the_gateway_from_starting():
    with pytest.raises(ValueError, match="ONENET_JWT_SECRET"):
        auth.Authenticator("HS256", "", "onenet", "onenet-api")


def rsa_key_pair(tmp_path, name):
    """A fresh RSA private key and the path of its public key in PEM, as operators deploy it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_file = tmp_path / f"{name}.pub.pem"
    public_file.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, str(public_file)


def test_rs256_public_key_is_loaded_from_the_configured_file(tmp_path):
    private, public_file = rsa_key_pair(tmp_path, "onenet")
    other, _ = rsa_key_pair(tmp_path, "someone-else")
    authenticator = auth.Authenticator.from_config({"ALGORITHM": "RS256", "PUBLIC_KEY_FILE": public_file})

    signed = auth.mint(private, "county_admin", "110105", subject="admin-7", algorithm="RS256")
    assert authenticator.authenticate(bearer(signed)) == auth.Principal("admin-7", "county_admin", "110105")
    with pytest.raises(auth.InvalidToken, match="invalid"):
        authenticator.authenticate(bearer(auth.mint(other, "county_admin", "110105", algorithm="RS256")))
    with pytest.raises(auth.InvalidToken, match="invalid"):   # the algorithm is pinned: no HS256
        authenticator.authenticate(bearer(auth.mint(SECRET, "county_admin", "110105")))
