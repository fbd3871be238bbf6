"""A recipient's inbox: its notices a page at a time (keyset), unread counts, marking read."""
import uuid

from chassis import keyset
from chassis.errors import NotFound
from services.notifications import schemas, store
from services.notifications.store import INBOX_ORDER


def page(tx, recipients, query):
    """One page of the notices of ``recipients`` (a caller's identities), newest first, for a loaded
    :class:`schemas.InboxQuery`: ``{"items", "page_size", "next_cursor"}``. A cursor is good for the
    kind and read state it was given out for."""
    filters = {"kind": query.get("kind"), "unread": query.get("unread")}
    start = keyset.decode(query.get("cursor"), INBOX_ORDER, filters)
    items = store.inbox_page(tx, recipients, query.get("kind"), query.get("unread"), start.position,
                             query["page_size"] + 1)
    items, cursor = keyset.page_of(INBOX_ORDER, items, query["page_size"], filters, start)
    return {"items": schemas.Notice(many=True).dump(items), "page_size": query["page_size"], "next_cursor": cursor}


def unread(tx, recipients):
    by_kind = store.unread_counts(tx, recipients)
    return {"unread": sum(by_kind.values()), "by_kind": by_kind}


def mark_read(tx, recipients, notice_id):
    """Mark one of the notices of ``recipients`` read; ``NotFound`` for any other (or no such) notice."""
    try:
        key = str(uuid.UUID(str(notice_id)))
    except ValueError:
        key = None  # not a notice id: no such notice
    notice = store.mark_read(tx, recipients, key) if key else None
    if notice is None:
        raise NotFound(f"no notice with id {notice_id}", {"notice_id": str(notice_id)})
    return schemas.Notice().dump(notice)


def mark_all_read(tx, recipients, kind):
    return {"marked": store.mark_all_read(tx, recipients, kind)}
