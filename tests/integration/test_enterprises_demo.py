"""The demo SMEs load through the service, and loading them twice changes nothing."""
from infra.demo_data import enterprises as demo
from tests.stack import sql


class Services:
    def __init__(self, proxy):
        self.enterprises = proxy


def test_demo_enterprises_load_once_with_their_history(enterprises):
    demo_usccs = [p["uscc"] for p in demo.ENTERPRISES]
    assert sql("enterprises", "SELECT count(*) FROM enterprise WHERE uscc = ANY(%s)", (demo_usccs,)) == [(0,)]
    first = demo.load(Services(enterprises))
    outbox_after_first = sql("enterprises", "SELECT count(*) FROM outbox")
    assert demo.load(Services(enterprises)) == 0
    assert sql("enterprises", "SELECT count(*) FROM outbox") == outbox_after_first
    assert first == 36
    assert sql("enterprises", "SELECT count(*) FROM enterprise WHERE uscc = ANY(%s)", (demo_usccs,)) == [(36,)]
    nanjing = enterprises.get(demo.ENTERPRISES[2]["uscc"])
    assert [f["year"] for f in nanjing["figures"]] == [2023, 2024, 2025]
    assert nanjing["active_tiers"] == ["little_giant"]  # its 2021 专精特新 award ran out in 2024
    assert len(nanjing["tiers"]) == 2
    provinces = {row[0] for row in sql("enterprises", "SELECT DISTINCT province_code FROM enterprise WHERE uscc = ANY(%s)",
                                       ([p["uscc"] for p in demo.ENTERPRISES],))}
    assert len(provinces) >= 9
    rules = {row[0] for row in sql("enterprises", "SELECT DISTINCT size_rule FROM enterprise WHERE uscc = ANY(%s)",
                                   ([p["uscc"] for p in demo.ENTERPRISES],))}
    assert {"industry", "retail:by_analogy", "other:by_analogy", "construction", "financial:not_classified"} <= rules
