"""SME size classes (企业规模: 大型、中型、小型、微型) under 工信部联企业〔2011〕300号.

《中小企业划型标准规定》 sets, for each industry group, thresholds on up to two
of three indicators: employees (从业人员 X, persons), operating revenue
(营业收入 Y, 万元) and total assets (资产总额 Z, 万元).  The NBS method
《统计上大中小微型企业划分办法(2017)》 keeps the thresholds and maps the groups
onto GB/T 4754-2017 codes; :data:`RULES` is that table, one :class:`SizeRule`
per row, and :func:`rule_for` is the mapping.

How a row is read ("以下" is strictly less than, "及以上" is ≥):

* an enterprise is an SME (中小微) if it is below the upper bound on *any one*
  indicator; otherwise it is large;
* medium and small must meet *every* lower bound of their class; an enterprise
  that fails one drops a class (下划一档);
* micro needs to meet only one micro condition, so an SME that is neither
  medium nor small is micro.

300号 第六条: individual businesses (个体工商户) and industries the table does
not list are classified by analogy (参照).  They are classified with the row of
their industry (individual businesses) or with row 16 其他未列明行业 (unlisted
industries: G53 railways, K704 房地产租赁经营, P education, Q84 health, S, T),
and :attr:`Classification.size_rule` says so: ``"other:by_analogy"``.

Financial firms (J 金融业) are not classified under 300号 at all: they have a
standard of their own, 金融业企业划型标准规定 (银发〔2015〕309号), whose
thresholds of total assets are set per kind of financial institution (e.g.
银行业存款类金融机构, 证券业, 保险业).  A GB/T 4754 code does not say which
kind a firm is (J66 holds deposit-taking banks and finance companies alike),
so OneNet cannot apply that
standard exactly, and it does not guess: such a firm has no size class, its
``size_rule`` is ``"financial:not_classified"`` and :data:`NOT_CLASSIFIED` gives
the reason.

Codes follow GB/T 4754-2017: 社会工作 is Q85 and 卫生 (health) Q84; the 2011
edition numbered them Q84 and Q83.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from reference import industries

LARGE, MEDIUM, SMALL, MICRO = "large", "medium", "small", "micro"
SIZE_CLASSES = (LARGE, MEDIUM, SMALL, MICRO)

EMPLOYEES, REVENUE, TOTAL_ASSETS = "employees", "revenue", "total_assets"
INDICATOR_NAMES = {EMPLOYEES: "从业人员", REVENUE: "营业收入", TOTAL_ASSETS: "资产总额"}

BY_ANALOGY = "by_analogy"
UNCLASSIFIED = "not_classified"

# Sections outside 300号 that OneNet gives no size class: section → (rule key, name, reason).
NOT_CLASSIFIED = {
    "J": ("financial", "金融业",
          "not classified under 300号: financial firms (J 金融业) come under 金融业企业划型标准规定 "
          "(银发〔2015〕309号), whose total-assets thresholds depend on the kind of financial "
          "institution, which an industry code does not give; OneNet does not classify them"),
}


@dataclass(frozen=True)
class SizeRule:
    """One row of the 300号 table: the thresholds of one industry group.

    ``sme_below``: the SME upper bounds (an SME is below at least one);
    ``medium_from`` and ``small_from``: the lower bounds a medium or small
    enterprise meets on every indicator.
    """

    key: str
    row: int
    name: str
    sme_below: dict
    medium_from: dict
    small_from: dict

    @property
    def indicators(self):
        """The figures this row reads, e.g. ``("employees", "revenue")``."""
        return tuple(self.sme_below)


def _rule(key, row, name, indicators, sme_below, medium_from, small_from):
    return SizeRule(key, row, name, dict(zip(indicators, sme_below)),
                    dict(zip(indicators, medium_from)), dict(zip(indicators, small_from)))


X, Y, Z = EMPLOYEES, REVENUE, TOTAL_ASSETS

RULES = {rule.key: rule for rule in (
    _rule("agriculture", 1, "农、林、牧、渔业", (Y,), (20000,), (500,), (50,)),
    _rule("industry", 2, "工业", (X, Y), (1000, 40000), (300, 2000), (20, 300)),
    _rule("construction", 3, "建筑业", (Y, Z), (80000, 80000), (6000, 5000), (300, 300)),
    _rule("wholesale", 4, "批发业", (X, Y), (200, 40000), (20, 5000), (5, 1000)),
    _rule("retail", 5, "零售业", (X, Y), (300, 20000), (50, 500), (10, 100)),
    _rule("transport", 6, "交通运输业", (X, Y), (1000, 30000), (300, 3000), (20, 200)),
    _rule("warehousing", 7, "仓储业", (X, Y), (200, 30000), (100, 1000), (20, 100)),
    _rule("postal", 8, "邮政业", (X, Y), (1000, 30000), (300, 2000), (20, 100)),
    _rule("accommodation", 9, "住宿业", (X, Y), (300, 10000), (100, 2000), (10, 100)),
    _rule("catering", 10, "餐饮业", (X, Y), (300, 10000), (100, 2000), (10, 100)),
    _rule("information_transmission", 11, "信息传输业", (X, Y), (2000, 100000), (100, 1000), (10, 100)),
    _rule("software_it", 12, "软件和信息技术服务业", (X, Y), (300, 10000), (100, 1000), (10, 50)),
    _rule("real_estate_development", 13, "房地产开发经营", (Y, Z), (200000, 10000), (1000, 5000), (100, 2000)),
    _rule("property_management", 14, "物业管理", (X, Y), (1000, 5000), (300, 1000), (100, 500)),
    _rule("leasing_business_services", 15, "租赁和商务服务业", (X, Z), (300, 120000), (100, 8000), (10, 100)),
    _rule("other", 16, "其他未列明行业", (X,), (300,), (100,), (10,)),
)}

# Section or division → row, for the codes the table lists whole.
_BY_SECTION = {"A": "agriculture", "B": "industry", "C": "industry", "D": "industry",
               "E": "construction", "L": "leasing_business_services",
               "M": "other", "N": "other", "O": "other", "R": "other"}
_BY_DIVISION = {"51": "wholesale", "52": "retail",
                "54": "transport", "55": "transport", "56": "transport", "57": "transport",
                "58": "transport", "60": "postal", "61": "accommodation", "62": "catering",
                "63": "information_transmission", "64": "information_transmission",
                "65": "software_it", "85": "other"}

# Divisions the table splits by group (中类): the group decides the row.
# None: the group is outside the table and is classified by analogy.
SPLIT_DIVISIONS = {
    "59": {"591": ("装卸搬运", "transport"), "592": ("通用仓储", "warehousing"),
           "593": ("低温仓储", "warehousing"), "594": ("危险品仓储", "warehousing"),
           "595": ("谷物、棉花等农产品仓储", "warehousing"), "596": ("中药材仓储", "warehousing"),
           "599": ("其他仓储业", "warehousing")},
    "70": {"701": ("房地产开发经营", "real_estate_development"),
           "702": ("物业管理", "property_management"),
           "703": ("房地产中介服务", "other"), "704": ("房地产租赁经营", None),
           "709": ("其他房地产业", "other")},
}

INDIVIDUAL_BUSINESS = "individual_business"


class AmbiguousIndustry(ValueError):
    """The industry code is too coarse to pick a row of the table."""


class NotClassified(Exception):
    """The industry is outside 300号 and OneNet gives it no size class; ``reason`` says why."""

    def __init__(self, key, name, reason):
        self.key, self.name, self.reason = key, name, reason
        super().__init__(reason)

    @property
    def size_rule(self):
        """The stored label, e.g. ``"financial:not_classified"``."""
        return f"{self.key}:{UNCLASSIFIED}"


class MissingFigures(ValueError):
    """A figure the row reads is not known; ``fields`` names them."""

    def __init__(self, fields, rule):
        self.fields, self.rule = tuple(fields), rule
        super().__init__(f"{', '.join(self.fields)} required by the size rule "
                         f"for {rule.name} (300号 row {rule.row})")


@dataclass(frozen=True)
class AppliedRule:
    """The row used for an enterprise, and whether it applies by analogy (参照)."""

    rule: SizeRule
    by_analogy: bool

    @property
    def size_rule(self):
        """The stored label: ``"industry"``, or ``"other:by_analogy"`` for 参照."""
        return f"{self.rule.key}:{BY_ANALOGY}" if self.by_analogy else self.rule.key


@dataclass(frozen=True)
class Classification:
    """A size class and the row it came from; no class (None) for an industry 300号 leaves out."""

    size_class: str | None
    applied: AppliedRule | None
    unclassified: NotClassified | None = None

    @property
    def size_rule(self):
        return self.unclassified.size_rule if self.unclassified else self.applied.size_rule

    @property
    def reason(self):
        """Why there is no size class (None when there is one)."""
        return self.unclassified.reason if self.unclassified else None


@lru_cache(maxsize=4096)
def rule_for(industry_code, legal_form=None):
    """The 300号 row for an industry code (GB/T 4754-2017) and legal form.

    Raises :class:`AmbiguousIndustry` for a bare section or a division the
    table splits by group (G59, K70), ValueError for an unknown code and
    :class:`NotClassified` for an industry OneNet does not classify (J 金融业).
    """
    industry = industries.parse_industry_code(industry_code)
    if industry.is_section:
        raise AmbiguousIndustry(f"industry code {industry.code} is a section; "
                                "the size rules need at least the division, e.g. C39")
    if industry.section in NOT_CLASSIFIED:
        raise NotClassified(*NOT_CLASSIFIED[industry.section])
    section, division = industry.section, industry.division
    key = _BY_DIVISION.get(division) or _BY_SECTION.get(section)
    if division in SPLIT_DIVISIONS:
        groups = SPLIT_DIVISIONS[division]
        group = industry.code[1:4]
        if group not in groups:
            choices = ", ".join(f"{section}{code} {name}" for code, (name, _) in groups.items())
            raise AmbiguousIndustry(f"industry code {industry.code} does not say which group of "
                                    f"division {division}; the size rules need one of: {choices}")
        key = groups[group][1]
    listed = key is not None
    individual = legal_form == INDIVIDUAL_BUSINESS
    return AppliedRule(RULES[key or "other"], by_analogy=individual or not listed)


def required_figures(industry_code, legal_form=None):
    """The figures the applicable row reads (employees, revenue, total_assets); none if unclassified."""
    try:
        return rule_for(industry_code, legal_form).rule.indicators
    except NotClassified:
        return ()


def _meets(figures, bounds):
    return all(Decimal(str(figures[name])) >= bound for name, bound in bounds.items())


def classify(rule, figures):
    """大/中/小/微 for one year's ``figures`` (a mapping with the row's indicators)."""
    missing = [name for name in rule.indicators if figures.get(name) is None]
    if missing:
        raise MissingFigures(missing, rule)
    if _meets(figures, rule.sme_below):
        return LARGE
    if _meets(figures, rule.medium_from):
        return MEDIUM
    if _meets(figures, rule.small_from):
        return SMALL
    return MICRO


def size_of(industry_code, legal_form, figures):
    """The :class:`Classification` of an enterprise from one year's figures."""
    try:
        applied = rule_for(industry_code, legal_form)
    except NotClassified as exc:
        return Classification(None, None, exc)
    return Classification(classify(applied.rule, figures), applied)


def describe(size_rule):
    """The row a stored ``size_rule`` label names: ``{"rule", "row", "name", "by_analogy",
    "indicators", "reason"}``; an unclassified industry has no row and gives the reason."""
    key, _, basis = size_rule.partition(":")
    if basis == UNCLASSIFIED:
        _, name, reason = next(entry for entry in NOT_CLASSIFIED.values() if entry[0] == key)
        return {"rule": key, "row": None, "name": name, "by_analogy": False, "indicators": [],
                "reason": reason}
    rule = RULES[key]
    return {"rule": rule.key, "row": rule.row, "name": rule.name, "by_analogy": basis == BY_ANALOGY,
            "indicators": list(rule.indicators), "reason": None}
