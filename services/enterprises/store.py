"""SQL over the ``enterprises`` schema; nothing else touches it."""
import psycopg2

from chassis.errors import Conflict

COLUMNS = ("uscc", "name", "region_code", "province_code", "city_code",
           "industry_code", "employees", "revenue")


def insert_enterprise(tx, profile):
    try:
        tx.execute("SAVEPOINT register")
        row = tx.one(
            f"INSERT INTO enterprise ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))}) RETURNING *",
            [profile[column] for column in COLUMNS])
    except psycopg2.errors.UniqueViolation:
        tx.execute("ROLLBACK TO SAVEPOINT register")
        raise Conflict(f"an enterprise with uscc {profile['uscc']} is already registered",
                       {"uscc": ["already registered"]}) from None
    return row


def get_enterprise(tx, uscc):
    return tx.one("SELECT * FROM enterprise WHERE uscc = %s", (uscc,))
