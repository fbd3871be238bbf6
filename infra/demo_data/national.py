"""The demo network at national scale, generated: pure functions of a :class:`Scale` and a seed.

What ``make run`` loads beside the hand-written showcase (the other modules of
this package): a park service station in many cities, quality service
providers with their products and cases in every service area, a few hundred
policies with structured eligibility at every issuing level, tens of thousands
of SMEs over the real county-level divisions (GB/T 2260, :mod:`reference.regions`)
and GB/T 4754 divisions in every size class and tier, and requests planned to end
in every state, overdue and escalated ones among them.

Names, titles and document numbers are made up (marked 示例 where a reader
could take them for real ones); USCCs carry a correct GB 32100 check
character; size classes follow from the figures by 工信部联企业〔2011〕300号
(:mod:`reference.size_rules`). The same scale and seed always give
the same network, so loading twice adds nothing the second time.
"""
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from stdnum.cn import uscc as uscc_standard

from reference import regions, size_rules


@dataclass(frozen=True)
class Scale:
    """How much of the national network to generate."""

    name: str
    enterprises: int
    requests: int
    stations: int           # park service stations (one per city, in the most populous cities first)
    policy_provinces: int   # provinces issuing policies of their own, those with the most SMEs first
    policies_per_province: int
    city_policies: int
    county_policies: int
    providers_per_area: int


SCALES = {
    # For tests: every level, size class, tier and request state, in seconds.
    "small": Scale("small", enterprises=800, requests=60, stations=12, policy_provinces=6, policies_per_province=2,
                   city_policies=4, county_policies=4, providers_per_area=2),
    # make run
    "default": Scale("default", enterprises=30_000, requests=320, stations=120, policy_provinces=31,
                     policies_per_province=6, city_policies=60, county_policies=40, providers_per_area=6),
    # make run DEMO=large: for benchmarks
    "large": Scale("large", enterprises=300_000, requests=2_000, stations=330, policy_provinces=31,
                   policies_per_province=10, city_policies=150, county_policies=120, providers_per_area=12),
}

AREAS = ("policy", "cultivation", "chain", "finance_talent", "quality_brand", "international", "rights",
         "training")
SIZE_CLASSES = size_rules.SIZE_CLASSES
TIERS = ("tech_sme", "innovative_sme", "specialized_sme", "little_giant")

# Roughly where China's SMEs are (relative weights by province, from the shares of
# market entities in the statistical yearbooks, rounded).
PROVINCE_WEIGHTS = {
    "11": 4, "12": 2, "13": 5, "14": 2, "15": 2, "21": 3, "22": 2, "23": 2, "31": 5, "32": 11,
    "33": 9, "34": 4, "35": 4, "36": 3, "37": 8, "41": 5, "42": 4, "43": 3, "44": 13, "45": 3,
    "46": 1, "50": 3, "51": 5, "52": 2, "53": 2, "54": 1, "61": 3, "62": 1, "63": 1, "64": 1, "65": 1,
}
MAINLAND = tuple(PROVINCE_WEIGHTS)

# GB/T 4754-2017 divisions SMEs are found in, with relative weights.
INDUSTRY_WEIGHTS = (
    ("A01", 3), ("A03", 1), ("A04", 1), ("B10", 1), ("C13", 3), ("C14", 2), ("C17", 2), ("C18", 3),
    ("C21", 1), ("C26", 3), ("C27", 2), ("C29", 3), ("C30", 2), ("C33", 5), ("C34", 6), ("C35", 5),
    ("C36", 2), ("C38", 5), ("C39", 6), ("C40", 2), ("D44", 1), ("E47", 2), ("E48", 3), ("E50", 2),
    ("F51", 12), ("F52", 10), ("G54", 3), ("G58", 1), ("G592", 1), ("H61", 1), ("H62", 4), ("I64", 2),
    ("I65", 7), ("J66", 1), ("J69", 1), ("K702", 1), ("L71", 1), ("L72", 6), ("M73", 2), ("M74", 2),
    ("M75", 3), ("N77", 1), ("O80", 3), ("O81", 1), ("P83", 1), ("Q84", 1), ("R86", 1), ("R88", 1),
)
SIZE_WEIGHTS = (("micro", 55), ("small", 30), ("medium", 11), ("large", 4))

TRADE_NAMES = ("华创", "鑫源", "恒泰", "中科", "博远", "智联", "精工", "宏达", "安信", "明德", "永盛", "瑞丰", "天成",
               "汇通", "启明", "长风", "远航", "嘉禾", "同舟", "正元", "新锐", "德润", "盛世", "卓越", "联诚", "宇恒",
               "海纳", "锦程", "泰和", "云帆", "众合", "金穗", "辰光", "丰源", "睿达", "弘毅")
BUSINESS = {"A": "农业发展", "B": "矿业", "C": "制造", "D": "能源", "E": "建设工程", "F": "商贸", "G": "物流",
            "H": "餐饮管理", "I": "信息技术", "J": "投资管理", "K": "物业服务", "L": "商务咨询", "M": "科技",
            "N": "环境工程", "O": "家政服务", "P": "教育咨询", "Q": "健康管理", "R": "文化传媒"}
TAGS = ("出口", "外贸", "数字化转型", "高新技术企业", "链主配套", "跨境电商", "乡村振兴", "人工智能", "生物医药",
        "老字号", "绿色低碳", "专精特新", "智能制造", "信创", "供应链")
LEGAL_FORMS = (("limited_liability", 88), ("joint_stock", 4), ("sole_proprietorship", 3),
               ("partnership", 2), ("individual_business", 3))
TIER_LEVELS = {"tech_sme": "province", "innovative_sme": "province", "specialized_sme": "province",
               "little_giant": "national"}
TIER_PREFIX = {"tech_sme": "KJX", "innovative_sme": "CXX", "specialized_sme": "ZJTX", "little_giant": "XJR"}

PARK_KINDS = ("高新技术产业开发区", "经济技术开发区", "科技创新园", "中小企业创业园", "智能制造产业园")


# -- small helpers ------------------------------------------------------------------------------

def uscc(body17):
    """A unified social credit code (GB 32100) with its check character."""
    return body17 + uscc_standard.calc_check_digit(body17)


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def figures_year(on):
    """The last completed year: the figures an SME has filed by ``on``."""
    return on.year - 1


# -- places -------------------------------------------------------------------------------------

def counties_by_province():
    """The county-level divisions in use (GB/T 2260) of each mainland province."""
    found = {code: [] for code in MAINLAND}
    for division in regions.county_level_divisions():
        if division.code[:2] in found:
            found[division.code[:2]].append(division.code)
    return found


def cities():
    """The cities (地级) in use in mainland provinces that have counties, in code order."""
    counties = {code[:4] for codes in counties_by_province().values() for code in codes}
    return [d for d in regions.active_divisions(regions.CITY)
            if d.code[:2] in PROVINCE_WEIGHTS and d.code[:4] in counties]


def short_name(name):
    """A city's or county's name without its suffix (苏州市 → 苏州), for park names."""
    for suffix in ("自治州", "地区", "盟", "市", "县", "区", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def stations(scale, seed=2026):
    """Park service stations (园区服务站): one in each of ``scale.stations`` cities, taking the
    cities of the provinces with the most SMEs first, at the city's first county-level district."""
    rng = random.Random(seed)
    by_province = {}
    counties = counties_by_province()
    for city in cities():
        by_province.setdefault(city.code[:2], []).append(city)
    ordered, round_ = [], 0
    provinces = sorted(by_province, key=lambda code: -PROVINCE_WEIGHTS[code])
    while len(ordered) < scale.stations and any(len(by_province[p]) > round_ for p in provinces):
        ordered += [by_province[p][round_] for p in provinces if len(by_province[p]) > round_]
        round_ += 1
    result = []
    for city in ordered[: scale.stations]:
        county = next(code for code in counties[city.code[:2]] if code.startswith(city.code[:4]))
        park = f"{short_name(city.name)}{rng.choice(PARK_KINDS)}"
        areas = ["policy"] + rng.sample(AREAS[1:], 3)
        result.append({"name": f"{park}中小企业服务站", "region_code": county, "park": park,
                       "level": "station", "service_areas": sorted(areas, key=AREAS.index)})
    return result


# -- enterprises --------------------------------------------------------------------------------

@cache
def _rule(industry_code, legal_form):
    return size_rules.rule_for(industry_code, legal_form).rule


@cache
def _place_name(region_code):
    return short_name(regions.lookup(region_code).name)


def _figures_for(rng, industry_code, legal_form, target):
    """This year's figures for an SME of ``industry_code`` that land in size class ``target``.

    Each indicator the 300号 row reads is drawn inside the class's band; the others
    in proportion. Returns ``(employees, revenue, total_assets)`` in persons and 万元.
    """
    rule = _rule(industry_code, legal_form)
    values = {}
    for name in rule.indicators:
        large, medium, small = rule.sme_below[name], rule.medium_from[name], rule.small_from[name]
        low, high = {"large": (large, large * 3), "medium": (medium, large),
                     "small": (small, medium), "micro": (max(1, small // 10), small)}[target]
        values[name] = int(rng.uniform(low, high - 1)) if high - 1 > low else low
    employees = values.get(size_rules.EMPLOYEES) or max(1, int(rng.lognormvariate(2.8, 1.0)))
    revenue = values.get(size_rules.REVENUE) or round(employees * rng.lognormvariate(3.3, 0.7), 1)
    assets = values.get(size_rules.TOTAL_ASSETS) or round(revenue * rng.uniform(0.4, 1.8), 1)
    return employees, revenue, assets


def _tiers(rng, serial, province, size_class, on):
    """The tiers (优质中小企业梯度) an SME of ``size_class`` may hold: large ones none; 小巨人 are
    专精特新 too, as the ladder has it; some awards have lapsed, as awards do."""
    if size_class == "large":
        return []
    awards, year = [], on.year

    def award(tier, awarded):
        if awarded >= on:                      # not awarded yet this year: last year's round
            awarded = awarded.replace(year=awarded.year - 1)
        years = 1 if tier == "tech_sme" else 3
        expires = date(awarded.year + years, awarded.month, min(awarded.day, 28)) - timedelta(days=1)
        level = TIER_LEVELS[tier]
        issuer = "00" if level == "national" else province
        awards.append({"tier": tier, "certificate_no": f"{TIER_PREFIX[tier]}-{issuer}-{awarded.year}-{serial:06d}",
                       "level": level, "awarded_on": awarded.isoformat(), "expires_on": expires.isoformat()})

    roll = rng.random()
    if roll < 0.012:
        award("little_giant", date(year - rng.randrange(0, 4), rng.choice((7, 8)), rng.randrange(1, 28)))
        award("specialized_sme", date(year - rng.randrange(1, 5), 12, rng.randrange(1, 28)))
    elif roll < 0.06:
        award("specialized_sme", date(year - rng.randrange(0, 5), rng.choice((10, 11, 12)), rng.randrange(1, 28)))
    if rng.random() < 0.09:
        award("innovative_sme", date(year - rng.randrange(0, 4), rng.choice((6, 7, 8, 9)), rng.randrange(1, 28)))
    if rng.random() < 0.12:
        award("tech_sme", date(year - rng.randrange(0, 2), rng.choice((3, 4, 5)), rng.randrange(1, 28)))
    return awards


@cache
def _places(scale, seed):
    """``(counties by province, provinces by weight, park by county)`` the SMEs of ``scale`` lie in."""
    return (counties_by_province(), [(code, PROVINCE_WEIGHTS[code]) for code in MAINLAND],
            {station["region_code"]: station["park"] for station in stations(scale, seed)})


def enterprises(scale, on, seed=2026, serials=None):
    """``scale.enterprises`` registrations (the shape ``enterprises.import_enterprises`` reads), over
    every mainland province by weight and every county-level division in use in it; with ``serials``
    (a range of them), only those. Each is drawn by a generator of its own, seeded by its serial, so
    a share of them is the same as in the whole set (:class:`Registrations`).

    About a fifth of the SMEs of a county with a station (:func:`stations`) are in its park.
    Registrations are made in order: the first few cover every size class in every province,
    so even a small scale shows each.
    """
    counties, provinces, park_at = _places(scale, seed)
    year = figures_year(on)
    for serial in range(scale.enterprises) if serials is None else serials:
        rng = random.Random(seed * 10_000_000 + serial)
        covering = serial < len(MAINLAND) * len(SIZE_WEIGHTS)
        if covering:
            province, target = MAINLAND[serial // len(SIZE_WEIGHTS)], SIZE_WEIGHTS[serial % len(SIZE_WEIGHTS)][0]
        else:
            province, target = _weighted(rng, provinces), _weighted(rng, SIZE_WEIGHTS)
        region = rng.choice(counties[province])
        industry = _weighted(rng, INDUSTRY_WEIGHTS)
        while covering and industry[0] == "J":  # 金融业 has no size class
            industry = _weighted(rng, INDUSTRY_WEIGHTS)
        legal_form = _weighted(rng, LEGAL_FORMS)
        if legal_form == "individual_business" and target in ("large", "medium"):
            legal_form = "limited_liability"
        try:
            employees, revenue, assets = _figures_for(rng, industry, legal_form, target)
            size_class = target
        except size_rules.NotClassified:          # 金融业: on record, not classified
            employees, revenue, assets = int(rng.uniform(10, 200)), round(rng.uniform(500, 20000), 1), \
                round(rng.uniform(2000, 90000), 1)
            size_class = None
        founded = on - timedelta(days=rng.randrange(400, 30 * 365))
        kind = {"individual_business": "92", "sole_proprietorship": "91", "partnership": "91"}.get(legal_form, "91")
        body = f"{kind}{region}MA{serial:07d}"[:17]
        name = f"{_place_name(region)}{rng.choice(TRADE_NAMES)}{rng.choice(TRADE_NAMES)}" \
               f"{BUSINESS[industry[0]]}"
        name += {"individual_business": "经营部", "sole_proprietorship": "（个人独资）",
                 "partnership": "（有限合伙）", "joint_stock": "股份有限公司"}.get(legal_form, "有限公司")
        row = {"uscc": uscc(body), "name": name, "region_code": region, "industry_code": industry,
               "legal_form": legal_form, "registered_on": founded.isoformat(),
               "figures_year": max(year, founded.year), "employees": employees, "revenue": revenue,
               "total_assets": assets}
        if industry[0] in "CIM" or rng.random() < 0.2:
            row["rd_expense"] = round(revenue * rng.uniform(0, 0.09), 1)
            row["ip_class1_count"] = rng.randrange(0, 12 if industry[0] in "CIM" else 3)
        tags = rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3)))
        tiers = _tiers(rng, serial, province, size_class, on)
        if any(t["tier"] in ("specialized_sme", "little_giant") for t in tiers) and "专精特新" not in tags:
            tags.append("专精特新")
        if tags:
            row["tags"] = tags
        if tiers:
            row["tiers"] = tiers
        if rng.random() < 0.2 and region in park_at:
            row["park"] = park_at[region]
        yield row


class Registrations(Sequence):
    """The registrations of :func:`enterprises` as a sequence, each generated when it is read (who
    raises the planned requests: a few hundred of the tens of thousands)."""

    def __init__(self, scale, on, seed=2026):
        self.scale, self.on, self.seed = scale, on, seed

    def __len__(self):
        return self.scale.enterprises

    def __getitem__(self, serial):
        if not 0 <= serial < len(self):
            raise IndexError(serial)
        return next(enterprises(self.scale, self.on, self.seed, range(serial, serial + 1)))


# -- providers, products and cases ---------------------------------------------------------------

PROVIDER_KINDS = {
    "policy": ("政策咨询", "政策解读、项目申报辅导"),
    "cultivation": ("企业成长服务", "专精特新培育诊断与认定辅导"),
    "chain": ("产业链服务", "链主企业配套对接与供应商导入"),
    "finance_talent": ("融资服务", "银企对接、融资担保推荐与人才招聘"),
    "quality_brand": ("质量技术服务", "质量体系、标准制定与品牌建设"),
    "international": ("国际商务咨询", "境外参展、出口合规与跨境合作"),
    "rights": ("法律服务", "合同纠纷、账款清欠与知识产权保护"),
    "training": ("管理咨询", "经营管理、数字化转型培训与诊断"),
}
PRODUCTS = {
    "policy": ("惠企政策体检与申报代办", "免费"),
    "cultivation": ("专精特新认定全流程辅导", "按项目收费"),
    "chain": ("链主企业供应商准入辅导", "面议"),
    "finance_talent": ("知识产权质押融资对接", "按贷款额0.5%收取"),
    "quality_brand": ("ISO 9001 质量管理体系建设", "面议"),
    "international": ("出口目的国合规咨询", "按次收费"),
    "rights": ("拖欠账款法律咨询与调解", "免费"),
    "training": ("数字化转型诊断与培训", "政府购买服务"),
}
CASE_OUTCOMES = {
    "policy": ("帮助企业申报研发费用加计扣除", "当年减免企业所得税约80万元"),
    "cultivation": ("辅导企业通过专精特新中小企业认定", "获评省级专精特新中小企业"),
    "chain": ("对接链主企业完成供应商审核", "进入链主企业合格供应商名录"),
    "finance_talent": ("以专利质押获得银行贷款", "30个工作日内放款500万元"),
    "quality_brand": ("协助企业建立质量体系并通过认证", "产品不良率下降40%"),
    "international": ("协助企业完成欧盟产品认证", "首批产品出口欧洲"),
    "rights": ("协调国有企业支付拖欠货款", "追回货款186万元"),
    "training": ("为企业中层开展数字化转型培训", "上线MES系统，交付周期缩短20%"),
}


def providers(scale, seed=2026):
    """Quality service providers (优质服务机构): ``scale.providers_per_area`` per service area, in the
    provinces with the most SMEs, each admitted to its area (and some to a second one)."""
    rng = random.Random(seed + 1)
    provinces = sorted(PROVINCE_WEIGHTS, key=lambda code: -PROVINCE_WEIGHTS[code])
    counties = counties_by_province()
    result, serial = [], 0
    for area in AREAS:
        for number in range(scale.providers_per_area):
            province = provinces[(serial + number) % len(provinces)]
            region = rng.choice(counties[province])
            place = short_name(regions.chain(region)[1].name if len(regions.chain(region)) > 2
                               else regions.chain(region)[0].name)
            kind, description = PROVIDER_KINDS[area]
            areas = [area] + ([rng.choice([a for a in AREAS if a != area])] if rng.random() < 0.3 else [])
            result.append({
                "name": f"{place}{rng.choice(TRADE_NAMES)}{kind}有限公司（示例）",
                "uscc": uscc(f"91{region}MAP{serial:06d}"), "region_code": region,
                "established_on": date(2008 + rng.randrange(0, 14), rng.randrange(1, 13), 1).isoformat(),
                "served_enterprises": rng.randrange(30, 900), "description": f"为中小企业提供{description}服务。",
                "qualifications": [{"name": "服务机构备案", "number": f"FW-{region[:2]}-{serial:04d}",
                                    "issuer": f"{regions.lookup(region[:2] + '0000').name}工业和信息化主管部门"}],
                "areas": areas})
            serial += 1
    return result


def products(provider_list):
    """One service product (服务产品) per provider, in its first area."""
    result = []
    for index, provider in enumerate(provider_list):
        area = provider["areas"][0]
        title, fee = PRODUCTS[area]
        result.append({"title": f"{title}（{provider['name'][:4]}，示例）", "summary": PROVIDER_KINDS[area][1],
                       "service_area": area, "size_classes": ["small", "micro"] if index % 2 else ["medium", "small"],
                       "provider": index, "region_code": provider["region_code"][:2] + "0000", "fee": fee})
    return result


def cases(provider_list, seed=2026):
    """One service case (服务案例) per provider, about an SME of its region."""
    rng = random.Random(seed + 2)
    result = []
    for index, provider in enumerate(provider_list):
        area = provider["areas"][0]
        summary, outcome = CASE_OUTCOMES[area]
        industry = _weighted(rng, INDUSTRY_WEIGHTS)
        result.append({"title": f"{summary}（{provider['name'][:4]}，示例）", "summary": summary,
                       "service_area": area, "industry_codes": [industry], "size_classes": [rng.choice(("small", "micro"))],
                       "provider": index, "region_code": provider["region_code"], "outcome": outcome})
    return result


# -- policies -----------------------------------------------------------------------------------

NATIONAL_POLICIES = (
    ("关于进一步支持专精特新中小企业高质量发展的通知（示例）", "cultivation",
     "对专精特新“小巨人”企业给予奖补支持，引导地方配套资金。",
     {"tiers": ["little_giant"]}),
    ("中小企业数字化转型城市试点实施指南（示例）", "training",
     "支持制造业中小企业实施数字化改造，按投入给予补助。",
     {"industry_codes": ["C"], "size_classes": ["medium", "small"], "employees_min": 20,
      "tags": ["数字化转型", "智能制造"]}),
    ("科技型中小企业研发费用加计扣除政策（示例解读）", "policy",
     "科技型中小企业研发费用按100%在税前加计扣除。",
     {"tiers": ["tech_sme"]}),
    ("小微企业融资担保降费奖补（示例）", "finance_talent",
     "对为小微企业提供融资担保的机构给予降费奖补，降低小微企业融资成本。",
     {"size_classes": ["micro"], "industry_codes": ["C", "I", "M"], "registered_years_min": 3}),
    ("中小企业知识产权质押融资专项（示例）", "finance_talent",
     "支持拥有一类知识产权的中小企业开展质押融资。",
     {"size_classes": ["medium", "small"], "rd_ratio_min": 0.03, "registered_years_min": 2}),
    ("优质中小企业梯度培育专项行动（示例）", "cultivation",
     "对创新型中小企业开展培育辅导，推动晋级专精特新。",
     {"tiers": ["innovative_sme"]}),
    ("中小企业跨境电商出海行动方案（示例）", "international",
     "支持中小企业开拓海外市场，参加境外展会给予展位费补贴。",
     {"tags": ["跨境电商", "外贸", "出口"], "size_classes": ["medium", "small", "micro"]}),
    ("中小企业绿色低碳转型指引（示例）", "quality_brand",
     "对开展节能改造和绿色认证的中小企业给予支持。",
     {"industry_codes": ["C", "D"], "tags": ["绿色低碳"]}),
)
PROVINCIAL_TEMPLATES = (
    ("{p}支持专精特新中小企业发展若干措施（示例）", "cultivation", "对新认定的专精特新中小企业给予一次性奖励。",
     lambda rng: {"tiers": ["specialized_sme", "little_giant"]}),
    ("{p}制造业中小企业智能化改造专项资金（示例）", "quality_brand", "按设备投入的10%给予补助，最高200万元。",
     lambda rng: {"industry_codes": ["C"], "size_classes": ["medium", "small"],
                  "revenue_min": rng.choice((500, 1000, 2000))}),
    ("{p}小微企业首贷贴息办法（示例）", "finance_talent", "对小微企业首次获得银行贷款给予50%贴息。",
     lambda rng: {"industry_codes": ["F", "H", "O"], "size_classes": ["small", "micro"],
                  "employees_max": rng.choice((50, 100, 200))}),
    ("{p}科技型中小企业研发投入后补助（示例）", "cultivation", "按上年度研发投入增量的10%给予后补助。",
     lambda rng: {"rd_ratio_min": rng.choice((0.03, 0.04, 0.05)), "registered_years_min": 1,
                  "tiers": ["tech_sme", "innovative_sme"]}),
    ("{p}中小企业开拓国际市场专项（示例）", "international", "对参加境外重点展会的中小企业给予展位费补贴。",
     lambda rng: {"tags": ["外贸", "出口", "跨境电商"]}),
    ("{p}软件和信息技术服务业中小企业扶持办法（示例）", "training", "对软件企业人才培训给予补贴。",
     lambda rng: {"industry_codes": ["I64", "I65"], "size_classes": ["small", "micro"]}),
    ("{p}保障中小企业款项支付投诉处理办法（示例）", "rights", "建立拖欠中小企业账款投诉受理和督办机制。",
     lambda rng: {"size_classes": ["small", "micro"], "industry_codes": ["C", "E"], "registered_years_min": 2}),
    ("{p}商贸流通小微企业纾困措施（示例）", "finance_talent", "对批发零售业小微企业给予房租减免和贷款贴息。",
     lambda rng: {"industry_codes": ["F"], "size_classes": ["small", "micro"]}),
    ("{p}创新型中小企业培育计划（示例）", "cultivation", "对新认定创新型中小企业给予研发资助。",
     lambda rng: {"tiers": ["innovative_sme", "tech_sme"]}),
    ("{p}中小企业质量品牌提升行动（示例）", "quality_brand", "对获得质量管理体系认证的中小企业给予奖励。",
     lambda rng: {"industry_codes": ["C"], "size_classes": ["medium"], "registered_years_min": 3}),
)
LOCAL_TEMPLATES = (
    ("{p}中小企业服务券实施细则（示例）", "training", "向中小企业发放服务券，用于购买培训咨询服务。",
     lambda rng: {"size_classes": ["small", "micro"]}),
    ("{p}专精特新企业房租补贴办法（示例）", "cultivation", "对入驻园区的专精特新企业给予三年房租补贴。",
     lambda rng: {"tiers": ["specialized_sme", "little_giant"]}),
    ("{p}制造业企业技术改造奖励（示例）", "quality_brand", "对年度技术改造投入超过300万元的企业给予奖励。",
     lambda rng: {"industry_codes": ["C"], "employees_min": rng.choice((20, 50))}),
    ("{p}小微企业稳岗就业补贴（示例）", "finance_talent", "对稳定就业的小微企业按人数给予补贴。",
     lambda rng: {"size_classes": ["micro", "small"], "employees_max": 100}),
)


def _policy(rng, title, area, benefits, criteria, region, level, issuer, number, on):
    issued = on - timedelta(days=rng.randrange(20, 700))
    policy = {"region": region, "title": title, "issuer": issuer, "issuer_level": level, "document_number": number,
              "issued_on": issued.isoformat(), "service_area": area, "benefits": benefits, "criteria": criteria,
              "full_text": f"{benefits}申报条件与程序详见附件。"}
    if rng.random() < 0.6:
        policy["expires_on"] = date(on.year + rng.randrange(1, 4), 12, 31).isoformat()
    return policy


def policies(scale, on, seed=2026):
    """Policies (惠企政策) at every issuing level with structured criteria (the enterprises
    service's Criteria): the national ones, ``scale.policies_per_province`` in each province,
    and some cities' and counties'. Each is ``{"region", ...the policy}``, published unless
    ``"state"`` says ``draft`` or ``withdrawn``."""
    rng = random.Random(seed + 3)
    result = []
    for index, (title, area, benefits, criteria) in enumerate(NATIONAL_POLICIES):
        result.append(_policy(rng, title, area, benefits, criteria, "000000", "national", "工业和信息化部",
                              f"工信部企业〔{on.year - 1 - index % 2}〕示例{index + 1}号", on))
    for province in sorted(MAINLAND, key=lambda code: -PROVINCE_WEIGHTS[code])[: scale.policy_provinces]:
        name = regions.lookup(province + "0000").name
        short = short_name(name).removesuffix("省").removesuffix("壮族自治").removesuffix("回族自治") \
            .removesuffix("维吾尔自治").removesuffix("自治")
        chosen = rng.sample(PROVINCIAL_TEMPLATES, min(scale.policies_per_province, len(PROVINCIAL_TEMPLATES)))
        for index, (title, area, benefits, make) in enumerate(chosen):
            result.append(_policy(rng, title.format(p=name), area, benefits, make(rng), province + "0000", "province",
                                  f"{name}工业和信息化厅", f"{short}工信中小〔{on.year - 1}〕示例{index + 1}号", on))
    for level, count, divisions in (("city", scale.city_policies, cities()),
                                    ("county", scale.county_policies,
                                     [d for d in regions.county_level_divisions() if d.code[:2] in PROVINCE_WEIGHTS
                                      and d.level == regions.COUNTY])):
        for index, division in enumerate(rng.sample(divisions, min(count, len(divisions)))):
            title, area, benefits, make = rng.choice(LOCAL_TEMPLATES)
            short = short_name(division.name)
            result.append(_policy(rng, title.format(p=division.name), area, benefits, make(rng), division.code, level,
                                  f"{division.name}工业和信息化局", f"{short}工信〔{on.year - 1}〕示例{index + 1}号", on))
    # A few drafts not yet published, and a few withdrawn after publication.
    for index, policy in enumerate(result[len(NATIONAL_POLICIES):]):
        if index % 37 == 5:
            policy["state"] = "draft"
        elif index % 53 == 7:
            policy["state"] = "withdrawn"
    return result


# -- requests -----------------------------------------------------------------------------------

REQUEST_TOPICS = {
    "policy": [("研发费用加计扣除政策咨询", "想了解研发费用加计扣除的申报口径和所需材料"),
               ("高新技术企业认定咨询", "请指导高新技术企业认定的条件和流程")],
    "cultivation": [("专精特新申报辅导", "希望了解省级专精特新中小企业申报条件"),
                    ("创新型中小企业评价", "请协助开展创新型中小企业自评")],
    "chain": [("对接链主企业配套需求", "希望进入本地龙头企业供应链"),
              ("寻找上游原材料供应商", "需要稳定的原材料供应渠道")],
    "finance_talent": [("首贷融资对接", "需要300万元流动资金贷款，希望对接银行首贷服务"),
                       ("技术人才招聘", "急需招聘嵌入式软件工程师")],
    "quality_brand": [("质量管理体系认证辅导", "计划申请ISO 9001认证"),
                      ("商标注册与品牌建设", "希望注册商标并开展品牌推广")],
    "international": [("出口合规咨询", "产品拟出口欧盟，需了解认证要求"),
                      ("境外展会对接", "希望参加东南亚行业展会")],
    "rights": [("合同纠纷法律咨询", "客户违约拒不支付合同尾款"),
               ("知识产权侵权维权", "发现他人仿冒我司产品")],
    "training": [("数字化转型培训", "希望为中层管理人员安排数字化转型专题培训"),
                 ("安全生产培训", "需要组织员工安全生产培训")],
}
# Days before today each wave of requests was submitted (the requests service's clock is moved
# back for it), and where its requests end: (steps the agency and the enterprise take, weight).
# Older waves are mostly settled; what an agency left waiting in an older wave ("stalled") goes
# overdue, and the deadline sweep escalates it up the hierarchy, to the national agency at last.
ASSIGNED, ACCEPTED, IN_PROGRESS = (), ("accept",), ("accept", "start")
RESOLVED, REVISITED = ("accept", "start", "resolve"), ("accept", "start", "resolve", "rate")
CLOSED, REOPENED = ("accept", "resolve", "rate", "close"), ("accept", "start", "resolve", "rate:unsolved", "reopen")
WITHDRAWN, ESCALATED, STALLED = ("withdraw",), ("accept", "escalate"), ("stalled",)
WAVES = {
    60: ((CLOSED, 55), (REVISITED, 15), (WITHDRAWN, 6), (STALLED, 8), (REOPENED, 4), (RESOLVED, 4)),
    30: ((CLOSED, 35), (REVISITED, 20), (RESOLVED, 10), (REOPENED, 5), (STALLED, 8), (WITHDRAWN, 5),
         (IN_PROGRESS, 8)),
    12: ((IN_PROGRESS, 25), (RESOLVED, 20), (ACCEPTED, 8), (REVISITED, 15), (CLOSED, 15), (STALLED, 6),
         (ESCALATED, 5)),
    4: ((ACCEPTED, 20), (IN_PROGRESS, 20), (ASSIGNED, 10), (RESOLVED, 15), (ESCALATED, 5), (WITHDRAWN, 8),
        (CLOSED, 10)),
    0: ((ASSIGNED, 50), (ACCEPTED, 20), (WITHDRAWN, 10), (IN_PROGRESS, 20)),
}


def _sme_class(sme):
    figures = {name: sme.get(name) for name in (size_rules.EMPLOYEES, size_rules.REVENUE, size_rules.TOTAL_ASSETS)}
    return size_rules.size_of(sme["industry_code"], sme.get("legal_form"), figures).size_class


def _small_one(rng, smes, draws=100):
    """A small or micro enterprise drawn from ``smes``; None if ``draws`` draws find none."""
    for _ in range(draws):
        sme = smes[rng.randrange(len(smes))]
        if _sme_class(sme) in ("small", "micro"):
            return sme
    return None


def requests(scale, smes, seed=2026):
    """The requests to raise: ``[{"wave", "uscc", "body", "steps"}]``, ``scale.requests`` of them,
    by SMEs taken from ``smes`` (a sequence of registrations, such as :class:`Registrations`, which
    generates only those taken), oldest wave first.

    The first ones take every (wave, ending) pair once, so even a small scale shows each;
    the rest are drawn by weight. Now and then a rights request is an arrears complaint
    (拖欠账款, 保障中小企业款项支付条例) by a small or micro enterprise.
    """
    rng = random.Random(seed + 4)
    pairs = [(wave, steps) for wave, endings in WAVES.items() for steps, _ in endings]
    waves = list(WAVES)
    plan = []
    for serial in range(scale.requests):
        if serial < len(pairs):
            wave, steps = pairs[serial]
        else:
            wave = rng.choice(waves)
            steps = _weighted(rng, WAVES[wave])
        sme = smes[rng.randrange(len(smes))]
        area = rng.choice(AREAS)
        title, description = rng.choice(REQUEST_TOPICS[area])
        body = {"service_area": area, "title": title, "description": description}
        complainant = _small_one(rng, smes) if area == "rights" and serial % 3 == 0 else None
        if complainant is not None:
            sme = complainant
            body = {"title": "国有单位拖欠货款", "description": "设备交付后逾期未付款，多次催要无果",
                    "arrears": {"debtor_uscc": uscc(f"12{sme['region_code']}MB{serial:07d}"),
                                "debtor_type": "public_institution", "amount": rng.randrange(20, 400) * 1000,
                                "contract_date": "2025-03-10", "delivery_date": "2025-05-20"}}
        body["region_code"] = sme["region_code"]
        if sme.get("park"):
            body["park"] = sme["park"]
        plan.append({"wave": wave, "uscc": sme["uscc"], "body": body, "steps": list(steps)})
    plan.sort(key=lambda item: -item["wave"])
    return plan
