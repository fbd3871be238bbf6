"""Pagination for every list: ``page`` and ``page_size`` with a hard maximum, and a ``next``
link to the following page (null on the last).

The large lists (enterprises, requests, library search; the inbox too) are keyset lists
(:mod:`chassis.keyset`): beside ``page`` they take ``cursor``, the ``next_cursor`` of the
page before, and their ``next`` link carries it, so that walking one to its end skips and
repeats nothing while rows are added meanwhile. ``page`` with ``total`` stays for admin
tables that show the count and jump to a page.
"""
from urllib.parse import urlencode

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from chassis import keyset

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class PageQuery(Schema):
    """``?page=1&page_size=20``; ``page_size`` may not exceed 100."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class KeysetPageQuery(PageQuery):
    """``?page=1&page_size=20`` or ``?cursor=…&page_size=20``: a page by number, or the page a
    ``next_cursor`` opens (sent with the filters it was given out for)."""

    cursor = keyset.cursor_field()

    @validates_schema(pass_original=True)
    def _page_or_cursor(self, data, original, **kwargs):
        if "cursor" in data and "page" in (original or {}):
            raise ValidationError("give page or cursor, not both: a cursor names its own page", "cursor")


def window(query):
    """``(limit, offset)`` for a validated :class:`PageQuery`."""
    return query["page_size"], (query["page"] - 1) * query["page_size"]


def filters_of(query):
    """A validated list query without its paging parameters: the filters."""
    return {key: value for key, value in query.items() if key not in ("page", "page_size", "cursor")}


def listed(query, fetch, *args, **kwargs):
    """One page from an RPC ``fetch(*args, filters, limit, offset, **kwargs)`` answering
    ``{"items", "total"}``."""
    limit, offset = window(query)
    found = fetch(*args, filters_of(query), limit, offset, **kwargs)
    return page_of(found["items"], found["total"], query)


def keyset_listed(query, fetch, *args, **kwargs):
    """One page of a keyset list from an RPC ``fetch(*args, filters, limit, offset, cursor=…,
    **kwargs)`` answering ``{"items", "total", "page", "next_cursor"}``."""
    limit, offset = window(query)
    found = fetch(*args, filters_of(query), limit, offset, cursor=query.get("cursor"), **kwargs)
    return keyset_page_of(found, query)


def keyset_page_of(found, query, items=None):
    """A keyset list's page from the service's answer (``items``: the items as the gateway
    words them, when it adds to them)."""
    return dict(page_of(found["items"] if items is None else items, found["total"], dict(query, page=found["page"])),
                next_cursor=found["next_cursor"])


def page_of(items, total, query):
    return {"items": items, "page": query["page"], "page_size": query["page_size"],
            "total": total}


PAGE_KEYS = frozenset({"items", "page", "page_size", "total"})


def with_next_link(answer, url, args):
    """A page answer with ``next``: the URL of the following page (a keyset page's: this query
    with ``cursor=next_cursor``), None on the last."""
    if not isinstance(answer, dict) or "next" in answer:
        return answer
    if "next_cursor" in answer:
        cursor, args = answer["next_cursor"], {key: value for key, value in args.items() if key != "page"}
        return dict(answer, next=f"{url}?{urlencode({**args, 'cursor': cursor})}" if cursor else None)
    if not PAGE_KEYS <= set(answer):
        return answer
    more = answer["page"] * answer["page_size"] < answer["total"]
    query = {**args, "page": answer["page"] + 1, "page_size": answer["page_size"]}
    return dict(answer, next=f"{url}?{urlencode(query)}" if more else None)


def page_schema(item_schema, name):
    """The OpenAPI-visible schema of one page of ``item_schema``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(),
        "page_size": fields.Integer(),
        "total": fields.Integer(metadata={"description": "Items on every page together"}),
        "next": fields.Url(allow_none=True, metadata={"description": "The following page; null on the last",
                                                      "example": "https://onenet.example.org/api/v1/laws?page=2&page_size=20"}),
    }, name=name)


def keyset_page_schema(item_schema, name, example_url):
    """The OpenAPI-visible schema of one page of a keyset list of ``item_schema``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(metadata={"description": "The page's number: the page asked for, or the one the "
                                                        "cursor opens"}),
        "page_size": fields.Integer(),
        "total": fields.Integer(metadata={"description": "Items on every page together"}),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "Opaque: send it as cursor, with the same filters, for the following page; null on "
                           "the last", "example": example_url.rsplit("cursor=", 1)[-1]}),
        "next": fields.Url(allow_none=True, metadata={
            "description": "The following page (this query with cursor=next_cursor); null on the last",
            "example": example_url}),
    }, name=name)
