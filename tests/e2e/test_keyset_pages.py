"""Keyset pages through the gateway: walking the large lists to their end by their ``next`` links
skips and repeats nothing while rows are added meanwhile, stays inside the caller's scope, and a
cursor that was changed or comes back with other filters is a 422 naming ``cursor``."""
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests as http

from tests.stack import register_over_http, registration

HOME, AWAY = "330106", "440305"   # 杭州西湖区, 深圳南山区


def walk(api, path, caller, params):
    """Every item of a list, page by page along the ``next`` links; the pages' answers too."""
    answers, url, items = [], path, []
    query = dict(params)
    while url:
        answer = api.get(url, caller, params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        answers.append(page)
        items += page["items"]
        assert (page["next"] is None) == (page["next_cursor"] is None)
        if page["next"] is None:
            break
        link = urlsplit(page["next"])
        assert parse_qs(link.query)["cursor"] == [page["next_cursor"]] and "page" not in parse_qs(link.query)
        url, query = link.path + "?" + link.query, None
    return items, answers


def changed(cursor):
    """The cursor with one character of its middle changed, still base64url."""
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1:]


def refused_cursor(answer, words):
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_failed" and words in error["details"]["cursor"][0], error
    return error


class Registrar(threading.Thread):
    """Registers enterprises named to sort first (阿…, pinyin ā) while a walk goes on."""

    def __init__(self, api, token, new_uscc, tag, count):
        super().__init__(daemon=True)
        self.url = api.base_url + "/api/v1/enterprises"
        self.headers = {"Authorization": f"Bearer {token('county_admin', HOME)}"}
        self.bodies = [registration(new_uscc(HOME), name=f"阿{n:02d}杭州新增科技有限公司", tags=[tag])
                       for n in range(count)]
        self.added = []

    def run(self):
        for body in self.bodies:
            answer = http.post(self.url, json=body, headers=self.headers, timeout=15)
            assert answer.status_code == 201, answer.text
            self.added.append(body["uscc"])


def test_walking_the_enterprises_to_the_end_while_others_register_skips_and_repeats_none(api, token, new_uscc):
    tag = f"keyset-{new_uscc()[-8:]}"
    before = [register_over_http(api, token, new_uscc(HOME), region=HOME, name=f"杭州{n:02d}号科技有限公司",
                                 tags=[tag])["uscc"] for n in range(9)]
    away = [register_over_http(api, token, new_uscc(AWAY), region=AWAY, name="深圳南山科技有限公司",
                               tags=[tag])["uscc"] for _ in range(2)]
    registrar = Registrar(api, token, new_uscc, tag, 6)

    registrar.start()
    seen, pages = walk(api, "/api/v1/enterprises", token("county_admin", HOME), {"tag": tag, "page_size": 2})
    registrar.join(60)

    usccs = [item["uscc"] for item in seen]
    assert len(usccs) == len(set(usccs)), "an enterprise was listed twice"
    assert set(before) <= set(usccs), "an enterprise registered before the walk was skipped"
    assert not set(away) & set(usccs) and all(item["region_code"] == HOME for item in seen)
    assert set(usccs) <= set(before) | set(registrar.added)
    assert [page["page"] for page in pages] == list(range(1, len(pages) + 1))
    national, _ = walk(api, "/api/v1/enterprises", token("national_admin"), {"tag": tag, "page_size": 4,
                                                                              "sort": "-created_at"})
    assert [item["uscc"] for item in national] == list(reversed(before + away + registrar.added))


@pytest.mark.parametrize("sort", ["registered_on", "-registered_on", "revenue", "-employees"])
def test_every_sort_order_walks_its_list_as_one_page_does(api, token, new_uscc, sort):
    tag = f"keyset-{sort}-{new_uscc()[-8:]}"
    for n in range(7):
        extra = {"registered_on": f"20{10 + n % 3}-01-0{1 + n % 2}"} if n % 3 else {}
        register_over_http(api, token, new_uscc(HOME), region=HOME, tags=[tag], employees=10 + n % 2,
                           revenue=100 + n % 3, **extra)
    admin = token("county_admin", HOME)
    whole = api.get("/api/v1/enterprises", admin, params={"tag": tag, "sort": sort, "page_size": 100}).json()
    walked, _ = walk(api, "/api/v1/enterprises", admin, {"tag": tag, "sort": sort, "page_size": 2})
    assert [item["uscc"] for item in walked] == [item["uscc"] for item in whole["items"]] and whole["total"] == 7


def test_a_changed_cursor_or_one_sent_with_other_filters_is_a_422_naming_it(api, token, new_uscc):
    tag = f"keyset-refused-{new_uscc()[-8:]}"
    for _ in range(3):
        register_over_http(api, token, new_uscc(HOME), region=HOME, tags=[tag])
    admin = token("county_admin", HOME)
    first = api.get("/api/v1/enterprises", admin, params={"tag": tag, "page_size": 2}).json()
    cursor = first["next_cursor"]
    assert first["page"] == 1 and first["total"] == 3 and cursor

    refused_cursor(api.get("/api/v1/enterprises", admin, params={"tag": tag, "cursor": changed(cursor)}),
                   "not a cursor this list gave out")
    refused_cursor(api.get("/api/v1/enterprises", admin, params={"tag": tag + "x", "cursor": cursor}),
                   "other filters")
    refused_cursor(api.get("/api/v1/enterprises", admin, params={"tag": tag, "sort": "-name", "cursor": cursor}),
                   "other filters")
    refused_cursor(api.get("/api/v1/enterprises", admin, params={"tag": tag, "cursor": "not a cursor"}),
                   "not a cursor this list gave out")
    both = api.get("/api/v1/enterprises", admin, params={"tag": tag, "page": 2, "cursor": cursor})
    assert both.status_code == 422 and "cursor" in both.json()["error"]["details"]
    second = api.get("/api/v1/enterprises", admin, params={"tag": tag, "page_size": 5, "cursor": cursor}).json()
    assert (second["page"], len(second["items"]), second["next"]) == (2, 1, None)
    refused_cursor(api.get("/api/v1/requests", admin, params={"cursor": cursor}), "another order")
    inbox = token("enterprise", new_uscc(HOME))
    refused_cursor(api.get("/api/v1/notifications", inbox, params={"cursor": cursor}), "another order")


def raise_request(api, token, uscc, region):
    answer = api.post("/api/v1/requests", token("enterprise", uscc), json={
        "service_area": "finance_talent", "title": "融资需求", "description": "需要流动资金贷款", "region_code": region})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_walking_the_requests_newest_first_while_more_are_raised_stays_in_scope(api, token, new_uscc,
                                                                                  agency_skeleton):
    firms = [new_uscc(HOME) for _ in range(3)]
    before = [raise_request(api, token, uscc, HOME) for uscc in firms for _ in range(2)]
    away = raise_request(api, token, new_uscc(AWAY), AWAY)
    admin, raised, ids = token("county_admin", HOME), [], []

    answer = api.get("/api/v1/requests", admin, params={"page_size": 2}).json()
    while True:
        ids += [item["id"] for item in answer["items"]]
        raised.append(raise_request(api, token, firms[len(raised) % 3], HOME))   # lands before the walk's position
        if answer["next"] is None:
            break
        answer = api.get(urlsplit(answer["next"]).path + "?" + urlsplit(answer["next"]).query, admin).json()

    assert len(ids) == len(set(ids)), "a request was listed twice"
    assert set(before) <= set(ids) and away not in ids and not set(raised) & set(ids)
    mine, _ = walk(api, "/api/v1/requests", token("enterprise", firms[0]), {"page_size": 1})
    assert {item["uscc"] for item in mine} == {firms[0]} and len(mine) == 2 + len(raised[0::3])
    first = api.get("/api/v1/requests", admin, params={"page_size": 1, "uscc": firms[1]}).json()
    refused_cursor(api.get("/api/v1/requests", admin, params={"uscc": firms[2], "cursor": first["next_cursor"]}),
                   "other filters")
    refused_cursor(api.get("/api/v1/requests", admin, params={"uscc": firms[1],
                                                               "cursor": changed(first["next_cursor"])}),
                   "not a cursor this list gave out")


def test_the_library_search_walks_to_its_end_and_refuses_a_cursor_of_other_words(api, token, new_uscc):
    word = "键集" + new_uscc()[-6:]
    admin = token("province_admin", "530000")
    made = set()
    for n in range(5):
        faq = api.post("/api/v1/faqs", admin, json={
            "question": f"{word}第{n}问？" if n % 2 else f"怎么申请补贴{n}？", "answer": f"答案提到{word}。",
            "service_area": "cultivation", "region_code": "530000"})
        assert faq.status_code == 201, faq.text
        made.add(faq.json()["id"])
    hits, pages = walk(api, "/api/v1/search", None, {"q": word, "page_size": 2})
    assert sorted(hit["id"] for hit in hits) == sorted(made) and len(pages) == 3
    title_hits = [hit["title"].startswith(word) for hit in hits]
    assert title_hits == sorted(title_hits, reverse=True), "entries whose title holds the words come first"
    refused_cursor(api.get("/api/v1/search", params={"q": word + " 补贴", "cursor": pages[0]["next_cursor"]}),
                   "other filters")
