"""SQL over the ``requests`` schema; nothing else touches it."""


def count_by_state(tx, uscc):
    rows = tx.all("SELECT state, count(*) AS n FROM service_request WHERE uscc = %s GROUP BY state",
                  (uscc,))
    return {row["state"]: row["n"] for row in rows}
