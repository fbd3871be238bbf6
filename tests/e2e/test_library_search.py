"""The libraries over HTTP: public reads, admin writes in region, filters, and Chinese search."""


def test_search_finds_a_chinese_term_inside_longer_titles_across_libraries(api, token):
    admin = token("province_admin", "530000")
    faq = api.post("/api/v1/faqs", admin, json={
        "question": "云南省专精特新小巨人企业奖补资金怎么申请？", "answer": "向所在州市工信部门提交申请材料。",
        "service_area": "cultivation", "region_code": "530000"})
    assert faq.status_code == 201, faq.text
    product = api.post("/api/v1/products", admin, json={
        "title": "滇中专精特新企业成长加速营", "summary": "面向专精特新企业的管理提升与融资对接",
        "service_area": "cultivation", "size_classes": ["small"], "region_code": "530100"})
    assert product.status_code == 201, product.text
    found = api.get("/api/v1/search", params={"q": "专精特新", "page_size": 100})
    assert found.status_code == 200
    hits = {(hit["kind"], hit["id"]) for hit in found.json()["items"]}
    assert {("faq", faq.json()["id"]), ("product", product.json()["id"])} <= hits
    for hit in found.json()["items"]:
        assert api.get(hit["href"][len(api.base_url):]).status_code == 200, hit
    narrowed = api.get("/api/v1/search", params={"q": "小巨人 奖补", "kind": "faq"}).json()
    assert [hit["id"] for hit in narrowed["items"]] == [faq.json()["id"]]
    assert api.get("/api/v1/search", params={"q": "专"}).status_code == 422


def test_library_writes_stay_in_the_admins_region_and_reads_follow_their_audience(api, token, new_uscc):
    outsider = api.post("/api/v1/faqs", token("province_admin", "620000"), json={
        "question": "越权发布的问题？", "answer": "不应成功", "service_area": "policy", "region_code": "530000"})
    assert outsider.status_code == 403
    expert = api.post("/api/v1/experts", token("city_admin", "530100"), json={
        "name": "赵云", "organization": "昆明市中小企业服务中心", "service_areas": ["finance_talent"],
        "region_code": "530102", "phone": "0871-11111111"})
    assert expert.status_code == 201, expert.text
    anonymous = api.get(f"/api/v1/experts/{expert.json()['id']}")
    assert anonymous.status_code == 200 and "phone" not in anonymous.json()
    seen = api.get(f"/api/v1/experts/{expert.json()['id']}", token("enterprise", new_uscc("530102")))
    assert seen.status_code == 200 and "phone" not in seen.json()
    assert seen.json()["contact_route"].startswith("through the agency")
    assert api.get(f"/api/v1/experts/{expert.json()['id']}",
                   token("county_admin", "530102")).json()["phone"] == "0871-11111111"
    faq_list = api.get("/api/v1/faqs?area=policy")
    assert faq_list.status_code == 200
    assert api.get("/api/v1/experts?region=530100&area=finance_talent",
                   token("county_admin", "530102")).json()["total"] >= 1


def test_products_and_cases_filter_by_industry_size_and_tier(api, token):
    admin = token("province_admin", "530000")
    made = api.post("/api/v1/cases", admin, json={
        "title": "精密仪器企业质量体系建设案例", "summary": "帮助企业通过体系认证", "service_area": "quality_brand",
        "industry_codes": ["C40"], "size_classes": ["medium"], "tiers": ["specialized_sme"],
        "region_code": "530102"})
    assert made.status_code == 201, made.text
    case_id = made.json()["id"]

    def ids(query):
        answer = api.get(f"/api/v1/cases?{query}")
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert case_id in ids("industry=C&size_class=medium&tier=specialized_sme&region=530102")
    assert case_id in ids("industry=C40")
    assert case_id not in ids("industry=I65")
    assert case_id not in ids("size_class=micro")
    assert api.get("/api/v1/cases?industry=X1").status_code == 422
