import base64
import json
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


def as_loaded(config):
    """``config`` as read from a file: equal strings, not the interned literals of this module."""
    return json.loads(json.dumps(config))


def principal(role, scope=None, subject="s"):
    """The caller as the gateway sees it: built from claims decoded from a token's JSON."""
    claims = {"sub": subject, "role": role, **({auth.SCOPE_CLAIM[role]: scope} if scope else {})}
    return auth.principal_from_claims(json.loads(json.dumps(claims)))


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
    ("province_admin", "110000", "321102", False),     # "11" inside the code is not the province 11
    ("city_admin", "320100", "110132", False),
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
    assert principal(role, scope).covers_region(region) is covered


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


def test_rs256_public_key_is_loaded_from_the_configured_file_and_known_by_its_name(tmp_path):
    private, public_file = rsa_key_pair(tmp_path, "onenet")
    other, _ = rsa_key_pair(tmp_path, "someone-else")
    authenticator = auth.Authenticator.from_config(as_loaded({"ALGORITHM": "RS256", "PUBLIC_KEY_FILE": public_file}))

    signed = auth.mint(private, "county_admin", "110105", subject="admin-7", algorithm="RS256", kid="onenet.pub")
    assert authenticator.authenticate(bearer(signed)) == auth.Principal("admin-7", "county_admin", "110105")
    with pytest.raises(auth.InvalidToken, match="invalid"):
        authenticator.authenticate(bearer(auth.mint(other, "county_admin", "110105", algorithm="RS256",
                                                    kid="onenet.pub")))
    with pytest.raises(auth.InvalidToken, match="invalid"):   # the algorithm is pinned: no HS256
        authenticator.authenticate(bearer(auth.mint(SECRET, "county_admin", "110105", kid="onenet.pub")))


def jwks_file(tmp_path, keys):
    """A JSON Web Key Set of ``{kid: private key}``'s public halves, as an identity provider publishes it."""
    from jwt.algorithms import RSAAlgorithm
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**json.loads(RSAAlgorithm.to_jwk(private.public_key())), "kid": kid,
                                          "use": "sig", "alg": "RS256"} for kid, private in keys.items()]}))
    return str(path)


@pytest.fixture
def rotation(tmp_path):
    """The gateway during a key rotation: the old key (2026-06) and the new one (2026-12) both listed."""
    old, _ = rsa_key_pair(tmp_path, "old")
    new, _ = rsa_key_pair(tmp_path, "new")
    stranger, _ = rsa_key_pair(tmp_path, "stranger")
    authenticator = auth.Authenticator.from_config(as_loaded({
        "ALGORITHM": "RS256", "JWKS_FILE": jwks_file(tmp_path, {"2026-06": old, "2026-12": new})}))
    return authenticator, old, new, stranger


def rs256(private, kid, **kwargs):
    return bearer(auth.mint(private, "county_admin", "110105", algorithm="RS256", kid=kid, **kwargs))


def test_during_a_rotation_tokens_of_the_old_and_the_new_key_are_both_accepted(rotation):
    authenticator, old, new, _ = rotation
    assert authenticator.authenticate(rs256(old, "2026-06", subject="issued-before")).subject == "issued-before"
    assert authenticator.authenticate(rs256(new, "2026-12", subject="issued-after")).subject == "issued-after"


@pytest.mark.parametrize("kid, message", [
    ("2025-12", "the token's signing key '2025-12' is not one the gateway holds"),
    (None, "the token names no signing key (kid)"),
])
def test_a_token_of_an_unknown_key_or_naming_none_is_refused(rotation, kid, message):
    authenticator, old, _, stranger = rotation
    for private in (old, stranger):
        with pytest.raises(auth.InvalidToken, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
            authenticator.authenticate(rs256(private, kid))


def test_a_token_signed_by_one_key_but_naming_the_other_is_refused(rotation):
    authenticator, old, new, stranger = rotation
    for private, kid in ((old, "2026-12"), (new, "2026-06"), (stranger, "2026-12")):
        with pytest.raises(auth.InvalidToken, match="^the token is invalid: Signature verification failed$"):
            authenticator.authenticate(rs256(private, kid))


def test_after_the_rotation_the_old_keys_tokens_are_refused(tmp_path, rotation):
    _, old, new, _ = rotation
    after = auth.Authenticator.from_config(as_loaded({
        "ALGORITHM": "RS256", "JWKS_FILE": jwks_file(tmp_path, {"2026-12": new})}))
    assert after.authenticate(rs256(new, "2026-12")).role == "county_admin"
    with pytest.raises(auth.InvalidToken, match="not one the gateway holds"):
        after.authenticate(rs256(old, "2026-06"))


def unsigned_token(header):
    """A token with a forged header (PyJWT will not encode a kid that is not a string)."""
    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part(header)}.{part({'sub': 's', 'role': 'national_admin'})}.c2ln"


@pytest.mark.parametrize("kid, message", [
    (7, "^the token is invalid: Key ID header parameter must be a string$"),
    (["2026-06"], "^the token is invalid: Key ID header parameter must be a string$"),
    ("", r"^the token names no signing key \(kid\)$"),
])
def test_a_kid_that_is_not_a_name_is_refused(rotation, kid, message):
    with pytest.raises(auth.InvalidToken, match=message):
        rotation[0].authenticate(bearer(unsigned_token({"alg": "RS256", "typ": "JWT", "kid": kid})))


def test_a_malformed_token_is_refused_before_any_key_is_looked_up(rotation):
    authenticator = rotation[0]
    with pytest.raises(auth.InvalidToken, match="^the token is invalid: "):
        authenticator.authenticate(bearer("not.a-token"))


def test_keys_come_from_a_jwks_and_pem_files_together_and_each_kid_once(tmp_path):
    from gateway.keys import load_public_keys
    old, old_pem = rsa_key_pair(tmp_path, "2026-06")
    new, _ = rsa_key_pair(tmp_path, "new")
    keys = load_public_keys(jwks_file(tmp_path, {"2026-12": new}), f" {old_pem} ")
    assert sorted(keys) == ["2026-06.pub", "2026-12"]
    same_kid = tmp_path / "2026-12.pem"
    same_kid.write_text(open(old_pem, encoding="ascii").read())
    with pytest.raises(ValueError, match="two public keys have the kid '2026-12'"):
        load_public_keys(jwks_file(tmp_path, {"2026-12": new}), str(same_kid))


def test_rs256_without_keys_by_kid_stops_the_gateway_from_starting(tmp_path):
    with pytest.raises(ValueError, match="ONENET_JWT_JWKS_FILE"):
        auth.Authenticator.from_config(as_loaded({"ALGORITHM": "RS256"}))
    with pytest.raises(ValueError, match="RS256 needs its public keys by kid"):
        auth.Authenticator("RS256", "-----BEGIN PUBLIC KEY-----", "onenet", "onenet-api")
    read_from_environment = "".join(["RS", "256"])  # built at run time, as a value from os.environ is
    with pytest.raises(ValueError, match="RS256 needs its public keys by kid"):
        auth.Authenticator(read_from_environment, "-----BEGIN PUBLIC KEY-----", "onenet", "onenet-api")


@pytest.mark.parametrize("role, scope, prefix", [
    ("national_admin", None, None), ("province_admin", "320000", "32"), ("city_admin", "320100", "3201"),
    ("county_admin", "320102", "320102"), ("province_system", "32", "32"), ("agency_staff", "7", None),
    ("enterprise", "91320102MA1XB0003L", None),
])
def test_region_prefix_is_the_part_of_the_code_the_role_fixes(role, scope, prefix):
    assert principal(role, scope).region_prefix == prefix


@pytest.mark.parametrize("role, scope, uscc, same", [
    ("enterprise", "91320102MA1XB0003L", "91320102MA1XB0003L", True),
    ("enterprise", "91320102MA1XB0003L", "91320102ma1xb0003l", True),
    ("enterprise", "91320102MA1XB0003L", "91320102MA1XB0004P", False),
    ("enterprise", "91320102MA1XB0004P", "91320102MA1XB0003L", False),
    ("agency_staff", "7", "7", False),
    ("national_admin", None, "91320102MA1XB0003L", False),
])
def test_an_enterprise_user_is_only_its_own_enterprise(role, scope, uscc, same):
    assert principal(role, scope).is_enterprise(uscc) is same


@pytest.mark.parametrize("role, claims, scope", [
    ("enterprise", {"uscc": "91320102ma1xb0003l"}, "91320102MA1XB0003L"),
    ("agency_staff", {"agency_id": 7}, "7"),
    ("province_system", {"province": "44"}, "44"),
    ("national_admin", {"region": "320000"}, None),
])
def test_the_scope_claim_of_the_role_is_read_and_normalised(role, claims, scope):
    assert auth.principal_from_claims({"sub": "s", "role": role, **claims}) == auth.Principal("s", role, scope)


@pytest.mark.parametrize("role, claims", [
    ("agency_staff", {"agency_id": "7a"}), ("agency_staff", {"region": "320102"}),
    ("enterprise", {"uscc": "91320102MA1XB0003I"}), ("enterprise", {"uscc": "91320102MA1XB0003"}),
    ("province_system", {"province": "4"}), ("province_system", {"province": "440"}),
    ("city_admin", {"region": "32010"}), ("province_admin", {"region": "3200001"}),
])
def test_a_missing_or_malformed_scope_claim_is_refused(role, claims):
    claim = auth.SCOPE_CLAIM[role]
    with pytest.raises(auth.InvalidToken, match=f"^role {role} needs a valid {claim} claim$"):
        auth.principal_from_claims({"sub": "s", "role": role, **claims})


def test_an_unknown_role_is_refused_naming_the_known_ones():
    with pytest.raises(auth.InvalidToken) as caught:
        auth.principal_from_claims({"sub": "s", "role": "king"})
    assert str(caught.value) == ("the token's role 'king' is not one of national_admin, province_admin, "
                                 "city_admin, county_admin, agency_staff, enterprise, province_system, lead_firm")


@pytest.mark.parametrize("make_token, message", [
    (lambda: auth.mint(SECRET, "national_admin", now=time.time() - 7200, ttl_seconds=60),
     "the token has expired"),
    (lambda: auth.mint(SECRET, "national_admin", audience="someone-else"), "the token is not for audience onenet-api"),
    (lambda: auth.mint(SECRET, "national_admin", issuer="evil"), "the token was not issued by onenet"),
    (lambda: jwt.encode({"iss": "onenet", "aud": "onenet-api", "sub": "x", "role": "national_admin"},
                        SECRET, algorithm="HS256"), "the token lacks the exp claim"),
    (lambda: auth.mint("another-key-another-key-another-key", "national_admin"),
     "the token is invalid: Signature verification failed"),
])
def test_each_refusal_says_why(authenticator, make_token, message):
    with pytest.raises(auth.InvalidToken) as caught:
        authenticator.authenticate(bearer(make_token()))
    assert str(caught.value) == message


def test_clocks_may_disagree_by_thirty_seconds(authenticator):
    expired_20s_ago = auth.mint(SECRET, "national_admin", now=time.time() - 80, ttl_seconds=60)
    expired_40s_ago = auth.mint(SECRET, "national_admin", now=time.time() - 100, ttl_seconds=60)
    assert authenticator.authenticate(bearer(expired_20s_ago)).role == "national_admin"
    with pytest.raises(auth.InvalidToken, match="expired"):
        authenticator.authenticate(bearer(expired_40s_ago))


def test_a_refused_token_is_checked_again_each_time(authenticator, monkeypatch):
    decoded = []
    decode = auth.jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs))
    forged = auth.mint("another-key-another-key-another-key", "national_admin")
    for _ in range(2):
        with pytest.raises(auth.InvalidToken, match="Signature verification failed"):
            authenticator.authenticate(bearer(forged))
    assert len(decoded) == 2


def test_a_token_not_yet_valid_is_refused_until_its_time_even_when_remembered(monkeypatch):
    authenticator = auth.Authenticator("HS256", SECRET, "onenet", "onenet-api", leeway=0)
    token = auth.mint(SECRET, "national_admin", ttl_seconds=60)
    assert authenticator.authenticate(bearer(token)).role == "national_admin"
    issued = jwt.decode(token, options={"verify_signature": False})["iat"]
    monkeypatch.setattr(auth.time, "time", lambda: issued - 5.0)   # the gateway's clock went back
    monkeypatch.setattr(auth.jwt, "decode", lambda *args, **kwargs: (_ for _ in ()).throw(
        jwt.ImmatureSignatureError("The token is not yet valid (iat)")))
    with pytest.raises(auth.InvalidToken, match="not yet valid"):
        authenticator.authenticate(bearer(token))


# A remembered token's times, chosen so that arithmetic slips in the remembered window show:
# ISSUED has none of the bits of the 30 s leeway set, EXPIRES has all of them.
ISSUED, EXPIRES = 1_900_000_000 & ~30, (1_900_003_600 & ~30) | 30


class Clock:
    """The gateway's clock and PyJWT's, set by the test."""

    def __init__(self, now):
        self.now = now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(ISSUED)

    class Now(jwt.api_jwt.datetime):
        @classmethod
        def now(cls, tz=None):
            return jwt.api_jwt.datetime.fromtimestamp(clock.now, tz)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Now)
    monkeypatch.setattr(auth.time, "time", lambda: clock.now)
    return clock


@pytest.fixture
def decodes(monkeypatch):
    """How many times a token's signature and claims were checked."""
    decoded = []
    decode = auth.jwt.decode
    monkeypatch.setattr(auth.jwt, "decode", lambda *args, **kwargs: decoded.append(1) or decode(*args, **kwargs))
    return decoded


def remembered(authenticator, clock, **times):
    """A token with ``times`` as its claims (iat/nbf/exp), verified once at ISSUED."""
    claims = {"iss": "onenet", "aud": "onenet-api", "sub": "s", "role": "national_admin", **times}
    token = bearer(jwt.encode(claims, SECRET, algorithm="HS256"))
    clock.now = ISSUED
    assert authenticator.authenticate(token).role == "national_admin"
    return token


@pytest.mark.parametrize("now", [ISSUED - 30, ISSUED - 29, EXPIRES + 29, EXPIRES + 29.999])
def test_a_remembered_token_is_served_from_memory_throughout_its_time_with_the_leeway(
        authenticator, clock, decodes, now):
    token = remembered(authenticator, clock, iat=ISSUED, exp=EXPIRES)
    clock.now = now
    assert authenticator.authenticate(token).role == "national_admin"
    assert len(decodes) == 1


@pytest.mark.parametrize("now, reason", [
    (EXPIRES + 30, "the token has expired"), (EXPIRES + 31, "the token has expired"),
    (EXPIRES + 3600, "the token has expired"), (ISSUED - 31, "not yet valid"), (0, "not yet valid")])
def test_a_remembered_token_is_refused_outside_its_time_with_the_leeway(authenticator, clock, now, reason):
    token = remembered(authenticator, clock, iat=ISSUED, exp=EXPIRES)
    clock.now = now
    with pytest.raises(auth.InvalidToken, match=reason):
        authenticator.authenticate(token)


def test_a_remembered_token_without_iat_or_nbf_is_valid_from_the_start(authenticator, clock, decodes):
    token = remembered(authenticator, clock, exp=EXPIRES)
    clock.now = 1.0
    assert authenticator.authenticate(token).role == "national_admin"
    assert len(decodes) == 1


def test_a_remembered_token_is_not_valid_before_its_nbf(authenticator, clock):
    token = remembered(authenticator, clock, iat=ISSUED - 600, nbf=ISSUED, exp=EXPIRES)
    clock.now = ISSUED - 31
    with pytest.raises(auth.InvalidToken, match="not yet valid"):
        authenticator.authenticate(token)


@pytest.mark.parametrize("header, message", [
    (None, "an Authorization: Bearer <token> header is required"),
    ("", "an Authorization: Bearer <token> header is required"),
    ("Token {token}", "the Authorization header must be 'Bearer <token>'"),
    ("Basic {token}", "the Authorization header must be 'Bearer <token>'"),
    ("Bearer    ", "the Authorization header must be 'Bearer <token>'"),
    ("{token}", "the Authorization header must be 'Bearer <token>'"),
])
def test_the_authorization_header_must_carry_a_bearer_token(authenticator, header, message):
    token = auth.mint(SECRET, "national_admin")
    with pytest.raises(auth.InvalidToken) as caught:
        authenticator.authenticate(header if header is None else header.format(token=token))
    assert str(caught.value) == message


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive_and_blanks_around_the_token_are_ignored(authenticator, scheme):
    token = auth.mint(SECRET, "county_admin", "110105")
    assert authenticator.authenticate(f"{scheme} {token} ").scope == "110105"


def test_hs256_settings_are_read_from_config_with_onenet_defaults():
    from_config = auth.Authenticator.from_config(as_loaded({"SECRET": SECRET}))
    assert (from_config.algorithm, from_config.key, from_config.issuer, from_config.audience, from_config.leeway) == (
        "HS256", SECRET, "onenet", "onenet-api", 30)
    named = auth.Authenticator.from_config(as_loaded({"ALGORITHM": "HS256", "SECRET": SECRET, "ISSUER": "gd",
                                                      "AUDIENCE": "gd-api"}))
    assert (named.issuer, named.audience) == ("gd", "gd-api")
    assert named.authenticate(bearer(auth.mint(SECRET, "national_admin", issuer="gd", audience="gd-api"))).role \
        == "national_admin"


@pytest.mark.parametrize("algorithm", ["HS512", "RS512", "none"])
def test_only_hs256_and_rs256_are_accepted(algorithm):
    with pytest.raises(ValueError, match=f"^unsupported JWT algorithm {algorithm}$"):
        auth.Authenticator.from_config(as_loaded({"ALGORITHM": algorithm, "SECRET": SECRET}))


def test_an_unsupported_algorithm_is_refused_before_any_key_file_is_read(tmp_path):
    with pytest.raises(ValueError, match="^unsupported JWT algorithm RS512$"):
        auth.Authenticator.from_config(as_loaded({"ALGORITHM": "RS512", "JWKS_FILE": str(tmp_path / "absent.json")}))


def test_a_principal_cannot_be_altered():
    import dataclasses
    with pytest.raises(dataclasses.FrozenInstanceError):
        principal("county_admin", "110105").role = "national_admin"


def test_minted_token_carries_exactly_the_claims_of_its_role():
    token = auth.mint(SECRET, "county_admin", "110105", now=1_800_000_000)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="onenet-api",
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"iss": "onenet", "aud": "onenet-api", "sub": "county_admin:110105", "role": "county_admin",
                      "iat": 1_800_000_000, "exp": 1_800_003_600, "region": "110105"}
    national = jwt.decode(auth.mint(SECRET, "national_admin", ttl_seconds=60, now=1_800_000_000), SECRET,
                          algorithms=["HS256"], audience="onenet-api", options={"verify_exp": False, "verify_iat": False})
    assert (national["sub"], national["exp"], "region" in national) == ("national_admin:all", 1_800_000_060, False)
    with pytest.raises(ValueError, match="^role county_admin needs a region$"):
        auth.mint(SECRET, "county_admin")


@pytest.mark.parametrize("role, claims, scope", [
    ("enterprise", {"uscc": "91320102-MA1XB0003L"}, "91320102MA1XB0003L"),   # the compact form
    ("enterprise", {"uscc": "9132 0102 MA1X B000 3L"}, "91320102MA1XB0003L"),
    ("agency_staff", {"agency_id": "00"}, "00"),                              # only a province may not be 00
])
def test_a_credit_code_claim_is_read_in_its_compact_form_and_no_other_claim_is(role, claims, scope):
    assert auth.principal_from_claims({"sub": "s", "role": role, **claims}).scope == scope


@pytest.mark.parametrize("role, claims", [
    ("county_admin", {"region": "320 102"}), ("agency_staff", {"agency_id": "7-1"})])
def test_blanks_and_dashes_are_not_dropped_from_other_claims(role, claims):
    with pytest.raises(auth.InvalidToken, match="needs a valid"):
        auth.principal_from_claims({"sub": "s", "role": role, **claims})


@pytest.mark.parametrize("role, region", [("county_admin", "300501"), ("city_admin", "300500")])
def test_region_scope_is_judged_by_its_two_digit_levels_not_by_any_two_zeros(role, region):
    assert auth.region_scope_problem(role, region) is None


def test_a_minted_enterprise_token_carries_the_compact_credit_code():
    token = auth.mint(SECRET, "enterprise", "91320102-ma1xb0003l")
    staff = auth.mint(SECRET, "agency_staff", "7-1")   # other scopes go in as given (and are refused when read)
    claims = [jwt.decode(t, SECRET, algorithms=["HS256"], audience="onenet-api") for t in (token, staff)]
    assert (claims[0]["uscc"], claims[1]["agency_id"]) == ("91320102MA1XB0003L", "7-1")


@pytest.mark.parametrize("role, scope, firm, same", [
    ("lead_firm", "42", 42, True), ("lead_firm", "42", "42", True), ("lead_firm", "43", 42, False),
    ("lead_firm", "42", 43, False), ("province_system", "42", 42, False), ("agency_staff", "42", 42, False),
])
def test_a_lead_firm_user_is_only_its_own_firm(role, scope, firm, same):
    assert auth.Principal("s", role, scope).is_lead_firm(firm) is same


def test_the_token_command_signs_rs256_with_a_private_key_and_its_kid(tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from gateway import tokens
    private, public_file = rsa_key_pair(tmp_path, "2026-12")
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    assert tokens.main(["--role", "province_system", "--province", "44", "--private-key", str(key_file),
                        "--kid", "2026-12.pub"]) == 0
    token = capsys.readouterr().out.strip()
    assert jwt.get_unverified_header(token)["kid"] == "2026-12.pub"
    gateway = auth.Authenticator.from_config(as_loaded({"ALGORITHM": "RS256", "PUBLIC_KEY_FILE": public_file}))
    assert gateway.authenticate(bearer(token)) == auth.Principal("province_system:44", "province_system", "44")
