"""Demo SMEs (一企一档): three dozen enterprises in nine provinces, with figures by year, tiers and tags.

Loaded as a provincial roll-out would load them (``enterprises.import_enterprises``),
then the earlier years' figures are filed (``enterprises.update``). Loading twice
changes nothing: known USCCs are reported as already registered, and filing the
same figures again is refused as no change, which the loader passes over.
"""
import json
from datetime import date

from stdnum.cn import uscc as uscc_standard

from chassis.errors import ValidationFailed


def uscc(body17):
    return body17 + uscc_standard.calc_check_digit(body17)


def award(tier, certificate_no, level, awarded_on, expires_on):
    return {"tier": tier, "certificate_no": certificate_no, "level": level,
            "awarded_on": awarded_on, "expires_on": expires_on}


def tech(no, year=None):
    """科技型中小企业: evaluated into the provincial list for one calendar year (this year unless told)."""
    year = year or date.today().year
    return award("tech_sme", no, "province", f"{year}-01-01", f"{year}-12-31")


def innovative(no, awarded="2024-06-28"):
    year = int(awarded[:4])
    return award("innovative_sme", no, "province", awarded, f"{year + 3}{awarded[4:]}")


def specialized(no, awarded="2023-12-15"):
    year = int(awarded[:4])
    return award("specialized_sme", no, "province", awarded, f"{year + 3}{awarded[4:]}")


def little_giant(no, awarded="2024-07-20"):
    year = int(awarded[:4])
    return award("little_giant", no, "national", awarded, f"{year + 3}{awarded[4:]}")


def sme(code17, name, region, industry, founded, figures, history=(), **extra):
    """One demo profile; ``figures`` (employees, revenue, total assets, R&D, Class-I IP) are 2025's,
    ``history`` the same for earlier years as ``(year, employees, revenue, assets, rd, ip)``."""
    employees, revenue, assets, rd, ip = figures
    profile = {"uscc": uscc(code17), "name": name, "region_code": region, "industry_code": industry,
               "registered_on": founded, "figures_year": 2025, "employees": employees, "revenue": revenue,
               "total_assets": assets, "rd_expense": rd, "ip_class1_count": ip,
               "legal_form": "limited_liability"}
    profile.update(extra)
    profile["history"] = list(history)
    return profile


ENTERPRISES = [
    sme("91110105MA01A0001", "北京朝阳智造科技有限公司", "110105", "C39", "2015-04-08", (86, 5200, 6100, 420, 6),
        [(2023, 70, 3900, 5000, 260, 3), (2024, 78, 4600, 5600, 350, 5)],
        park="中关村朝阳园", tags=["高新技术企业", "数字化转型"],
        tiers=[specialized("ZJTX-BJ-2023-0418"), innovative("CXX-BJ-2022-1033", "2022-09-30")],
        contact={"person": "王磊", "phone": "010-84561234", "email": "wanglei@cyzz.example.cn"}),
    sme("91110105MA01A0002", "北京望京软件服务有限公司", "110105", "I65", "2019-09-17", (24, 830, 600, 150, 2),
        [(2024, 19, 560, 420, 110, 1)], park="望京科技园", tags=["数字化转型", "信创"],
        tiers=[tech("KJX-110105-0087")],
        contact={"person": "刘洋", "phone": "13910012345"}),
    sme("91320102MA1XB0003", "南京玄武精密仪器有限公司", "320102", "C40", "2011-06-01", (150, 12000, 15800, 780, 14),
        [(2023, 132, 9800, 13200, 590, 11), (2024, 141, 10900, 14500, 700, 12)],
        park="徐庄软件园", tags=["专精特新", "出口"],
        tiers=[little_giant("XJR-2024-0311"), specialized("ZJTX-JS-2021-0902", "2021-12-20")],
        contact={"person": "陈静", "phone": "025-84430011"}),
    sme("91440305MA5FC0004", "深圳南山跨境贸易有限公司", "440305", "F51", "2018-03-12", (12, 2400, 900, None, 0),
        [(2024, 10, 2100, 800, None, 0)], tags=["外贸", "跨境电商"],
        contact={"person": "黄海", "email": "huanghai@nskj.example.cn"}),
    sme("91110108MA01A0005", "北京中关村专精特新传感技术有限公司", "110108", "C40", "2013-10-22",
        (210, 18600, 22300, 1650, 27), [(2024, 198, 16200, 20100, 1380, 23)], park="中关村科学城",
        tags=["专精特新", "高新技术企业"],
        tiers=[little_giant("XJR-2023-0188", "2023-07-14"), specialized("ZJTX-BJ-2022-0230", "2022-11-08")]),
    sme("91110108MA01A0006", "北京海淀智算云科技有限公司", "110108", "I65", "2020-02-14", (96, 4300, 3900, 960, 9),
        [(2024, 72, 2800, 3100, 700, 6)], park="中关村软件园", tags=["人工智能", "数字化转型"],
        tiers=[innovative("CXX-BJ-2024-2210"), tech("KJX-110108-0412")]),
    sme("91110108MA01A0007", "北京海淀知行教育咨询有限公司", "110108", "P83", "2017-08-30", (45, 1200, 800, 0, 0),
        tags=["教育服务"]),
    sme("91110115MA01A0008", "北京大兴生物医药科技有限公司", "110115", "C27", "2016-05-19", (320, 25600, 41000, 3900, 31),
        [(2024, 298, 21800, 37500, 3300, 26)], park="中国医药城大兴生物医药基地", tags=["生物医药", "高新技术企业"],
        tiers=[specialized("ZJTX-BJ-2024-0655", "2024-12-10")]),
    sme("91320506MA1XB0009", "苏州吴中精工机械有限公司", "320506", "C34", "2009-11-03", (268, 21500, 26800, 980, 12),
        [(2023, 251, 19800, 25100, 880, 10), (2024, 259, 20600, 25900, 920, 11)], park="吴中经济技术开发区",
        tags=["链主配套", "出口"], tiers=[specialized("ZJTX-JS-2023-1427")]),
    sme("91320583MA1XB0010", "昆山锦程电子材料有限公司", "320583", "C39", "2012-04-25", (520, 38800, 45200, 1500, 18),
        [(2024, 540, 41200, 44800, 1420, 16)], park="昆山经济技术开发区", tags=["链主配套", "外贸"],
        tiers=[innovative("CXX-JS-2023-3051", "2023-08-18")]),
    sme("91320583MA1XB0011", "昆山盛达物流有限公司", "320583", "G54", "2014-07-07", (160, 6800, 9400, None, 0),
        tags=["供应链"]),
    sme("91320102MA1XB0012", "南京玄武数字文旅有限公司", "320102", "R87", "2021-03-15", (38, 950, 700, 60, 1),
        tags=["文化创意"]),
    sme("91330106MA2AA0013", "杭州西湖云图信息技术有限公司", "330106", "I65", "2018-12-01", (132, 8900, 7600, 1400, 15),
        [(2023, 101, 6100, 5400, 980, 9), (2024, 118, 7300, 6500, 1210, 12)], park="西湖区云栖小镇",
        tags=["数字化转型", "专精特新"],
        tiers=[specialized("ZJTX-ZJ-2024-2318", "2024-10-16"), innovative("CXX-ZJ-2023-4410", "2023-07-01")]),
    sme("91330212MA2AA0014", "宁波鄞州海纳模具有限公司", "330212", "C35", "2007-09-12", (88, 7600, 9800, 420, 5),
        [(2024, 92, 7900, 9500, 380, 5)], tags=["模具", "出口"], tiers=[specialized("ZJTX-ZJ-2022-0871", "2022-12-28")]),
    sme("92330782MA2AA0015", "义乌市小商品城晓红饰品店", "330782", "F52", "2016-03-01", (4, 85, 30, None, None),
        legal_form="individual_business", tags=["小商品", "跨境电商"]),
    sme("91330782MA2AA0016", "义乌环球通供应链管理有限公司", "330782", "F51", "2015-10-10", (46, 16800, 5200, None, 0),
        tags=["外贸", "跨境电商"]),
    sme("91440305MA5FC0017", "深圳南山微光半导体有限公司", "440305", "C39", "2017-01-16", (380, 32600, 48800, 5200, 46),
        [(2023, 310, 24100, 39800, 4100, 35), (2024, 352, 28900, 44100, 4800, 41)], park="深圳湾科技生态园",
        tags=["集成电路", "专精特新", "高新技术企业"],
        tiers=[little_giant("XJR-2022-1130", "2022-08-10"), specialized("ZJTX-GD-2021-0544", "2021-12-30")]),
    sme("91440305MA5FC0018", "深圳南山云启软件有限公司", "440305", "I65", "2022-05-09", (18, 260, 310, 120, 2),
        tags=["人工智能"], tiers=[tech("KJX-440305-1934")]),
    sme("91440106MA5FC0019", "广州天河星河物业管理有限公司", "440106", "K702", "2010-06-18", (420, 3600, 2100, None, 0),
        tags=["物业服务"]),
    sme("91440106MA5FC0020", "广州天河粤味餐饮管理有限公司", "440106", "H62", "2013-09-09", (130, 2600, 1500, None, 0),
        tags=["老字号"]),
    sme("91441900MA5FC0021", "东莞松山湖智能装备有限公司", "441900", "C35", "2014-11-11", (245, 19800, 23600, 1350, 19),
        [(2024, 231, 18200, 22100, 1180, 17)], park="松山湖高新区", tags=["智能制造", "链主配套"],
        tiers=[specialized("ZJTX-GD-2024-1208", "2024-11-25"), innovative("CXX-GD-2023-0772", "2023-09-12")]),
    sme("91441900MA5FC0022", "东莞长安五金制品有限公司", "441900", "C33", "2005-04-20", (1200, 52000, 61000, 900, 4),
        tags=["出口"]),
    sme("91441900MA5FC0023", "东莞厚街建筑工程有限公司", "441900", "E48", "2008-08-08", (160, 9200, 7400, None, 0),
        tags=["建筑施工"]),
    sme("91510107MA6CA0024", "成都武侯天府软件有限公司", "510107", "I65", "2016-02-29", (205, 11200, 8300, 1800, 21),
        [(2024, 188, 9600, 7200, 1500, 18)], park="天府软件园", tags=["信创", "数字化转型"],
        tiers=[specialized("ZJTX-SC-2023-0337")]),
    sme("91510107MA6CA0025", "成都武侯蜀味食品有限公司", "510107", "C14", "2011-12-05", (75, 4600, 3800, 90, 1),
        tags=["食品", "老字号"]),
    sme("91510107MA6CA0026", "成都武侯锦程商务咨询有限公司", "510107", "L72", "2019-07-22", (28, 640, 450, None, 0),
        tags=["商务服务"]),
    sme("91420111MA4KA0027", "武汉洪山光谷光电科技有限公司", "420111", "C39", "2012-10-10", (290, 27600, 33800, 2900, 38),
        [(2024, 276, 24900, 31200, 2500, 33)], park="东湖高新区", tags=["光电子", "专精特新"],
        tiers=[little_giant("XJR-2024-0958"), specialized("ZJTX-HB-2022-0411", "2022-10-20")]),
    sme("91420111MA4KA0028", "武汉洪山楚天仓储有限公司", "420111", "G592", "2015-05-15", (64, 2300, 6800, None, 0),
        tags=["冷链仓储"]),
    sme("91370212MA3CA0029", "青岛崂山海洋生物科技有限公司", "370212", "C27", "2018-06-06", (58, 3900, 5100, 620, 7),
        park="青岛国家高新区", tags=["海洋经济", "生物医药"], tiers=[innovative("CXX-SD-2024-1590", "2024-08-30")]),
    sme("91370212MA3CA0030", "青岛崂山茶业有限公司", "370212", "A01", "2010-03-18", (36, 1800, 2600, 40, 1),
        tags=["茶产业", "乡村振兴"]),
    sme("91350203MA2YA0031", "厦门思明鹭岛文创有限公司", "350203", "R88", "2020-09-01", (22, 480, 260, 30, 0),
        tags=["文化创意"]),
    sme("91350203MA2YA0032", "厦门思明海丝国际货运代理有限公司", "350203", "G58", "2013-04-11", (85, 7400, 2900, None, 0),
        tags=["外贸", "供应链"]),
    sme("91610113MA6TA0033", "西安雁塔航空精密部件有限公司", "610113", "C37", "2009-12-12", (410, 29800, 42600, 2600, 24),
        [(2024, 396, 27500, 40100, 2300, 22)], park="西安高新区", tags=["航空航天", "专精特新"],
        tiers=[specialized("ZJTX-SN-2023-0718", "2023-11-30"), tech("KJX-610113-2024-0560", 2024)]),
    sme("91610113MA6TA0034", "西安雁塔易联信息技术有限公司", "610113", "I64", "2021-11-19", (14, 210, 150, 45, 1),
        tags=["数字化转型"]),
    sme("91110105MA01A0035", "北京朝阳国贸商业保理有限公司", "110105", "J69", "2017-05-05", (33, 2900, 38000, None, 0),
        tags=["供应链金融"]),
    sme("91320506MA1XB0036", "苏州吴中太湖农业发展有限公司", "320506", "A04", "2012-02-02", (52, 620, 1900, None, 0),
        tags=["乡村振兴"]),
]


def load(services):
    """Register the demo SMEs in one import batch, then file their earlier years' figures."""
    rows = [{key: value for key, value in profile.items() if key != "history" and value is not None}
            for profile in ENTERPRISES]
    report = services.enterprises.import_enterprises(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "jsonl")
    problems = [r for r in report["rejected"] if r["errors"] != {"uscc": ["already registered"]}]
    if problems:
        raise RuntimeError(f"demo enterprises rejected: {problems}")
    for profile in ENTERPRISES:
        for year, employees, revenue, assets, rd, ip in profile["history"]:
            figures = {"figures_year": year, "employees": employees, "revenue": revenue,
                       "total_assets": assets, "rd_expense": rd, "ip_class1_count": ip}
            figures = {k: v for k, v in figures.items() if v is not None}
            try:
                services.enterprises.update(profile["uscc"], {**figures, "reason": "demo data: earlier years"})
            except ValidationFailed as exc:
                if set(map(tuple, exc.details.values())) != {("unchanged",)}:
                    raise  # anything but "already on file" is a real problem
    return report["stored"]
