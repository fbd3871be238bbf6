"""Rules about an enterprise's profile (一企一档), free of I/O.

A profile is a dict: identity (``uscc``, ``name``, ``legal_form``,
``registered_on``), place (``region_code`` and the ``province_code`` and
``city_code`` above it, ``park``), ``industry_code``, ``contact``, ``tags``,
``tiers`` (award records) and ``figures`` (year → that year's employees,
revenue, total assets, R&D spend and Class-I IP items). :func:`settle` derives
the rest from those: the latest year's figures and the size class under
工信部联企业〔2011〕300号 (see :mod:`reference.size_rules`).
"""
from __future__ import annotations

import calendar
import copy
from datetime import date, datetime
from decimal import Decimal

from chassis.errors import ValidationFailed
from reference import industries, regions, size_rules
from reference.china_time import today  # noqa: F401  (tiers and registration ages are read by China's calendar)
from services.enterprises.schemas import (EnterpriseRegistered, EnterpriseSizeClassChanged, EnterpriseTierChanged,
                                          EnterpriseUpdated)

# One instance of each event schema: making one costs about ten dumps.
_ENTERPRISE_REGISTERED = EnterpriseRegistered()
_ENTERPRISE_UPDATED = EnterpriseUpdated()
_ENTERPRISE_TIER_CHANGED = EnterpriseTierChanged()
_ENTERPRISE_SIZE_CLASS_CHANGED = EnterpriseSizeClassChanged()


FIGURE_FIELDS = ("employees", "revenue", "total_assets", "rd_expense", "ip_class1_count")
PROFILE_FIELDS = ("name", "legal_form", "registered_on", "region_code", "park", "industry_code",
                  "contact", "tags")
PERSONAL_FIELDS = frozenset({"contact"})

# GB 32100: the first two characters name the registration authority (9: market
# regulation) and the kind of body it registered.
LEGAL_FORM_BY_USCC_KIND = {"92": "individual_business", "93": "cooperative"}


def place(region_code):
    """The province and city codes above a county-level region code."""
    return {
        "region_code": region_code,
        "province_code": regions.province_of(region_code),
        "city_code": regions.city_of(region_code),
    }


def jsonable(value):
    """A value as it travels in events and RPC answers (Decimal → number, date → ISO)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


# -- identity -------------------------------------------------------------------

def legal_form_for(uscc, legal_form):
    """The legal form, inferred from the USCC when not given; it must agree with the USCC.

    A code starting ``92`` is an individual business (个体工商户), ``93`` a
    farmers' cooperative (农民专业合作社).
    """
    implied = LEGAL_FORM_BY_USCC_KIND.get(uscc[:2])
    if legal_form is None:
        return implied
    if implied is not None and legal_form != implied:
        raise ValidationFailed("the legal form contradicts the credit code",
                               {"legal_form": [f"a credit code starting {uscc[:2]} is registered "
                                               f"as {implied}"]})
    if implied is None and legal_form in LEGAL_FORM_BY_USCC_KIND.values():
        kind = next(k for k, v in LEGAL_FORM_BY_USCC_KIND.items() if v == legal_form)
        raise ValidationFailed("the legal form contradicts the credit code",
                               {"legal_form": [f"{legal_form} needs a credit code starting {kind}"]})
    return legal_form


def normalised_tags(tags):
    return sorted({tag.strip() for tag in tags if tag.strip()})


# -- tiers ------------------------------------------------------------------------

def tier_is_active(record, on):
    """An award counts from the day it is made to its expiry day, inclusive."""
    return record["awarded_on"] <= on <= record["expires_on"]


def active_tiers(tiers, on):
    """The tiers an enterprise holds on ``on`` (expired awards no longer count)."""
    return sorted({record["tier"] for record in tiers if tier_is_active(record, on)})


# -- figures ----------------------------------------------------------------------

def default_figures_year(registered_on, on):
    """Last year's figures, or the founding year's for an enterprise founded this year."""
    year = on.year - 1
    if registered_on is not None:
        year = max(year, registered_on.year)
    return year


def latest_year(figures, up_to=None):
    years = [year for year in figures if up_to is None or year <= up_to]
    return max(years) if years else None


def rd_ratio(figures):
    """R&D spend over operating revenue (研发投入强度), None when either is unknown or revenue is 0."""
    if figures.get("rd_expense") is None or not figures.get("revenue"):
        return None
    return round(float(Decimal(figures["rd_expense"]) / Decimal(figures["revenue"])), 4)


def _check_figure_years(profile, field="figures_year"):
    founded = profile.get("registered_on")
    if founded is None:
        return
    early = [year for year in profile["figures"] if year < founded.year]
    if early:
        raise ValidationFailed("figures predate the enterprise",
                               {field: [f"figures for {min(early)} are before the founding year {founded.year}"]})


def settle(profile):
    """Derive the latest figures and the size class; raise ValidationFailed if they cannot be.

    The size class is that of the latest year on file, by the 300号 row of the
    enterprise's industry (and legal form); ``size_rule`` records the row. A
    financial firm gets no size class (``"financial:not_classified"``, see
    :mod:`reference.size_rules`).
    """
    _check_figure_years(profile)
    year = latest_year(profile["figures"])
    latest = profile["figures"][year]
    try:
        classification = size_rules.size_of(profile["industry_code"], profile.get("legal_form"), latest)
    except size_rules.MissingFigures as exc:
        rule = exc.rule
        raise ValidationFailed(f"the size class cannot be computed: {exc}", {
            name: [f"required by the size rule for {rule.name} (300号 row {rule.row}); "
                   f"missing in the {year} figures"] for name in exc.fields}) from None
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"industry_code": [str(exc)]}) from None
    profile["figures_year"] = year
    profile.update({name: latest.get(name) for name in FIGURE_FIELDS})
    profile["size_class"] = classification.size_class
    profile["size_rule"] = classification.size_rule
    return profile


PREVIOUS_YEAR, FOUNDING_YEAR = "previous_year", "founding_year"


def figures_year_as_of(founded, as_of):
    """Which year's figures classify an enterprise on ``as_of``: ``(year, basis)``.

    The last completed year's (上一年度), as 财库〔2020〕46号 has an enterprise
    declare its size with the previous year's figures; an enterprise founded in
    the year of ``as_of`` has no completed year, and its founding year's figures
    are used (46号: 无上一年度数据的新成立企业).
    """
    if founded is not None and founded.year == as_of.year:
        return as_of.year, FOUNDING_YEAR
    return as_of.year - 1, PREVIOUS_YEAR


def size_class_as_of(profile, as_of):
    """The size class on ``as_of`` (e.g. a contract date, 保障中小企业款项支付条例 第三条).

    ``{"as_of", "size_class", "size_rule", "figures_year", "figures_basis", "reason"}``:
    ``figures_year`` names the year whose figures were read (:func:`figures_year_as_of`),
    also when they are missing; ``reason`` says why there is no class (not yet
    founded, no figures for that year, figures incomplete, an industry 300号
    leaves out).  Later years' figures never classify an earlier date.
    """
    answer = {"as_of": as_of, "size_class": None, "size_rule": None, "figures_year": None,
              "figures_basis": None, "reason": None}
    founded = profile.get("registered_on")
    if founded is not None and as_of < founded:
        return dict(answer, reason=f"the enterprise was founded on {founded.isoformat()}")
    year, basis = figures_year_as_of(founded, as_of)
    answer.update(figures_year=year, figures_basis=basis)
    figures = profile["figures"].get(year)
    if figures is None:
        which = "上一年度" if basis == PREVIOUS_YEAR else "the founding year"
        return dict(answer, reason=f"no figures on file for {year}, the year ({which}) whose figures "
                                   f"classify the enterprise on {as_of.isoformat()}")
    try:
        classification = size_rules.size_of(profile["industry_code"], profile.get("legal_form"), figures)
    except ValueError as exc:
        return dict(answer, reason=str(exc))
    return dict(answer, size_class=classification.size_class, size_rule=classification.size_rule,
                reason=classification.reason)


# -- the profile ------------------------------------------------------------------

def new_profile(registration, on):
    """The stored profile for a validated registration (:class:`schemas.EnterpriseRegistration`)."""
    uscc = registration["uscc"]
    founded = registration.get("registered_on")
    year = registration.get("figures_year") or default_figures_year(founded, on)
    profile = {
        "uscc": uscc,
        "name": registration["name"].strip(),
        "legal_form": legal_form_for(uscc, registration.get("legal_form")),
        "registered_on": founded,
        "park": registration.get("park"),
        "industry_code": registration["industry_code"],
        "contact": registration.get("contact") or None,
        "tags": normalised_tags(registration.get("tags", ())),
        "tiers": list(registration.get("tiers", ())),
        "figures": {year: {name: registration.get(name) for name in FIGURE_FIELDS}},
    }
    profile.update(place(registration["region_code"]))
    return settle(profile)


def apply_change(stored, change, on):
    """The profile after a validated change (:class:`schemas.EnterpriseChange`).

    Returns ``(profile, changed)`` where ``changed`` maps each changed field
    (``figures`` for a year's figures, ``tiers`` for the awards) to its old and
    new value. Raises ValidationFailed when the result breaks a rule.
    """
    profile = copy.deepcopy(stored)
    for name in PROFILE_FIELDS:
        if name in change:
            profile[name] = change[name]
    if "name" in change:
        profile["name"] = change["name"].strip()
    if "tags" in change:
        profile["tags"] = normalised_tags(change["tags"])
    if "contact" in change:
        profile["contact"] = change["contact"] or None
    if "region_code" in change:
        profile.update(place(change["region_code"]))
    profile["legal_form"] = legal_form_for(profile["uscc"], profile.get("legal_form"))
    if "tiers" in change:
        profile["tiers"] = list(change["tiers"])
    given = {name: change[name] for name in FIGURE_FIELDS if name in change}
    year = change.get("figures_year", latest_year(stored["figures"]))
    if given or "figures_year" in change:
        if year in profile["figures"]:
            profile["figures"][year] = dict(profile["figures"][year], **given)
        else:
            missing = [name for name in ("employees", "revenue") if given.get(name) is None]
            if missing:
                raise ValidationFailed(f"figures for {year} are not on file yet",
                                       {name: [f"required for a new figures year ({year})"] for name in missing})
            profile["figures"][year] = {name: given.get(name) for name in FIGURE_FIELDS}
    if "registered_on" in change:
        _check_figure_years(profile, "registered_on")
    settle(profile)
    changed = {}
    for name in PROFILE_FIELDS:
        if profile.get(name) != stored.get(name):
            changed[name] = (stored.get(name), profile.get(name))
    if profile["figures"] != stored["figures"]:
        changed["figures"] = (_year_record(stored, year), _year_record(profile, year))
    if _tier_key(profile["tiers"]) != _tier_key(stored["tiers"]):
        changed["tiers"] = (stored["tiers"], profile["tiers"])
    return profile, changed


def provincial_profile(stored, upsert, on):
    """``(profile, changed)`` for a provincial registry's profile (:class:`schemas.ProvincialEnterpriseV1`).

    With no ``stored`` profile it is a new one (``changed`` is None). Otherwise
    the fields sent replace the stored ones and each year of ``figures`` sent
    replaces that year; years not sent and the tiers stay. ``changed`` maps each
    changed field to its old and new value (``figures``: the latest year sent
    that changed). Raises ValidationFailed when the result breaks a rule.
    """
    figures = {record["year"]: {name: record.get(name) for name in FIGURE_FIELDS}
               for record in upsert["figures"]}
    if stored is None:
        profile = {"uscc": upsert["uscc"], "tiers": [], "figures": figures,
                   "registered_on": upsert.get("registered_on"), "park": upsert.get("park"),
                   "contact": upsert.get("contact") or None, "name": upsert["name"].strip(),
                   "industry_code": upsert["industry_code"],
                   "legal_form": legal_form_for(upsert["uscc"], upsert.get("legal_form")),
                   "tags": normalised_tags(upsert.get("tags", ()))}
        profile.update(place(upsert["region_code"]))
        return settle(profile), None
    profile = copy.deepcopy(stored)
    for name in PROFILE_FIELDS:
        if name in upsert:
            profile[name] = upsert[name]
    profile["name"] = profile["name"].strip()
    profile["tags"] = normalised_tags(profile.get("tags") or ())
    profile["contact"] = profile.get("contact") or None
    profile.update(place(profile["region_code"]))
    profile["legal_form"] = legal_form_for(profile["uscc"], profile.get("legal_form"))
    profile["figures"].update(figures)
    settle(profile)
    changed = {name: (stored.get(name), profile.get(name)) for name in PROFILE_FIELDS
               if profile.get(name) != stored.get(name)}
    moved = [year for year in sorted(figures) if stored["figures"].get(year) != profile["figures"][year]]
    if moved:
        changed["figures"] = (_year_record(stored, moved[-1]), _year_record(profile, moved[-1]))
    return profile, changed


def _year_record(profile, year):
    figures = profile["figures"].get(year)
    return None if figures is None else dict(figures, year=year)


def _tier_key(tiers):
    return sorted((r["tier"], r["certificate_no"], r["level"], r["awarded_on"], r["expires_on"]) for r in tiers)


def view(profile, on):
    """The profile as readers see it (:class:`schemas.Enterprise`), tiers marked active or not."""
    shown = {key: value for key, value in profile.items() if key not in ("figures", "tiers")}
    shown["tiers"] = [dict(record, active=tier_is_active(record, on))
                      for record in sorted(profile["tiers"], key=lambda r: (r["tier"], r["awarded_on"]))]
    shown["active_tiers"] = active_tiers(profile["tiers"], on)
    shown["figures"] = [dict(profile["figures"][year], year=year) for year in sorted(profile["figures"])]
    return shown


# -- events -----------------------------------------------------------------------

def registered_event(profile, on):
    """Payload of ``enterprise.registered``."""
    return _ENTERPRISE_REGISTERED.dump({
        "uscc": profile["uscc"], "name": profile["name"], "region_code": profile["region_code"],
        "industry_code": profile["industry_code"], "province_code": profile["province_code"],
        "city_code": profile["city_code"], "size_class": profile["size_class"],
        "park": profile.get("park"),
        "active_tiers": active_tiers(profile["tiers"], on), "tags": profile["tags"],
    })


def updated_event(profile, changed):
    """Payload of ``enterprise.updated``, or None when no profile field changed.

    Tier and size-class changes have events of their own; contact data is
    named as changed but its values stay out of the event.
    """
    fields = {name: pair for name, pair in changed.items() if name != "tiers"}
    if not fields:
        return None
    return _ENTERPRISE_UPDATED.dump({
        "uscc": profile["uscc"], "region_code": profile["region_code"], "changed": sorted(fields),
        "changes": {name: {"old": jsonable(old), "new": jsonable(new)}
                    for name, (old, new) in fields.items() if name not in PERSONAL_FIELDS},
    })


def tier_changed_event(profile, before, after, reason, decided_by="system"):
    """Payload of ``enterprise.tier_changed`` from the active tiers before and after.

    ``decided_by``: the role of whoever changed the awards (``system`` for an
    expiry); a ``national_admin`` decision reaches the enterprise's province.
    """
    return _ENTERPRISE_TIER_CHANGED.dump({
        "uscc": profile["uscc"], "region_code": profile["region_code"], "reason": reason,
        "active_tiers_before": before, "active_tiers": after,
        "added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
        "decided_by": decided_by,
    })


def size_class_changed_event(profile, old):
    """Payload of ``enterprise.size_class_changed``, or None when the class stayed."""
    if old == profile["size_class"]:
        return None
    return _ENTERPRISE_SIZE_CLASS_CHANGED.dump({
        "uscc": profile["uscc"], "region_code": profile["region_code"], "old": old,
        "new": profile["size_class"], "size_rule": profile["size_rule"], "figures_year": profile["figures_year"]})


# -- portrait -----------------------------------------------------------------------

def industry_view(code):
    industry = industries.parse_industry_code(code)
    section = industries.parse_industry_code(industry.section)
    return {"code": industry.code, "section": section.code, "section_name": section.name,
            "division": industry.division, "division_name": industry.name if industry.division else None}


def region_chain(region_code):
    return [{"code": division.code, "name": division.name, "level": division.level}
            for division in regions.chain(region_code)]


def figures_trend(figures):
    """Each year's figures with R&D intensity and revenue growth over the previous year on file."""
    trend, previous = [], None
    for year in sorted(figures):
        record = figures[year]
        growth = None
        if previous is not None and previous.get("revenue"):
            growth = round(float((Decimal(record["revenue"]) - Decimal(previous["revenue"]))
                                 / Decimal(previous["revenue"])), 4)
        trend.append(dict(record, year=year, rd_ratio=rd_ratio(record), revenue_growth=growth))
        previous = record
    return trend


def portrait(profile, on):
    """精准画像: the computed view of one enterprise (the gateway adds requests and policies)."""
    founded = profile.get("registered_on")
    return {
        "uscc": profile["uscc"],
        "name": profile["name"],
        "region_code": profile["region_code"],
        "size_class": profile["size_class"],
        "size_rule": size_rules.describe(profile["size_rule"]),
        "figures_year": profile["figures_year"],
        "active_tiers": [record for record in profile["tiers"] if tier_is_active(record, on)],
        "industry": industry_view(profile["industry_code"]),
        "region": region_chain(profile["region_code"]),
        "park": profile.get("park"),
        "tags": profile["tags"],
        "registered_on": founded,
        "years_registered": None if founded is None else full_years(founded, on),
        "figures_trend": figures_trend(profile["figures"]),
    }


def anniversary(start, years):
    """The day ``years`` full years from ``start`` are reached (民法典 第二百零二条).

    A period in years ends on the corresponding day of the last year; without a
    corresponding day (29 February in a common year) on the last day of that
    month, 28 February.
    """
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def full_years(start, end):
    """Full years from ``start`` to ``end``: each anniversary (:func:`anniversary`) completes one."""
    years = end.year - start.year
    if years > 0 and anniversary(start, years) > end:
        years -= 1
    return max(years, 0)


def latest_founding_for(on, years):
    """The latest founding date that has ``years`` full years on ``on`` (for the SQL filter).

    The anniversary only moves forward with the founding date, so the dates with
    ``anniversary(d, years) <= on`` are exactly those up to this one: the same day
    ``years`` years earlier, or 29 February when ``on`` is 28 February of a common
    year and that earlier year is a leap year.
    """
    try:
        latest = on.replace(year=on.year - years)
    except ValueError:  # on is 29 February, the earlier year has none
        return on.replace(year=on.year - years, day=28)
    if (on.month, on.day) == (2, 28) and not calendar.isleap(on.year) and calendar.isleap(latest.year):
        return latest.replace(day=29)
    return latest
