"""Keyset pagination (游标分页) for the large lists: enterprises, requests, notices, search.

A list states its order once, as an :class:`Order` of :class:`Key` columns that ends
on a unique one. A page is the rows after a position in that order (``WHERE
(sort key, id) > (…) ORDER BY … LIMIT n + 1``), so a walk through the list neither
skips nor repeats a row while rows are added or removed around it, and the
hundredth page costs what the first does.

The position travels to the client as an opaque cursor: base64url of JSON
``[fingerprint, check, page, position]``. The fingerprint is a hash of the list
and the filters the cursor was given out for; the check a hash of everything
else. A cursor that does not decode, was changed, or comes back with other
filters is a 422 naming ``cursor`` (:class:`chassis.errors.ValidationFailed`).
``page`` is the number of the page the cursor opens, so a list that also answers
``page`` (an admin table with totals) keeps counting.
"""
import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from chassis.errors import ValidationFailed

# Longer cursors than any position of ours makes; the check runs before anything is decoded.
MAX_CURSOR_LENGTH = 1000
CURSOR_PATTERN = r"^[A-Za-z0-9_=-]+$"

MALFORMED = ("not a cursor this list gave out, or changed since: pass the next_cursor of the page "
             "before unchanged, or leave cursor out to start from the first page")
OTHER_FILTERS = ("this cursor was given out for other filters or another order: send it with the "
                 "query it came from, or leave cursor out to start again from the first page")

TEXT, INTEGER, TIMESTAMP, DATE, NUMERIC, BOOLEAN, UUID = (
    "text", "integer", "timestamp", "date", "numeric", "boolean", "uuid")


def _readable(kind, value):
    """Whether ``value`` (from JSON) is a value of ``kind``."""
    try:
        if kind == TEXT:
            return isinstance(value, str)
        if kind == INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if kind == BOOLEAN:
            return isinstance(value, bool)
        if not isinstance(value, str):
            return False
        if kind == TIMESTAMP:
            return datetime.fromisoformat(value).tzinfo is not None
        if kind == DATE:
            return bool(date.fromisoformat(value))
        if kind == NUMERIC:
            return Decimal(value).is_finite()
        if kind == UUID:
            return bool(uuid.UUID(value))
    except (ValueError, InvalidOperation):
        return False
    raise ValueError(f"no key kind {kind}")


def plain(value):
    """A value as JSON carries it in a cursor (and in a fingerprint)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(plain(item) for item in value) if isinstance(value, (set, frozenset)) else \
            [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


@dataclass(frozen=True)
class Key:
    """One column of a list's order: its SQL expression, the field of a row that holds its value,
    the kind of that value, its direction, and whether it may be null (nulls sort last)."""

    sql: str
    field: str
    kind: str = TEXT
    descending: bool = False
    nullable: bool = False

    def order_by(self):
        return self.sql + (" DESC" if self.descending else "") + (" NULLS LAST" if self.nullable else "")


class Order:
    """The order of one list (``name``), its keys most significant first; the last key must be
    unique (an id), so that a position names one row."""

    def __init__(self, name, *keys):
        self.name, self.keys = name, tuple(keys)

    def order_by(self):
        """The ORDER BY list."""
        return ", ".join(key.order_by() for key in self.keys)

    def position_of(self, row):
        """The position of ``row`` (a dict holding each key's field), as JSON carries it."""
        return [plain(row[key.field]) for key in self.keys]

    def after(self, position, params):
        """The WHERE condition for the rows after ``position``; its values go into ``params``: a
        list (``%s`` placeholders) or a dict (``%(keyset_N)s``, for statements with named ones)."""

        def bind(value):
            if isinstance(params, dict):
                name = f"keyset_{len([k for k in params if str(k).startswith('keyset_')])}"
                params[name] = value
                return f"%({name})s"
            params.append(value)
            return "%s"

        keys = self.keys
        if not any(key.nullable for key in keys) and len({key.descending for key in keys}) == 1:
            # One direction, no nulls: a row comparison, which an index on the keys serves.
            op = "<" if keys[0].descending else ">"
            return (f"({', '.join(key.sql for key in keys)}) {op} "
                    f"({', '.join(bind(value) for value in position)})")
        alternatives = []
        for index, key in enumerate(keys):
            if position[index] is None:
                continue  # nothing sorts after a null: nulls sort last
            # Placeholders are bound in the order they appear in the text (positional parameters).
            same = [f"{earlier.sql} IS NULL" if value is None else f"{earlier.sql} = {bind(value)}"
                    for earlier, value in zip(keys[:index], position[:index])]
            op = "<" if key.descending else ">"
            beyond = f"{key.sql} {op} {bind(position[index])}"
            if key.nullable:
                beyond = f"({beyond} OR {key.sql} IS NULL)"
            alternatives.append(f"({' AND '.join(same + [beyond])})" if same else beyond)
        return "(" + " OR ".join(alternatives) + ")" if alternatives else "FALSE"

    def readable(self, position):
        return (isinstance(position, list) and len(position) == len(self.keys) and
                all((value is None and key.nullable) or (value is not None and _readable(key.kind, value))
                    for key, value in zip(self.keys, position)))


def _digest(*parts):
    text = json.dumps([plain(part) for part in parts], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint(order_name, filters):
    """What a cursor remembers of the query it was given out for: the list and its filters."""
    return _digest(order_name, {key: value for key, value in (filters or {}).items() if value is not None})


def encode(order, row, filters, page):
    """The cursor of the page after ``row``: page number ``page`` of ``order`` under ``filters``."""
    return encode_position(order.name, order.position_of(row), filters, page)


def encode_position(order_name, position, filters, page):
    prints = fingerprint(order_name, filters)
    position = plain(position)
    text = json.dumps([prints, _digest(prints, page, position), page, position],
                      ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Start:
    """Where a page starts: after ``position`` (None: at the beginning), and its number."""

    position: list = None
    page: int = 1


def decode(cursor, order, filters):
    """The :class:`Start` a cursor names; :class:`ValidationFailed` (422, on ``cursor``) if it is
    malformed or changed, or was given out for other filters or another list."""
    if not cursor:
        return Start()
    try:
        if len(cursor) > MAX_CURSOR_LENGTH or not re.fullmatch(CURSOR_PATTERN, cursor):
            raise ValueError
        unpadded = cursor.rstrip("=")
        prints, check, page, position = json.loads(
            base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4)).decode())
        if check != _digest(prints, page, position) or not isinstance(page, int) or isinstance(page, bool) \
                or page < 2:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("the cursor is not valid", {"cursor": [MALFORMED]}) from None
    if prints != fingerprint(order.name, filters):
        raise ValidationFailed("the cursor does not belong to this query", {"cursor": [OTHER_FILTERS]})
    if not order.readable(position):
        raise ValidationFailed("the cursor is not valid", {"cursor": [MALFORMED]})
    return Start(position, page)


def page_of(order, rows, limit, filters, start):
    """``(rows, next_cursor)`` from up to ``limit + 1`` rows fetched after ``start``: the page,
    and the cursor of the page after it (None on the last)."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(order, rows[-1], filters, start.page + 1)


# -- the query parameter ------------------------------------------------------------------------

def check_cursor(value):
    """What the gateway can tell of a cursor without the list: its length and alphabet."""
    if len(value) > MAX_CURSOR_LENGTH or not re.fullmatch(CURSOR_PATTERN, value):
        raise ValidationError(MALFORMED)


def cursor_field(example=None):
    """The ``cursor`` query parameter of a keyset list."""
    metadata = {"description": "Opaque: the next_cursor of the page before, sent with the same filters "
                               "(another cursor, a changed one or other filters are 422)"}
    if example:
        metadata["example"] = example
    return fields.String(validate=check_cursor, metadata=metadata)
