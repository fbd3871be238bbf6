"""Bulk import (批量导入) of enterprises, e.g. a provincial roll-out: pure parsing and checking.

:func:`profiles_from` reads JSON lines or CSV, checks every row as a single
registration would be checked, and returns the good rows as profiles together
with one rejection per bad row (its line, its USCC if readable, and the
problems by field). Storing the good rows is one set-based step in the store.
"""
import csv
import io
import json
import re

from marshmallow import ValidationError

from chassis.errors import ValidationFailed
from services.enterprises import domain, schemas

_INTEGER = re.compile(r"^[+-]?\d+$")
CSV_REQUIRED = ("uscc", "name", "region_code", "industry_code", "employees", "revenue")
CSV_OPTIONAL = ("legal_form", "registered_on", "park", "figures_year", "total_assets", "rd_expense",
                "ip_class1_count", "tags")
CSV_INTEGERS = frozenset({"employees", "figures_year", "ip_class1_count"})


def _rejection(line, raw, errors):
    uscc = raw.get("uscc") if isinstance(raw, dict) else None
    return {"line": line, "uscc": uscc if isinstance(uscc, str) else None, "errors": errors}


def _jsonl_rows(content):
    for number, text in enumerate(content.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except ValueError as exc:
            yield number, None, {"_line": [f"not valid JSON: {exc}"]}
            continue
        if not isinstance(raw, dict):
            yield number, None, {"_line": ["each line must be a JSON object"]}
            continue
        yield number, raw, None


def _csv_cell(column, text):
    text = text.strip()
    if column == "tags":
        return [tag for tag in (part.strip() for part in text.split(";")) if tag]
    if column in CSV_INTEGERS and _INTEGER.match(text):
        return int(text)
    return text


def _csv_rows(content):
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in CSV_REQUIRED + CSV_OPTIONAL]
    missing = [name for name in CSV_REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [f"unknown column {name}" for name in unknown]
        problems += [f"missing column {name}" for name in missing]
        if len(set(header)) != len(header):
            problems.append("a column is named twice")
        raise ValidationFailed("the CSV header is not usable", {"content": problems})
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield number, None, {"_line": [f"{len(cells)} cells, the header has {len(header)}"]}
            continue
        raw = {column: _csv_cell(column, cell) for column, cell in zip(header, cells) if cell.strip()}
        yield number, raw, None


def profiles_from(content, fmt, on, within=None):
    """``(profiles, rejected, received)`` for a batch in ``fmt`` ("jsonl" or "csv").

    ``profiles`` are ``(line, profile)`` pairs of good rows; ``within`` (a region
    prefix) rejects rows outside the caller's region. A USCC seen twice in the
    batch is rejected at its second line.
    """
    rows = _jsonl_rows(content) if fmt == "jsonl" else _csv_rows(content)
    schema = schemas.EnterpriseRegistration()
    profiles, rejected, seen, received = [], [], {}, 0
    for line, raw, problem in rows:
        received += 1
        if problem:
            rejected.append(_rejection(line, raw, problem))
            continue
        try:
            profile = domain.new_profile(schema.load(raw), on)
        except ValidationError as exc:
            rejected.append(_rejection(line, raw, exc.messages))
            continue
        except ValidationFailed as exc:
            rejected.append(_rejection(line, raw, exc.details))
            continue
        if within is not None and not profile["region_code"].startswith(within):
            rejected.append(_rejection(line, raw, {"region_code": [
                f"{profile['region_code']} is outside your region {within}"]}))
            continue
        if profile["uscc"] in seen:
            rejected.append(_rejection(line, raw, {"uscc": [f"already in this batch at line {seen[profile['uscc']]}"]}))
            continue
        seen[profile["uscc"]] = line
        profiles.append((line, profile))
    return profiles, rejected, received
