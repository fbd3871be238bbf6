"""Pagination for every list: ``page`` and ``page_size`` with a hard maximum, and a ``next``
link to the following page (null on the last)."""
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class PageQuery(Schema):
    """``?page=1&page_size=20``; ``page_size`` may not exceed 100."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def window(query):
    """``(limit, offset)`` for a validated :class:`PageQuery`."""
    return query["page_size"], (query["page"] - 1) * query["page_size"]


def filters_of(query):
    """A validated list query without its paging parameters: the filters."""
    return {key: value for key, value in query.items() if key not in ("page", "page_size")}


def listed(query, fetch, *args, **kwargs):
    """One page from an RPC ``fetch(*args, filters, limit, offset, **kwargs)`` answering
    ``{"items", "total"}``."""
    limit, offset = window(query)
    found = fetch(*args, filters_of(query), limit, offset, **kwargs)
    return page_of(found["items"], found["total"], query)


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
        cursor = answer["next_cursor"]
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
