"""Routes over the library entries: laws (/laws), experts (/experts), FAQs (/faqs),
service products (/products) and cases (/cases), plus the library search.

Every library is public to read, as the search that lists its entries is; an
expert's phone and e-mail are for admins and agency staff only: everyone else
(anonymous callers too) sees the expert's name, organisation and areas and the
contact route through the agency. Each search hit links to its entry. Admins add and change entries inside their own region (an
entry's region code; 000000 entries are the national admin's); an entry
outside it answers changes like one that does not exist.
"""
from marshmallow import fields

from chassis import keyset
from gateway import access, auth, pages
from gateway.api import hidden, require_region, route
from gateway.rpc import ServiceProxy
from services.agencies import schemas


ENTRY_PATHS = {"policy": "/api/v1/policies", "law": "/api/v1/laws", "faq": "/api/v1/faqs",
               "expert": "/api/v1/experts", "provider": "/api/v1/providers", "product": "/api/v1/products",
               "case": "/api/v1/cases"}


class LinkedSearchHit(schemas.SearchHit):
    href = fields.Url(metadata={"description": "Where the entry is read, without a token (GET)",
                                "example": "https://onenet.example.org/api/v1/faqs/7"})


SearchPage = pages.keyset_page_schema(
    LinkedSearchHit, "SearchPage", "https://onenet.example.org/api/v1/search?q=%E4%B8%93%E7%B2%BE%E7%89%B9%E6%96%B0"
    "&page_size=20&cursor=" + keyset.encode_position("search", [True, "2026-03-31T10:00:00+08:00", "policy", 12],
                                                     {"q": "专精特新"}, 2))


class SearchQuery(pages.KeysetPageQuery, schemas.SearchFilter):
    """Words, filters and page (by number or cursor) of ``GET /api/v1/search``."""

    cursor = keyset.cursor_field(example=keyset.encode_position(
        "search", [True, "2026-03-31T10:00:00+08:00", "policy", 12], {"q": "专精特新"}, 2))


EXPERT_CONTACT_READERS = frozenset(auth.REGION_ADMINS + (auth.AGENCY_STAFF,))
EXPERT_CONTACT_FIELDS = ("phone", "email")
EXPERT_CONTACT_ROUTE = ("through the agency: raise a request (POST /api/v1/requests) in one of the "
                        "expert's service areas naming the expert; the agency that takes it arranges "
                        "the contact")

READ_PUBLIC = """
    everyone  ok  ok  -"""
READ_SIGNED_IN = """
    signed_in  ok  ok  -"""
ADD = """
    national_admin  ok  ok       -
    region_admins   ok  refused  -"""
CHANGE = """
    national_admin  ok  ok      -
    region_admins   ok  hidden  -"""


def as_seen_by(principal, kind, entry):
    """An entry as the caller (None: anonymous) may see it: an expert's phone and e-mail only
    for admins and agency staff; everyone else gets the contact route through the agency."""
    if kind != "expert" or (principal is not None and principal.role in EXPERT_CONTACT_READERS):
        return entry
    shown = {key: value for key, value in entry.items() if key not in EXPERT_CONTACT_FIELDS}
    shown["contact_route"] = EXPERT_CONTACT_ROUTE
    return shown


def entry_routes(kind, path, title, filter_schema, public_read):
    """The four routes of one library kind: list, read, add and change."""
    spec = schemas.LIBRARY_KINDS[kind]
    plural = f"{kind}s"
    read = READ_PUBLIC if public_read else READ_SIGNED_IN
    listing = access.PUBLIC if public_read else access.callers("signed_in")
    query = type(f"{spec.view.__name__}Query", (pages.PageQuery, filter_schema), {})
    page_schema = pages.page_schema(spec.view, f"{spec.view.__name__}Page")

    @route("GET", path, access=listing, query=query,
           response=page_schema, tags=["library"], summary=f"{title}: list",
           order="most recently updated first, then by id (descending)")
    def list_entries(self, call):
        found = pages.listed(call.query, self.agencies.list_entries, kind)
        found["items"] = [as_seen_by(call.principal, kind, entry) for entry in found["items"]]
        return found

    @route("GET", f"{path}/<int:entry_id>", access=read, response=spec.view, tags=["library"],
           summary=f"{title}: one")
    def get_entry(self, call, entry_id):
        return as_seen_by(call.principal, kind, self.agencies.get_entry(kind, entry_id))

    @route("POST", path, access=ADD, body=spec.fields, response=spec.view, status=201,
           tags=["library"], summary=f"{title}: add one in the caller's region")
    def add_entry(self, call):
        require_region(call.principal, call.body.get("region_code", schemas.NATIONWIDE), f"a {kind}")
        return self.agencies.add_entry(kind, call.body)

    @route("PATCH", f"{path}/<int:entry_id>", access=CHANGE, body=spec.changes, response=spec.view,
           tags=["library"], summary=f"{title}: change one of the caller's region")
    def update_entry(self, call, entry_id):
        entry = self.agencies.get_entry(kind, entry_id)
        if not call.principal.covers_region(entry["region_code"]):
            raise hidden(kind, entry_id)
        if "region_code" in call.body:
            require_region(call.principal, call.body["region_code"], f"a {kind}")
        return self.agencies.update_entry(kind, entry_id, call.body)

    for method, name in ((list_entries, f"list_{plural}"), (get_entry, f"get_{kind}"),
                         (add_entry, f"add_{kind}"), (update_entry, f"update_{kind}")):
        method.__name__ = method.__qualname__ = name
    return list_entries, get_entry, add_entry, update_entry


class LibraryRoutes:
    agencies = ServiceProxy("agencies")

    list_laws, get_law, add_law, update_law = entry_routes(
        "law", "/api/v1/laws", "Laws and regulations (法律法规)", schemas.AreaRegionFilter, public_read=True)
    list_experts, get_expert, add_expert, update_expert = entry_routes(
        "expert", "/api/v1/experts", "Experts (专家库)", schemas.ExpertFilter, public_read=True)
    list_faqs, get_faq, add_faq, update_faq = entry_routes(
        "faq", "/api/v1/faqs", "FAQs (常见问题)", schemas.AreaRegionFilter, public_read=True)
    list_products, get_product, add_product, update_product = entry_routes(
        "product", "/api/v1/products", "Service products (服务产品)", schemas.CatalogueFilter, public_read=True)
    list_cases, get_case, add_case, update_case = entry_routes(
        "case", "/api/v1/cases", "Service cases (服务案例)", schemas.CatalogueFilter, public_read=True)

    @route("GET", "/api/v1/search", access=access.PUBLIC, query=SearchQuery, response=SearchPage, tags=["library"],
           summary="Search the libraries (policies, laws, FAQs, experts, providers, products, cases); "
                   "entries whose title holds the words first, then the most recently updated",
           order="entries whose title holds every word first, then the most recently updated, then by "
                 "kind and id")
    def search_library(self, call):
        """Every word of ``q`` must occur; 专精特新 is found inside longer titles and texts.

        Experts and providers are found by name and field; their contact
        details stay behind their own authenticated routes.
        """
        query = call.query
        limit, offset = pages.window(query)
        found = self.agencies.search(query["q"], query.get("kind"), query.get("area"), limit, offset,
                                     query.get("cursor"))
        items = [dict(hit, href=f"{call.base_url}{ENTRY_PATHS[hit['kind']]}/{hit['id']}") for hit in found["items"]]
        return pages.keyset_page_of(found, query, items)
