"""Pagination for every list: ``page`` and ``page_size`` with a hard maximum."""
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


def page_of(items, total, query):
    return {"items": items, "page": query["page"], "page_size": query["page_size"],
            "total": total}


def page_schema(item_schema, name):
    """The OpenAPI-visible schema of one page of ``item_schema``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(),
        "page_size": fields.Integer(),
        "total": fields.Integer(),
    }, name=name)
