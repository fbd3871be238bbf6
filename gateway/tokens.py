"""Mint a development token: ``python -m gateway.tokens --role county_admin --region 110105``.

Signs with HS256 and ``ONENET_JWT_SECRET``, or with RS256 and ``--private-key <pem> --kid <kid>``
(the kid the gateway knows the public key by); prints the token alone on stdout.
"""
import argparse
import os
import sys

from gateway import auth


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", required=True, choices=auth.ROLES)
    parser.add_argument("--region", help="6-digit region code (province/city/county admins)")
    parser.add_argument("--agency-id", help="agency id (agency staff)")
    parser.add_argument("--uscc", help="unified social credit code (enterprise users)")
    parser.add_argument("--province", help="2-digit province code (provincial systems)")
    parser.add_argument("--lead-firm-id", help="lead firm id (a lead firm's user)")
    parser.add_argument("--sub", help="subject; defaults to role:scope")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    parser.add_argument("--private-key", help="PEM private key file: sign with RS256 instead of HS256")
    parser.add_argument("--kid", help="with --private-key: the key id the gateway knows the public key by")
    args = parser.parse_args(argv)
    if args.private_key:
        if not args.kid:
            parser.error("--private-key needs --kid")
        with open(args.private_key, encoding="ascii") as handle:
            secret, algorithm = handle.read(), "RS256"
    else:
        secret, algorithm = os.environ.get("ONENET_JWT_SECRET"), "HS256"
        if not secret:
            parser.error("ONENET_JWT_SECRET is not set")
    scope_claim = auth.SCOPE_CLAIM[args.role]
    scope = getattr(args, scope_claim) if scope_claim else None
    if scope_claim and not scope:
        parser.error(f"role {args.role} needs --{scope_claim.replace('_', '-')}")
    print(auth.mint(secret, args.role, scope, subject=args.sub, ttl_seconds=args.ttl, algorithm=algorithm,
                    kid=args.kid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
