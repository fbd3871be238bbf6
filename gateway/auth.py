"""Who is calling: bearer JWT validation and the caller's scope.

Tokens are checked for a pinned algorithm, a valid signature, ``exp``, ``iss``,
``aud`` and ``sub``, a known ``role`` and the scope claim that role needs:
``region`` (6-digit division code) for province, city and county admins,
``agency_id`` for agency staff, ``uscc`` for an enterprise user,
``province`` (2-digit code) for a provincial system and ``lead_firm_id`` for
a lead firm's user (链主企业: a large firm registered by admins to post supply-chain
needs; it is not an SME and has no ``uscc`` claim). A region claim must fit
its role: a province admin's names a province (``330000``), a city admin's a
city (``330100``) and a county admin's a county (``330106``); ``000000`` is
never a scope below the national admin. A token whose claim does not fit is
refused (401), so that no admin is ever scoped wider than their level.

With RS256 every token names its signing key in the header's ``kid``; the gateway
holds the public keys by kid (``gateway.keys``: two while a key is rotated), and a
token without a kid or with one it does not hold is refused (401).

A token's signature and claims are checked once: the caller it names is kept, with the
time it is valid (``iat``/``nbf`` to ``exp``, with the leeway), for the next requests
carrying the same token (the last :data:`REMEMBERED_TOKENS` tokens). Its time is
checked again on every request, so an expired token is refused as before; a token that
was refused is never kept.
"""
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt

from gateway.keys import load_public_keys
from reference import credit_codes

NATIONAL_ADMIN = "national_admin"
PROVINCE_ADMIN = "province_admin"
CITY_ADMIN = "city_admin"
COUNTY_ADMIN = "county_admin"
AGENCY_STAFF = "agency_staff"
ENTERPRISE = "enterprise"
PROVINCE_SYSTEM = "province_system"
LEAD_FIRM = "lead_firm"

# How many verified tokens the gateway remembers (a token is a few hundred bytes).
REMEMBERED_TOKENS = 4096

REGION_ADMINS = (NATIONAL_ADMIN, PROVINCE_ADMIN, CITY_ADMIN, COUNTY_ADMIN)

SCOPE_CLAIM = {
    NATIONAL_ADMIN: None,
    PROVINCE_ADMIN: "region",
    CITY_ADMIN: "region",
    COUNTY_ADMIN: "region",
    AGENCY_STAFF: "agency_id",
    ENTERPRISE: "uscc",
    PROVINCE_SYSTEM: "province",
    LEAD_FIRM: "lead_firm_id",
}
ROLES = tuple(SCOPE_CLAIM)

# How many leading digits of a region code an admin's scope fixes.
REGION_PREFIX_DIGITS = {PROVINCE_ADMIN: 2, CITY_ADMIN: 4, COUNTY_ADMIN: 6}

_SCOPE_FORMAT = {
    "region": re.compile(r"^\d{6}$"),
    "agency_id": re.compile(r"^\d{1,12}$"),
    "uscc": re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
    "province": re.compile(r"^\d{2}$"),
    "lead_firm_id": re.compile(r"^[1-9]\d{0,11}$"),
}


def region_scope_problem(role, region):
    """Why ``region`` (six digits) cannot be the scope of ``role``; None when it fits.

    A province code keeps 2 significant digits (``330000``), a city 4
    (``330100``), a county 6 (``330106``): what follows them is zeros for a
    province or city and never ``00`` for a county.
    """
    digits = REGION_PREFIX_DIGITS[role]
    significant, rest = region[:digits], region[digits:]
    if rest.strip("0") or any(significant[i:i + 2] == "00" for i in range(0, digits, 2)):
        level = role.removesuffix("_admin")
        return f"role {role} needs the region claim of a {level} ({digits} significant digits), not {region}"
    return None


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not ours (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: subject, role and the scope the role is bound to."""

    subject: str
    role: str
    scope: str | None = None

    @property
    def region_prefix(self):
        if self.role in REGION_PREFIX_DIGITS:
            return self.scope[:REGION_PREFIX_DIGITS[self.role]]
        if self.role == PROVINCE_SYSTEM:
            return self.scope
        return None

    def covers_region(self, region_code):
        """Whether this caller administers ``region_code`` (national admin: everywhere)."""
        if self.role == NATIONAL_ADMIN:
            return True
        prefix = self.region_prefix
        return prefix is not None and str(region_code).startswith(prefix)

    def is_enterprise(self, uscc):
        return self.role == ENTERPRISE and self.scope == credit_codes.compact(uscc)

    def is_lead_firm(self, lead_firm_id):
        return self.role == LEAD_FIRM and self.scope == str(lead_firm_id)


class Authenticator:
    """Validates bearer tokens against one pinned algorithm: HS256 with one secret, or RS256
    with the public keys ``key`` maps each ``kid`` to."""

    def __init__(self, algorithm, key, issuer, audience, leeway=30):
        if algorithm not in ("HS256", "RS256"):
            raise ValueError(f"unsupported JWT algorithm {algorithm}")
        if not key:
            raise ValueError("no JWT key configured: set ONENET_JWT_SECRET (HS256) "
                             "or ONENET_JWT_JWKS_FILE / ONENET_JWT_PUBLIC_KEY_FILE (RS256)")
        if algorithm == "RS256" and not isinstance(key, dict):
            raise ValueError("RS256 needs its public keys by kid")
        self.algorithm, self.key = algorithm, key
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._checked = lru_cache(maxsize=REMEMBERED_TOKENS)(self._check)

    @classmethod
    def from_config(cls, jwt_config):
        algorithm = jwt_config.get("ALGORITHM", "HS256")
        if algorithm == "RS256":
            key = load_public_keys(jwt_config.get("JWKS_FILE"), jwt_config.get("PUBLIC_KEY_FILE"))
        else:
            key = jwt_config.get("SECRET")
        return cls(algorithm, key, jwt_config.get("ISSUER", "onenet"),
                   jwt_config.get("AUDIENCE", "onenet-api"))

    def key_for(self, token):
        """The key that must have signed ``token``: the secret, or the public key of its ``kid``."""
        if self.algorithm == "HS256":
            return self.key
        try:  # PyJWT refuses a kid that is not a string
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is invalid: {exc}") from None
        if not kid:
            raise InvalidToken("the token names no signing key (kid)")
        if kid not in self.key:
            raise InvalidToken(f"the token's signing key {kid!r} is not one the gateway holds")
        return self.key[kid]

    def authenticate(self, authorization):
        """The :class:`Principal` behind an ``Authorization`` header value."""
        if not authorization:
            raise InvalidToken("an Authorization: Bearer <token> header is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        caller, valid_from, valid_until = self._checked(token)
        if not valid_from <= time.time() < valid_until:
            self._check(token)  # outside its time: the full check refuses it and says why
        return caller

    def _check(self, token):
        """``(Principal, valid from, valid until)`` for a token whose signature and claims hold
        now; its time as PyJWT judges it (``iat`` and ``nbf`` not after now + leeway,
        ``exp`` after now - leeway)."""
        key = self.key_for(token)
        try:
            claims = jwt.decode(
                token, key, algorithms=[self.algorithm],
                audience=self.audience, issuer=self.issuer, leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not for audience {self.audience}") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token was not issued by {self.issuer}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token lacks the {exc.claim} claim") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is invalid: {exc}") from None
        starts = max((int(claims[name]) for name in ("iat", "nbf") if name in claims), default=-math.inf)
        return principal_from_claims(claims), starts - self.leeway, int(claims["exp"]) + self.leeway


def principal_from_claims(claims):
    role = claims.get("role")
    if role not in SCOPE_CLAIM:
        raise InvalidToken(f"the token's role {role!r} is not one of {', '.join(ROLES)}")
    scope_claim = SCOPE_CLAIM[role]
    scope = None
    if scope_claim is not None:
        scope = str(claims.get(scope_claim, "")).upper()
        if scope_claim == "uscc":
            scope = credit_codes.compact(scope)
        if not _SCOPE_FORMAT[scope_claim].match(scope):
            raise InvalidToken(f"role {role} needs a valid {scope_claim} claim")
        if scope_claim == "region" and region_scope_problem(role, scope):
            raise InvalidToken(region_scope_problem(role, scope))
        if scope_claim == "province" and scope == "00":
            raise InvalidToken("role province_system needs the code of a province, not 00")
    return Principal(subject=str(claims["sub"]), role=role, scope=scope)


def mint(secret, role, scope=None, subject=None, ttl_seconds=3600, issuer="onenet",
         audience="onenet-api", now=None, algorithm="HS256", kid=None):
    """A signed token for ``role`` with its scope claim (development and tests); ``kid`` names
    the signing key in the header (RS256)."""
    import time
    issued = int(now if now is not None else time.time())
    claims = {"iss": issuer, "aud": audience, "sub": subject or f"{role}:{scope or 'all'}",
              "role": role, "iat": issued, "exp": issued + ttl_seconds}
    scope_claim = SCOPE_CLAIM[role]
    if scope_claim is not None:
        if scope is None:
            raise ValueError(f"role {role} needs a {scope_claim}")
        claims[scope_claim] = credit_codes.compact(scope) if scope_claim == "uscc" else scope
    return jwt.encode(claims, secret, algorithm=algorithm, headers={"kid": kid} if kid else None)
