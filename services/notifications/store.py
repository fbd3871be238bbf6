"""SQL over the ``notifications`` schema; nothing else touches it."""


def add_notice(tx, notice, source_event_id):
    tx.execute(
        "INSERT INTO notice (recipient_uscc, kind, title, body, source_event_id) "
        "VALUES (%(recipient_uscc)s, %(kind)s, %(title)s, %(body)s, %(source_event_id)s)",
        dict(notice, source_event_id=source_event_id))


def inbox_page(tx, uscc, limit, offset):
    total = tx.one("SELECT count(*) AS n FROM notice WHERE recipient_uscc = %s", (uscc,))["n"]
    rows = tx.all(
        "SELECT id, kind, title, body, created_at, read_at FROM notice "
        "WHERE recipient_uscc = %s ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
        (uscc, limit, offset))
    return rows, total
