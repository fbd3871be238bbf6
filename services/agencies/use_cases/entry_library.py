"""Laws, experts, FAQs, service products and cases (the kinds of :mod:`services.agencies.library`),
and the search over the whole library."""
from chassis import keyset
from chassis.errors import found, loaded as load
from services.agencies import library, library_store, schemas, store


def _entry(tx, spec, entry_id):
    return found(library_store.get_entry(tx, spec, entry_id), spec.name, entry_id)


def add(tx, kind, data):
    spec = library.kind_of(kind)
    values = library.stored_values(load(spec.fields, data, kind))
    row = library_store.insert_entry(tx, spec, values)
    store.index_entry(tx, kind, row["id"], spec.document(row))
    return spec.view().dump(row)


def update(tx, kind, entry_id, changes):
    spec = library.kind_of(kind)
    values = library.stored_values(load(spec.changes, changes, f"{kind} change"))
    _entry(tx, spec, entry_id)
    row = library_store.update_entry(tx, spec, entry_id, values)
    store.index_entry(tx, kind, row["id"], spec.document(row))
    return spec.view().dump(row)


def get(tx, kind, entry_id):
    spec = library.kind_of(kind)
    return spec.view().dump(_entry(tx, spec, entry_id))


def list_entries(tx, kind, filters, limit, offset):
    spec = library.kind_of(kind)
    rows, total = library_store.list_entries(tx, spec, filters, limit, offset)
    return {"items": spec.view(many=True).dump(rows), "total": total}


def search(tx, q, kind=None, area=None, limit=20, offset=0, cursor=None):
    """Entries containing every word of ``q`` (at most five words), title hits first, then the
    most recently updated, then by kind and id: ``{"items", "total", "page", "next_cursor"}``.
    A page starts at ``offset``, or after the hit ``cursor`` names (keyset)."""
    query = load(schemas.SearchFilter, {"q": q, **({"kind": kind} if kind else {}),
                                        **({"area": area} if area else {})}, "search")
    terms = list(dict.fromkeys(query["q"].split()))[:5]
    order = store.search_order(terms)
    start = keyset.decode(cursor, order, query) if cursor else keyset.Start(page=offset // max(limit, 1) + 1)
    rows, total = store.search(tx, terms, kind, area, limit + 1, 0 if cursor else offset, start.position)
    rows, next_cursor = keyset.page_of(order, rows, limit, query, start)
    return {"items": schemas.SearchHit(many=True).dump(rows), "total": total, "page": start.page,
            "next_cursor": next_cursor}