"""The demo's SMEs at national scale, written before the network starts (``prepare`` time).

Tens of thousands of ``enterprise.registered`` events would keep every consumer busy for
minutes, so the generated SMEs (:func:`infra.demo_data.national.enterprises`) are written
the way a migration would write them, and their consumers' read models with them:

* the enterprises service's own checks and bulk store (:func:`imports.profiles_from`,
  :func:`store.import_profiles`: COPY, then one INSERT … SELECT per table);
* for each SME stored, what its ``enterprise.registered`` event would have told its
  consumers, through the consumers' own code: the agencies service's SME register
  (:func:`sme_register.facts_of`, :func:`capacity_store.add_sme_facts`) and the activities
  service's read model of SMEs (:func:`store.register_enterprises`).

One transaction per batch covers all three schemas, so a read model never holds an SME the
enterprises service lacks. No outbox row is written: the events are not sent, because their
effects are already in place; no welcome notice is written either (these SMEs were on the
network before this run). An SME already on record is left as it is, so loading twice adds
nothing.
"""
from datetime import datetime, timezone

import psycopg2

from chassis import db
from services.activities import store as activities_store
from services.agencies import capacity_store, sme_register
from services.enterprises import domain, imports, store as enterprises_store

BATCH = 5000


def batches(rows, size=BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_enterprises(database_url, schemas, rows, on, progress=None):
    """Store the registrations ``rows`` and feed the read models; returns how many were new.

    ``schemas``: the schema of each service (``{"enterprises": ..., "agencies": ...,
    "activities": ...}``); ``progress(count)`` is told after each batch.
    """
    import json
    stored_total = 0
    conn = psycopg2.connect(database_url, connect_timeout=5, application_name="onenet-demo")
    try:
        for batch in batches(rows):
            content = "\n".join(json.dumps(row, ensure_ascii=False) for row in batch)
            profiles, rejected, _ = imports.profiles_from(content, "jsonl", on)
            if rejected:
                raise RuntimeError(f"demo SMEs rejected by the enterprises service's checks: {rejected[:3]}")
            profiles = [profile for _, profile in profiles]
            occurred_at = datetime.now(timezone.utc)
            with db.transaction(conn) as tx:
                tx.execute(f"SET LOCAL search_path TO {schemas['enterprises']}, public")
                stored = enterprises_store.import_profiles(tx, profiles, on)
                announced = [domain.registered_event(profile, on) for profile in profiles
                             if profile["uscc"] in stored]
                if announced:
                    tx.execute(f"SET LOCAL search_path TO {schemas['agencies']}, public")
                    capacity_store.add_sme_facts(tx, [
                        fact for payload in announced for fact in sme_register.facts_of(
                            {"type": "enterprise.registered", "occurred_at": occurred_at.isoformat(),
                             "payload": payload})])
                    tx.execute(f"SET LOCAL search_path TO {schemas['activities']}, public")
                    activities_store.register_enterprises(tx, announced, occurred_at)
            stored_total += len(stored)
            if progress:
                progress(len(batch))
    finally:
        conn.close()
    return stored_total
