"""Library entries kept the same way: laws and regulations (法律法规), experts (专家),
FAQs (常见问题), service products (服务产品) and cases (服务案例).

Each kind names its table, its contracts and what the library search reads
of it. Region codes on these entries are scopes (where the entry applies),
except an expert's, which is where the expert is based.
"""
from dataclasses import dataclass
from typing import Callable

from chassis.errors import ValidationFailed
from services.agencies import domain, schemas


@dataclass(frozen=True)
class Kind:
    """A library kind's contracts, its table and what the library search reads of an entry."""

    name: str
    table: str
    fields: type
    changes: type
    view: type
    document: Callable[[dict], dict]


def _kind(name, table, document):
    contract = schemas.LIBRARY_KINDS[name]
    return Kind(name, table, contract.fields, contract.changes, contract.view, document)


def _areas(*areas):
    return " ".join(schemas.SERVICE_AREAS[area] for area in areas)


def _law_document(row):
    return {"title": row["title"],
            "body": " ".join(filter(None, (row["issuer"], row["document_number"], row["full_text"]))),
            "service_areas": [row["service_area"]], "region_code": row["region_code"], "visible": True}


def _expert_document(row):
    """Name, organisation, position, specialties and areas; never the contact details."""
    body = " ".join(filter(None, (row["organization"], row["position"], " ".join(row["specialties"]),
                                  _areas(*row["service_areas"]), row["bio"])))
    return {"title": row["name"], "body": body, "service_areas": list(row["service_areas"]),
            "region_code": row["region_code"], "visible": True}


def _faq_document(row):
    return {"title": row["question"], "body": row["answer"], "service_areas": [row["service_area"]],
            "region_code": row["region_code"], "visible": True}


def _product_document(row):
    return {"title": row["title"], "body": f"{row['summary']} {row['description']}",
            "service_areas": [row["service_area"]], "region_code": row["region_code"], "visible": True}


def _case_document(row):
    return {"title": row["title"], "body": f"{row['summary']} {row['body']} {row['outcome']}",
            "service_areas": [row["service_area"]], "region_code": row["region_code"], "visible": True}


KINDS = {
    "law": _kind("law", "law", _law_document),
    "expert": _kind("expert", "expert", _expert_document),
    "faq": _kind("faq", "faq", _faq_document),
    "product": _kind("product", "product", _product_document),
    "case": _kind("case", "service_case", _case_document),
}


def kind_of(name):
    try:
        return KINDS[name]
    except KeyError:
        raise ValidationFailed(f"unknown library kind {name!r}", {"kind": [f"one of {', '.join(KINDS)}"]}) from None


def stored_values(values):
    """The columns to store for validated values: the region's coverage prefix added."""
    stored = dict(values)
    if "region_code" in stored:
        stored["region_prefix"] = domain.coverage_prefix(stored["region_code"])
    for column in ("industry_codes",):
        if column in stored:
            stored[column] = sorted({code.strip().upper() for code in stored[column]})
    return stored
