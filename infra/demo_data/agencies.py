"""Demo agency network and libraries: the national skeleton from GB/T 2260 (about
3,200 agencies, one statement per level), park stations, service guides, and a
few policies, laws, experts, FAQs, providers, products and cases around the
demo SMEs (北京朝阳, 南京玄武, 深圳南山).

Titles marked 示例 are demo content; the two laws and the two national
documents are real. Loading twice changes nothing: every item is looked up
(by title, park or USCC) before it is added.
"""
from chassis.errors import Conflict, NotFound
from infra.demo_data import national
from infra.demo_data.enterprises import uscc
from reference import regions

STATIONS = [
    {"name": "中关村软件园中小企业服务站", "region_code": "110108", "park": "中关村软件园",
     "service_areas": ["policy", "finance_talent", "chain", "training"]},
    {"name": "徐庄软件园中小企业服务站", "region_code": "320102", "park": "徐庄软件园",
     "service_areas": ["policy", "finance_talent", "training"]},
    {"name": "深圳湾科技生态园中小企业服务站", "region_code": "440305", "park": "深圳湾科技生态园",
     "service_areas": ["policy", "finance_talent", "international", "training"]},
]

ITEM_TEXT = {
    "policy": ("政策解读与申报辅导", "惠企政策精准推送、解读和申报辅导", 1, 5),
    "cultivation": ("优质企业梯度培育", "创新型中小企业评价、专精特新认定辅导", 2, 20),
    "chain": ("大中小企业融通对接", "链主企业需求发布与配套对接", 2, 20),
    "finance_talent": ("融资与人才对接", "银企对接、担保推荐、人才招聘与培训", 1, 15),
    "quality_brand": ("质量标准品牌服务", "质量管理体系、标准制定与品牌建设辅导", 2, 20),
    "international": ("国际交流合作", "境外展会、跨境合作与出口合规咨询", 3, 30),
    "rights": ("权益保护与账款清欠", "拖欠中小企业账款投诉受理与协调", 1, 10),
    "training": ("培训与管理咨询", "经营管理、数字化转型培训与诊断", 2, 15),
}
ADMISSION_REASON = "资质、年限与服务业绩符合入库条件"
WITHDRAWAL_REASON = "政策已整合至新版办法，原文件废止"
GUIDE_REGIONS = ("000000", "110000", "110105", "320102", "440305")

POLICIES = [
    {"region": "000000", "title": "关于健全中小企业公共服务体系的指导意见", "issuer": "工业和信息化部",
     "issuer_level": "national", "document_number": "工信部企业〔2023〕213号", "issued_on": "2023-11-07",
     "service_area": "policy", "benefits": "构建全国中小企业服务“一张网”，推动政策直享、服务直达、诉求直办。",
     "criteria": {}},
    {"region": "000000", "title": "优质中小企业梯度培育管理暂行办法", "issuer": "工业和信息化部",
     "issuer_level": "national", "document_number": "工信部企业〔2022〕63号", "issued_on": "2022-06-01",
     "service_area": "cultivation", "benefits": "创新型中小企业、专精特新中小企业、专精特新“小巨人”企业梯度培育。",
     "criteria": {"size_classes": ["medium", "small", "micro"]}},
    {"region": "110000", "title": "北京市促进专精特新中小企业高质量发展若干措施（示例）", "issuer": "北京市经济和信息化局",
     "issuer_level": "province", "document_number": "京经信发〔2026〕示例1号", "issued_on": "2026-02-01",
     "expires_on": "2028-12-31", "service_area": "cultivation",
     "benefits": "对新认定的专精特新“小巨人”企业给予一次性奖励。",
     "criteria": {"tiers": ["specialized_sme", "little_giant"]}},
    {"region": "320000", "title": "江苏省制造业中小企业数字化转型专项支持（示例）", "issuer": "江苏省工业和信息化厅",
     "issuer_level": "province", "document_number": "苏工信中小〔2026〕示例2号", "issued_on": "2026-03-01",
     "expires_on": "2027-12-31", "service_area": "quality_brand",
     "benefits": "对实施数字化改造的制造业中小企业按投入给予补助。",
     "criteria": {"industry_codes": ["C"], "size_classes": ["medium", "small", "micro"]}},
    {"region": "440305", "title": "南山区中小企业融资贴息支持办法（示例）", "issuer": "深圳市南山区工业和信息化局",
     "issuer_level": "county", "document_number": "深南工信〔2026〕示例3号", "issued_on": "2026-04-01",
     "service_area": "finance_talent", "benefits": "对中小企业银行贷款利息给予最高50%贴息。",
     "criteria": {"employees_max": 300}},
]
DRAFT_POLICY = {"region": "110105", "title": "朝阳区中小企业拖欠账款清欠专项行动方案（示例）",
                "issuer": "北京市朝阳区科学技术和信息化局", "issuer_level": "county",
                "issued_on": "2026-05-01", "service_area": "rights",
                "benefits": "建立拖欠账款投诉快速受理和协调机制。", "criteria": {}}

LAWS = [
    {"title": "中华人民共和国中小企业促进法", "category": "law", "issuer": "全国人民代表大会常务委员会",
     "document_number": "主席令第七十四号", "issued_on": "2017-09-01", "effective_on": "2018-01-01",
     "service_area": "policy", "full_text": "为了改善中小企业经营环境，保障中小企业公平参与市场竞争，维护中小企业合法权益……"},
    {"title": "保障中小企业款项支付条例", "category": "administrative_regulation", "issuer": "国务院",
     "document_number": "国务院令第728号", "issued_on": "2020-07-05", "effective_on": "2020-09-01",
     "service_area": "rights", "full_text": "为了促进机关、事业单位和大型企业及时支付中小企业款项，维护中小企业合法权益……"},
]
EXPERTS = [
    {"name": "张明", "organization": "中国中小企业发展促进中心（示例）", "position": "研究员",
     "service_areas": ["finance_talent", "cultivation"], "specialties": ["供应链金融", "专精特新培育"],
     "region_code": "110105", "email": "zhangming@example.cn"},
    {"name": "李华", "organization": "江苏省质量和标准化研究院（示例）", "position": "高级工程师",
     "service_areas": ["quality_brand"], "specialties": ["质量管理体系", "团体标准"],
     "region_code": "320102", "phone": "025-00000000"},
    {"name": "王芳", "organization": "深圳市中小企业服务中心（示例）", "position": "律师",
     "service_areas": ["rights", "policy"], "specialties": ["拖欠账款", "合同纠纷"], "region_code": "440305"},
]
FAQS = [
    {"question": "如何申报专精特新中小企业？", "service_area": "cultivation",
     "answer": "企业在省级主管部门平台自评并提交材料，经审核、公示后认定，有效期三年。"},
    {"question": "被拖欠账款可以向哪里投诉？", "service_area": "rights",
     "answer": "可通过一张网提交诉求，由属地中小企业公共服务机构受理并协调。"},
    {"question": "中小企业如何获得贷款贴息？", "service_area": "finance_talent", "region_code": "440305",
     "answer": "符合条件的南山区中小企业可在取得贷款后申请贴息，详见相关办法。"},
]
PROVIDERS = [
    {"name": "北京中关村融智企业服务有限公司（示例）", "uscc": uscc("91110108MA0DEM001"), "region_code": "110108",
     "established_on": "2014-03-01", "served_enterprises": 260, "areas": ["finance_talent", "training"],
     "description": "为科技型中小企业提供融资对接、股权融资辅导和人才招聘服务。",
     "qualifications": [{"name": "融资服务机构备案", "number": "BJ-2019-001", "issuer": "北京市地方金融监督管理局"}]},
    {"name": "南京金陵质量标准技术服务有限公司（示例）", "uscc": uscc("91320102MA1DEM002"), "region_code": "320102",
     "established_on": "2012-08-15", "served_enterprises": 180, "areas": ["quality_brand"],
     "description": "质量管理体系认证咨询、标准制定和品牌建设服务。",
     "qualifications": [{"name": "检验检测机构资质认定", "number": "CMA-2020-32", "issuer": "江苏省市场监督管理局"}]},
]
PRODUCTS = [
    {"title": "专精特新企业申报辅导包（示例）", "summary": "自评诊断、材料准备、申报全流程辅导",
     "service_area": "cultivation", "size_classes": ["small", "medium"], "fee": "免费"},
    {"title": "科技型中小企业知识产权质押融资（示例）", "summary": "以专利、商标质押获得银行贷款",
     "service_area": "finance_talent", "industry_codes": ["C", "I"], "provider": 0, "region_code": "110000",
     "fee": "按贷款额0.5%收取服务费"},
    {"title": "制造业企业质量管理体系建设服务（示例）", "summary": "ISO 9001 体系建设与认证辅导",
     "service_area": "quality_brand", "industry_codes": ["C"], "provider": 1, "region_code": "320000",
     "fee": "面议"},
]
CASES = [
    {"title": "知识产权质押助力软件企业获得500万元贷款（示例）", "summary": "某软件企业以3项发明专利质押获得贷款",
     "service_area": "finance_talent", "industry_codes": ["I65"], "size_classes": ["small"], "provider": 0,
     "region_code": "110108", "outcome": "30个工作日内放款，企业研发投入增加20%"},
    {"title": "精密仪器企业通过质量体系认证进入龙头企业供应链（示例）",
     "summary": "协助企业建立质量体系并通过链主企业供应商审核", "service_area": "quality_brand",
     "industry_codes": ["C40"], "size_classes": ["medium"], "tiers": ["specialized_sme"], "provider": 1,
     "region_code": "320102", "outcome": "进入链主企业合格供应商名录"},
]


def load(services):
    """Load the skeleton and the demo libraries; returns how many items were added."""
    agencies = services.agencies
    added = agencies.generate_skeleton()["created"]
    by_region = {region: _agency_at(agencies, region) for region in
                 ("000000", "110000", "110105", "110108", "320000", "320102", "440305")}
    for station in STATIONS:
        try:
            parent = by_region[station["region_code"]]
            agencies.create_agency({**station, "level": "station", "parent_id": parent["id"]})
            added += 1
        except Conflict:
            pass
    for region in GUIDE_REGIONS:
        added += _guide(agencies, by_region[region])
    existing = {policy["title"] for state in ("draft", "published", "expired", "withdrawn")
                for policy in agencies.list_policies({"states": [state]}, 100, 0)["items"]}
    for policy in POLICIES + [DRAFT_POLICY]:
        if policy["title"] in existing:
            continue
        body = {key: value for key, value in policy.items() if key != "region"}
        created = agencies.create_policy({**body, "region_code": policy["region"],
                                          "agency_id": by_region[policy["region"]]["id"]})
        if policy is not DRAFT_POLICY:
            agencies.publish_policy(created["id"])
        added += 1
    provider_ids = [_provider(agencies, provider) for provider in PROVIDERS]
    added += _entries(agencies, "law", LAWS, "title")
    added += _entries(agencies, "expert", EXPERTS, "name")
    added += _entries(agencies, "faq", FAQS, "question")
    for kind, items in (("product", PRODUCTS), ("case", CASES)):
        added += _entries(agencies, kind, [_with_provider(item, provider_ids) for item in items], "title")
    return added


def _agency_at(agencies, region_code):
    if region_code == "000000":
        query = {"level": "national"}
    else:
        query = {"level": regions.level_of(region_code), "region": region_code}
    return agencies.list_agencies(query, 1, 0)["items"][0]


def guide_content(agency):
    """The demo's service guide of ``agency``: an item in each area it offers."""
    items = [{"service_area": area, "title": ITEM_TEXT[area][0], "content": ITEM_TEXT[area][1],
              "process": ["提交诉求", "受理登记", "办理", "反馈结果", "回访评价"],
              "accept_days": ITEM_TEXT[area][2], "resolve_days": ITEM_TEXT[area][3]}
             for area in agency["service_areas"]]
    return {"items": items,
            "supervision": {"phone": "12345", "url": "https://www.miit.gov.cn/"},
            "contact": {"address": f"{agency['name']}服务大厅", "phone": "12345", "hours": "工作日 9:00-17:00"}}


def _guide(agencies, agency):
    try:
        agencies.get_guide(agency["id"])
        return 0
    except NotFound:
        pass
    agencies.publish_guide(agency["id"], guide_content(agency), "demo")
    return 1


def _provider(agencies, provider):
    found = agencies.list_providers({"uscc": provider["uscc"]}, 1, 0)["items"]
    if found:
        return found[0]["id"]
    profile = {key: value for key, value in provider.items() if key != "areas"}
    created = agencies.register_provider(profile)
    for area in provider["areas"]:
        agencies.apply_for_admission(created["id"], area, "demo")
        agencies.decide_admission(created["id"], {"service_area": area, "decision": "admit",
                                                  "reason": ADMISSION_REASON}, "demo")
    return created["id"]


def _entries(agencies, kind, items, key):
    existing = {entry[key] for entry in agencies.list_entries(kind, {}, 100, 0)["items"]}
    fresh = [item for item in items if item[key] not in existing]
    for item in fresh:
        agencies.add_entry(kind, item)
    return len(fresh)


def _with_provider(item, provider_ids):
    entry = {key: value for key, value in item.items() if key != "provider"}
    if "provider" in item:
        entry["provider_id"] = provider_ids[item["provider"]]
    return entry


# -- the national scale (infra.demo_data.national) ------------------------------------------------

def load_network(network, scale):
    """Stations, guides, and providers with products and cases at ``scale``, through ``network``
    (:class:`infra.demo.Network`), a batch of each kind in one call (the agencies service's batch
    entrypoints); returns what was added by kind. Anything already there (a station by park, a
    provider by USCC, an entry by title, a guide) is left as it is."""
    added = {}
    agencies = _all_agencies(network)
    at = {(agency["level"], agency["region_code"]): agency for agency in agencies if agency["level"] != "station"}
    parks = {agency["park"] for agency in agencies if agency["level"] == "station"}
    stations = [{**station, "parent_id": at[(regions.level_of(station["region_code"]), station["region_code"])]["id"]}
                for station in national.stations(scale) if station["park"] not in parks]
    agencies += network.call(lambda services: services.agencies.create_agencies(stations)) if stations else []
    added["stations"] = len(stations)

    on_record = network.call(lambda services: services.agencies.agency_snapshot())
    guided = {agency["id"]: agency for agency in agencies if agency["level"] in ("national", "province", "station")}
    published = {guide["agency_id"] for guide in on_record["guides"]}
    guides = [{"agency_id": agency_id, **guide_content(agency)} for agency_id, agency in guided.items()
              if agency_id not in published]
    if guides:
        network.call(lambda services: services.agencies.publish_guides(guides, "demo"))
    added["guides"] = len(guides)

    providers = national.providers(scale)
    known = {provider["uscc"]: provider["provider_id"] for provider in on_record["providers"]}
    fresh = [{**{key: value for key, value in provider.items() if key != "areas"},
              "admitted_in": provider["areas"], "admission_reason": ADMISSION_REASON}
             for provider in providers if provider["uscc"] not in known]
    if fresh:
        known.update({provider["uscc"]: provider["id"] for provider in network.call(
            lambda services: services.agencies.register_providers(fresh, "demo"))})
    provider_ids = [known[provider["uscc"]] for provider in providers]
    added["providers"] = len(fresh)
    for kind, items in (("product", national.products(providers)), ("case", national.cases(providers))):
        existing = {entry["title"] for entry in network.call(
            lambda services: services.agencies.list_entries(kind, {}, 10_000, 0))["items"]}
        fresh = [_with_provider(item, provider_ids) for item in items if item["title"] not in existing]
        if fresh:
            network.call(lambda services, kind=kind: services.agencies.add_entries(kind, fresh))
        added[f"{kind}s"] = len(fresh)
    return added


def load_policies(network, scale, on):
    """The policies at ``scale`` (:func:`national.policies`), each created by the agency of its
    region and published (or left a draft, or withdrawn), in one call; one already there by title
    is left as it is. Returns how many were added."""
    at = {(agency["level"], agency["region_code"]): agency for agency in _all_agencies(network)
          if agency["level"] != "station"}
    existing = {policy["title"] for state in ("draft", "published", "expired", "withdrawn")
                for policy in network.call(lambda services, state=state: services.agencies.list_policies(
                    {"states": [state]}, 10_000, 0))["items"]}
    fresh = [_policy_of(policy, at) for policy in national.policies(scale, on) if policy["title"] not in existing]
    if fresh:
        network.call(lambda services: services.agencies.create_policies(fresh))
    return len(fresh)


def _all_agencies(network):
    return network.call(lambda services: services.agencies.list_agencies({}, 100_000, 0))["items"]


def _policy_of(policy, at):
    """``policy`` (:func:`national.policies`) as the agencies service's batch takes it."""
    body = {key: value for key, value in policy.items() if key != "region"}
    level = "national" if policy["region"] == "000000" else policy["issuer_level"]
    body["state"] = policy.get("state", "published")
    if body["state"] == "withdrawn":
        body["withdrawal_reason"] = WITHDRAWAL_REASON
    return {**body, "region_code": policy["region"], "agency_id": at[(level, policy["region"])]["id"]}
