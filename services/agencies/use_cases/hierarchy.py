"""The agency hierarchy and service stations, routing, and each agency's service guide (六公开)."""
from chassis.errors import NotFound, ValidationFailed, each, found, loaded as load
from services.agencies import capacity, capacity_store, domain, honours, provider_store, schemas, skeleton, store
from services.agencies.contract import routing


def agency(tx, agency_id, lock=False):
    """The agency, or ``NotFound``."""
    return found(store.get_agency(tx, agency_id, lock), "agency", agency_id, "agency_id")


def view(row):
    return schemas.Agency().dump(domain.view(row))


def _parent(tx, parent_id):
    """The named parent, or ``ValidationFailed`` (a field of the input, not the object asked for)."""
    parent = store.get_agency(tx, parent_id)
    if parent is None:
        raise ValidationFailed(f"no agency with id {parent_id}", {"parent_id": [f"no agency with id {parent_id}"]})
    return parent


def list_agencies(tx, filters, limit, offset):
    rows, total = store.list_agencies(tx, filters, limit, offset)
    return {"items": schemas.Agency(many=True).dump([domain.view(row) for row in rows]), "total": total}


def create_agency(tx, outbox, data):
    """Add an agency or station under a parent covering its region; emits ``agency.created``."""
    data = load(schemas.AgencyCreation, data, "agency")
    row = store.insert_agency(tx, domain.new_agency(data, _parent(tx, data["parent_id"])))
    outbox.add(tx, "agency.created", domain.event_payload(row), aggregate_id=row["id"])
    return row


def update_agency(tx, outbox, agency_id, changes):
    """Rename, re-parent, (de)activate or change areas; emits ``agency.updated``."""
    changes = load(schemas.AgencyChanges, changes, "agency change")
    current = agency(tx, agency_id, lock=True)
    new_parent, chain = None, ()
    if "parent_id" in changes and changes["parent_id"] != current["parent_id"]:
        new_parent = _parent(tx, changes["parent_id"])
        chain = store.chain_above(tx, new_parent["id"])
    row = store.update_agency(tx, domain.changed_agency(current, changes, new_parent, chain))
    outbox.add(tx, "agency.updated", domain.event_payload(row, changes), aggregate_id=row["id"])
    return row


def generate_skeleton(tx, outbox):
    """The national skeleton from GB/T 2260 (idempotent): ``(created rows, total agencies)``."""
    created = store.insert_skeleton(tx, skeleton.national_skeleton())
    outbox.add_many(tx, "agency.created", [(domain.event_payload(row), row["id"]) for row in created])
    return created, store.count_agencies(tx)


def route(tx, region_code, service_area, park=None):
    """The agency answering for a place in a service area, with the reasoning; ``NotFound`` if none."""
    query = load(schemas.RoutingQuery, {"region": region_code, "area": service_area,
                                        **({"park": park} if park else {})}, "routing query")
    candidates = store.route_candidates(tx, domain.covering_prefixes(query["region"]), park)
    chosen, explanation = routing.route_among(candidates, service_area, region_code, park)
    if chosen is None:
        raise NotFound(f"no agency covers {region_code} in {service_area}",
                       {"region": region_code, "area": service_area, "explanation": explanation})
    return {"agency": view(chosen), "explanation": explanation}


def escalation_target(tx, agency_id):
    """The agency's parent, or None at national level."""
    current = agency(tx, agency_id)
    if current["parent_id"] is None:
        return None
    return view(store.get_agency(tx, current["parent_id"]))


def get_guide(tx, agency_id, today):
    """The published guide with its capacity record's commitments and the agency's honours."""
    agency(tx, agency_id)
    guide = store.get_guide(tx, agency_id)
    if guide is None:
        raise NotFound(f"agency {agency_id} has published no service guide", {"agency_id": agency_id})
    beside = capacity.published_beside_guide(capacity_store.latest_record(tx, agency_id), today)
    return schemas.Guide().dump({**guide, **beside, "honours": honours.honours(tx, agency_id)})


def _check_guide(current, content):
    """``ValidationFailed`` unless every item of the guide is in an area ``current`` offers."""
    foreign = [item["service_area"] for item in content["items"]
               if item["service_area"] not in current["service_areas"]]
    if foreign:
        message = f"agency {current['id']} does not offer {', '.join(foreign)}"
        raise ValidationFailed(message, {"items": [message]})


def _guide_published(agency_id, version, items):
    return schemas.GuidePublished().dump({"agency_id": agency_id, "version": version, "time_limits": items})


def publish_guide(tx, outbox, agency_id, content, actor):
    """A new version of the guide; every item's area must be one the agency offers. Emits
    ``guide.published`` with its time limits (the requests service counts deadlines by them)."""
    content = load(schemas.GuideContent, content, "service guide")
    _check_guide(agency(tx, agency_id, lock=True), content)
    guide = store.replace_guide(tx, agency_id, content, actor)
    outbox.add(tx, "guide.published", _guide_published(agency_id, guide["version"], guide["items"]),
               aggregate_id=agency_id)
    return schemas.Guide().dump(guide)


def publish_guides(tx, outbox, guides, actor):
    """Many guides at once, each ``(agency_id, content)`` checked as :func:`publish_guide` checks one
    (a refused one named by its position), stored and announced set-based: ``{agency_id: version}``."""
    contents = each(guides, lambda guide: (guide[0], load(schemas.GuideContent, guide[1], "service guide")))
    seen = set()
    for position, (agency_id, _) in enumerate(contents):
        if agency_id in seen:
            raise ValidationFailed(f"item {position}: a second guide for agency {agency_id}",
                                   {"items": {str(position): {"agency_id": ["a second guide for this agency"]}}})
        seen.add(agency_id)
    agencies = store.agencies_by_id(tx, {agency_id for agency_id, _ in contents}, lock=True)
    each(contents, lambda guide: _check_guide(found(agencies.get(guide[0]), "agency", guide[0], "agency_id"),
                                              guide[1]))
    versions = store.replace_guides(tx, contents, actor) if contents else {}
    outbox.add_many(tx, "guide.published", [(_guide_published(agency_id, versions[agency_id], content["items"]),
                                             agency_id) for agency_id, content in contents])
    return versions


def snapshot(tx):
    """Every agency, every guide's time limits and every provider's memberships as they are now
    (:class:`schemas.AgencySnapshot`)."""
    return schemas.AgencySnapshot().dump({"agencies": store.all_agencies(tx),
                                          "guides": store.all_guide_time_limits(tx),
                                          "providers": provider_store.all_providers(tx)})


def guide_time_limits(tx, agency_id, service_area):
    agency(tx, agency_id)
    item = store.guide_item(tx, agency_id, service_area)
    return dict(item) if item else None
