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

``python -m infra.demo_data.bulk <size> [<k> <n>]`` loads the SMEs of a scale (every n-th batch
from the k-th, generating only those) into the database named by ``ONENET_DEMO_DATABASE_URL``,
saying ``loaded <count>`` after each batch and ``stored <count>`` at the end: :mod:`infra.demo`
runs two of them beside the calls to the services, which do not need the SMEs.
"""
import os
import sys
from datetime import date, datetime, timezone

import psycopg2

from chassis import config as process_config, db
from services.activities import store as activities_store
from services.agencies import capacity_store, sme_register
from services.enterprises import domain, imports, store as enterprises_store

BATCH = 5000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def schemas():
    """The schema of each service whose tables the bulk load writes."""
    return {name: process_config.load(os.path.join(ROOT, f"services/{name}/config.yml"))["DB_SCHEMA"]
            for name in ("enterprises", "agencies", "activities")}


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


def main(argv=None):
    """Load the SMEs of scale ``argv[0]`` (the ``argv[1]``-th share of ``argv[2]``, by default all of
    them), reporting on stdout (see the module's docstring)."""
    from infra.demo_data import national
    size, *share = (argv or sys.argv[1:])
    on = date.today()

    def progress(count):
        print(f"loaded {count}", flush=True)

    scale = national.SCALES[size]
    mine, processes = tuple(map(int, share)) if share else (0, 1)
    # Only this process's batches are generated (each SME has a generator of its own).
    rows = (row for first in range(mine * BATCH, scale.enterprises, processes * BATCH)
            for row in national.enterprises(scale, on, serials=range(first, min(first + BATCH, scale.enterprises))))
    stored = load_enterprises(os.environ["ONENET_DEMO_DATABASE_URL"], schemas(), rows, on, progress=progress)
    print(f"stored {stored}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
