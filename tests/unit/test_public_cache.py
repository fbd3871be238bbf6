"""The gateway's kept public answers and their ETags (gateway/public_cache.py)."""
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.public_cache import PublicCache, entity_tag, matches


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def request(if_none_match=None):
    headers = {"If-None-Match": if_none_match} if if_none_match else {}
    return Request(EnvironBuilder(path="/api/v1/routing", headers=headers).get_environ())


def test_an_answer_is_kept_for_its_seconds_then_forgotten():
    clock = Clock()
    cache = PublicCache(5, clock=clock)
    cache.put("a", b"{}", entity_tag(b"{}"), "application/json")
    clock.now += 4.9
    assert cache.get("a") == (b"{}", entity_tag(b"{}"), "application/json")
    clock.now += 0.2
    assert cache.get("a") is None


def test_zero_seconds_keeps_nothing_and_the_least_recently_used_goes_first():
    assert PublicCache(0).get("a") is None
    cache = PublicCache(5, capacity=2)
    for key in ("a", "b"):
        cache.put(key, key.encode(), entity_tag(key.encode()), "application/json")
    cache.get("a")
    cache.put("c", b"c", entity_tag(b"c"), "application/json")
    assert [key for key in "abc" if cache.get(key)] == ["a", "c"]
    cache.clear()
    assert cache.get("a") is None


def test_the_tag_follows_the_body_and_if_none_match_names_it_strongly_weakly_or_by_star():
    tag = entity_tag(b'{"a": 1}')
    assert tag.startswith('"') and tag != entity_tag(b'{"a": 2}') and tag == entity_tag(b'{"a": 1}')
    assert matches(tag, tag) and matches(f'"x", {tag}', tag) and matches(f"W/{tag}", tag) and matches("*", tag)
    assert not matches(None, tag) and not matches('"x"', tag)


def test_a_client_holding_the_answer_gets_304_without_a_body():
    cache, tag = PublicCache(5), entity_tag(b"{}")
    fresh = cache.answer(request(), b"{}", tag, "application/json")
    assert (fresh.status_code, fresh.get_data(), fresh.headers["ETag"]) == (200, b"{}", tag)
    assert fresh.headers["Cache-Control"] == "public, max-age=5"
    held = cache.answer(request(tag), b"{}", tag, "application/json")
    assert (held.status_code, held.get_data(), held.headers["ETag"]) == (304, b"", tag)
