"""SQL over the ``agencies`` schema; nothing else touches it."""


def get_agency(tx, agency_id):
    return tx.one("SELECT id, name, level, region_code, parent_id FROM agency WHERE id = %s",
                  (agency_id,))
