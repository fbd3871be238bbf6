"""Webhook subscriptions' signing secrets, sealed at rest.

The table keeps each secret (Standard Webhooks ``whsec_…``) sealed with the keys of
``ONENET_WEBHOOK_SECRET_KEYS`` (:mod:`chassis.sealing`: the first seals, every one opens); it is
opened only to sign a request, and shown as it is once, in the answer that creates the
subscription.

A secret stored before secrets were sealed (``whsec_…`` in the table) is sealed by the first
replica that starts with a key (:func:`seal_plain`, which the delivery dispatcher runs at start).
``reseal`` seals every stored secret again under the first key, after a new key was put first
(docs/operations.md), and seals any still stored as it is (one a replica of an older version
wrote during a rolling upgrade):

    python -m services.notifications.signing_secrets reseal     every secret under the first key
    python -m chassis.sealing new-key                           a fresh key

Both are safe beside running replicas: each batch of rows is locked while it is rewritten, and a
secret sealed under any configured key opens in every replica.
"""
import argparse
import os
import sys

from chassis import config as process_config
from chassis.db import ConnectionPool, transaction
from chassis.sealing import SealingKeys, Unreadable
from services.notifications import store, webhooks

SETTING = "ONENET_WEBHOOK_SECRET_KEYS"
BATCH = 500
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.yml")


def keys_of(config):
    """The service's sealing keys (``WEBHOOK_SECRET_KEYS``); a ``ValueError`` naming the setting when
    there is none, or one is not a key."""
    return SealingKeys.from_setting(config.get("WEBHOOK_SECRET_KEYS"), SETTING)


def _rewrite(conn, change, starting=None, batch=BATCH):
    """Store ``change(secret)`` for every stored secret (only those ``starting`` with a prefix, when
    given), a batch of rows a transaction: ``(rewritten, ids of the secrets no key opens)``."""
    after, rewritten, unreadable = 0, 0, []
    while True:
        with transaction(conn) as tx:
            rows = store.stored_secrets(tx, after, batch, starting)
            changed = {}
            for row in rows:
                try:
                    changed[row["id"]] = change(row["secret"])
                except Unreadable:
                    unreadable.append(row["id"])
            store.replace_secrets(tx, changed)
        rewritten += len(changed)
        if len(rows) < batch:
            return rewritten, unreadable
        after = rows[-1]["id"]


def is_plain(stored):
    """Whether a stored secret is as the subscriber got it (never sealed): a Fernet token never
    starts with ``whsec_``."""
    return stored.startswith(webhooks.SECRET_PREFIX)


def seal_plain(conn, keys, batch=BATCH):
    """Seal every secret stored as it is; how many there were."""
    return _rewrite(conn, keys.seal, webhooks.SECRET_PREFIX, batch)[0]


def reseal(conn, keys, batch=BATCH):
    """Every stored secret sealed again under the first key (one stored as it is: sealed):
    ``(resealed, ids of the subscriptions whose secret no configured key opens)``, those left as
    they were."""
    return _rewrite(conn, lambda stored: keys.seal(stored) if is_plain(stored) else keys.reseal(stored),
                    batch=batch)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Webhook subscriptions' signing secrets, sealed at rest.")
    parser.add_argument("command", choices=["reseal"],
                        help="reseal: seal every stored secret again under the first key of " + SETTING)
    parser.add_argument("--config", default=CONFIG, help="the notifications service's config.yml")
    args = parser.parse_args(argv)
    config = process_config.load(args.config, own_accounts=True)
    try:
        keys = keys_of(config)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    pool = ConnectionPool(config["DATABASE_URL"], config["DB_SCHEMA"], size=1, prepare=False)
    try:
        with pool.connection() as conn:
            resealed, unreadable = reseal(conn, keys)
    finally:
        pool.close()
    print(f"resealed {resealed} secret(s) under the first of {keys.count} key(s)")
    if unreadable:
        print(f"{len(unreadable)} secret(s) open with none of the keys of {SETTING} and were left as they were "
              f"(subscriptions {', '.join(map(str, unreadable))}): add the key they were sealed with and run "
              "reseal again before removing any key", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
