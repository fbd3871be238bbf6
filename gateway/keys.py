"""The public keys the gateway checks RS256 tokens with, by key id (``kid``).

Two sources, which may be combined:

- ``JWKS_FILE``: a JSON Web Key Set (RFC 7517), as an identity provider publishes it at its
  ``jwks_uri``; every key in it needs a ``kid``;
- ``PUBLIC_KEY_FILE``: one or more PEM public keys, comma-separated, each known by its file
  name without ``.pem`` (``/etc/onenet/jwt/2026-12.pem`` is kid ``2026-12``).

While a signing key is rotated both the old and the new key are listed: tokens signed with
either are accepted until the old one is removed (docs/operations.md).
"""
import os

import jwt


def pem_kid(path):
    name = os.path.basename(path)
    return name[:-len(".pem")] if name.endswith(".pem") else name


def load_public_keys(jwks_file=None, pem_files=None):
    """``{kid: public key}`` from a JWKS file and PEM files (``pem_files``: a comma-separated string)."""
    keys = {}
    if jwks_file:
        with open(jwks_file, encoding="utf-8") as handle:
            key_set = jwt.PyJWKSet.from_json(handle.read())
        for jwk in key_set.keys:
            if not jwk.key_id:
                raise ValueError(f"a key in {jwks_file} has no kid")
            keys[jwk.key_id] = jwk.key
    for path in (part.strip() for part in (pem_files or "").split(",")):
        if path:
            kid = pem_kid(path)
            if kid in keys:
                raise ValueError(f"two public keys have the kid {kid!r}")
            with open(path, encoding="ascii") as handle:
                keys[kid] = handle.read()
    return keys
