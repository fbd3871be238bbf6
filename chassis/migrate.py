"""Versioned SQL migrations per service schema, applied with yoyo-migrations.

Each service's schema gets the chassis tables (outbox, inbox) and then the
service's own ``migrations/`` folder; yoyo records what it applied in the
schema itself, so a run is idempotent.
"""
import os
from urllib.parse import urlsplit, urlunsplit, urlencode, parse_qsl

import psycopg2
from psycopg2 import sql
from yoyo import get_backend, read_migrations

CHASSIS_MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def ensure_database(dsn):
    """Create the database named in ``dsn`` if the server does not have it yet."""
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def apply(dsn, schema, service_migrations):
    """Create ``schema`` if needed and apply every pending migration to it."""
    conn = psycopg2.connect(dsn, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    finally:
        conn.close()
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query))
    query["schema"] = schema
    backend = get_backend(urlunsplit(parts._replace(query=urlencode(query))))
    migrations = read_migrations(CHASSIS_MIGRATIONS, service_migrations)
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]
