"""The policy push on the real broker and database: enterprises and notifications containers.

The enterprises here are in 乌鲁木齐 (6501), where no other suite registers any, and
carry a tag of this module, so its policies reach no one else.
"""
import json
import os
import uuid

import pytest

from chassis.db import transaction
from services.notifications import push
from services.notifications.service import NotificationsService
from tests.stack import new_event, new_uscc, publish, rpc, sql, wait_for

CONFIG = os.path.join("services", "notifications", "config.yml")
TAG = f"push-{uuid.uuid4().hex[:8]}"
URUMQI = ("650102", "650103", "650104")


def registration(uscc, region, **overrides):
    body = {"uscc": uscc, "name": "新疆示例科技有限公司", "region_code": region, "industry_code": "C39",
            "employees": 40, "revenue": 1200, "rd_expense": 60, "registered_on": "2018-05-01",
            "tags": [TAG]}
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def seeded(enterprises_container):
    """11 enterprises of this module: 9 manufacturers (C39) and 2 software firms (I65)."""
    bodies = [registration(new_uscc(URUMQI[i % 3]), URUMQI[i % 3]) for i in range(9)]
    bodies += [registration(new_uscc("650102"), "650102", industry_code="I65") for _ in range(2)]
    with rpc("enterprises") as proxy:
        report = proxy.import_enterprises("\n".join(json.dumps(b, ensure_ascii=False) for b in bodies), "jsonl")
    assert report["stored"] == 11, report
    return sorted(b["uscc"] for b in bodies if b["industry_code"] == "C39"), bodies


@pytest.fixture
def notifications(container_for, seeded):
    """A notifications container that has taken in the seeded registrations.

    Each registration is also matched on its own against the policies in force; until
    those events are consumed they would race a push and take some of its notices.
    """
    container = container_for(NotificationsService, CONFIG, PUSH_PAGE_SIZE=4, ENTERPRISES_TIMEOUT=10,
                              DELIVERY_DISPATCH="off")
    _, bodies = seeded
    registered = [row[0] for row in sql(
        "enterprises", "SELECT event_id FROM outbox WHERE event_type = 'enterprise.registered' "
                       "AND aggregate_id = ANY(%s)", ([b["uscc"] for b in bodies],))]
    assert len(registered) == len(bodies)
    # One consumer takes each registration: the welcome notice and the match against policies.
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM inbox WHERE event_id = ANY(%s::uuid[])",
                                ([str(e) for e in registered],))[0][0] == len(bodies),
                    timeout=20)
    return container


_policy_ids = iter(range(9_100_000 + os.getpid() % 1000 * 100, 9_200_000))


def published(**criteria):
    policy_id = next(_policy_ids)
    return new_event("policy.published", {
        "policy_id": policy_id, "agency_id": 1, "title": "乌鲁木齐市制造业中小企业研发补助", "document_number": "乌工信〔2026〕8号",
        "service_area": "cultivation", "region_code": "650100", "issued_on": "2026-01-10", "expires_on": "2026-12-31",
        "benefits": "研发投入的10%", "criteria": {"region_prefixes": ["6501"], "tags": [TAG], **criteria}})


def notified(policy_id):
    return sorted(row[0] for row in sql("notifications", "SELECT recipient_id FROM notice "
                                        "WHERE about_type = 'policy' AND about_id = %s", (str(policy_id),)))


def push_row(policy_id):
    rows = sql("notifications", "SELECT state, pages, matched, notified FROM push "
                                "WHERE about_type = 'policy' AND about_id = %s", (policy_id,))
    return rows[0] if rows else None


def test_published_policy_reaches_every_matching_enterprise_once_page_by_page(seeded, notifications):
    manufacturers, _ = seeded
    event = published(industry_codes=["C"])
    policy_id = event["payload"]["policy_id"]

    publish(event)

    assert wait_for(lambda: push_row(policy_id) and push_row(policy_id)[0] == "done", timeout=20)
    assert notified(policy_id) == manufacturers
    assert push_row(policy_id) == ("done", 3, 9, 9)  # pages of 4: 4 + 4 + 1
    body = sql("notifications", "SELECT p.message FROM policy p WHERE p.id = %s", (policy_id,))[0][0]
    assert body.splitlines() == [
        "政策：乌鲁木齐市制造业中小企业研发补助（乌工信〔2026〕8号）", "惠企内容：研发投入的10%", "有效期至：2026-12-31",
        f"您符合的条件：注册地在乌鲁木齐市；所属行业为制造业（C）；带有标签“{TAG}”"]

    publish(event)  # redelivered
    again = dict(event, event_id=str(uuid.uuid4()))
    publish(again)  # republished: another event of the same policy
    with rpc("notifications") as proxy:
        proxy.delivery_backlog()  # a round trip: the container is answering
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM inbox WHERE event_id = %s",
                                (again["event_id"],))[0][0] == 1)
    assert notified(policy_id) == manufacturers


class FlakyEnterprises:
    """Pages from the real enterprises service, failing once on the second page."""

    def __init__(self):
        self.calls, self.failed = [], False

    def __call__(self, criteria, after, limit):
        self.calls.append(after)
        if len(self.calls) == 2 and not self.failed:
            self.failed = True
            raise TimeoutError("enterprises did not answer")
        with rpc("enterprises") as proxy:
            return proxy.matching_usccs(criteria, after_uscc=after, limit=limit)


class Session:
    def __init__(self, conn):
        self.conn = conn
        self.woken = 0

    def transaction(self):
        return transaction(self.conn)

    def deliveries_waiting(self):
        self.woken += 1


def test_push_interrupted_midway_resumes_where_it_stopped(seeded, prepared_stack):
    import psycopg2
    manufacturers, _ = seeded
    event = published(industry_codes=["C"])
    payload = event["payload"]
    conn = psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options="-c search_path=notifications,public")
    session, fetch = Session(conn), FlakyEnterprises()
    try:
        with session.transaction() as tx:
            push.record_publication(tx, payload, push.published_at(event))
        with pytest.raises(TimeoutError):
            push.push_policy(session, fetch, payload["policy_id"], 4)
        assert notified(payload["policy_id"]) == manufacturers[:4]
        assert push_row(payload["policy_id"]) == ("pushing", 1, 4, 4)

        outcome = push.push_policy(session, fetch, payload["policy_id"], 4)
    finally:
        conn.close()
    assert outcome == {"pages": 2, "notified": 5, "state": "done"}
    assert fetch.calls == [None, manufacturers[3], manufacturers[3], manufacturers[7]]
    assert notified(payload["policy_id"]) == manufacturers


def test_withdrawal_stops_the_push_and_unread_notices_say_the_policy_no_longer_applies(seeded, notifications):
    manufacturers, _ = seeded
    event = published(industry_codes=["C"])
    policy_id = event["payload"]["policy_id"]
    publish(event)
    assert wait_for(lambda: len(notified(policy_id)) == 9, timeout=20)
    sql("notifications", "UPDATE notice SET read_at = now() WHERE about_id = %s AND recipient_id = %s",
        (str(policy_id), manufacturers[0]))

    publish(new_event("policy.withdrawn", {"policy_id": policy_id, "agency_id": 1, "title": "x",
                                           "region_code": "650100", "reason": "被新办法替代"}))

    assert wait_for(lambda: sql("notifications", "SELECT state FROM policy WHERE id = %s", (policy_id,))[0][0]
                    == "withdrawn")
    marks = dict(sql("notifications", "SELECT recipient_id, no_longer_applies FROM notice WHERE about_id = %s",
                     (str(policy_id),)))
    assert marks.pop(manufacturers[0]) is None
    assert set(marks.values()) == {"该政策已撤回，不再适用（被新办法替代）"}


def test_withdrawal_handled_before_the_publication_means_nothing_is_pushed(seeded, notifications):
    event = published(industry_codes=["C"])
    policy_id = event["payload"]["policy_id"]
    publish(new_event("policy.withdrawn", {"policy_id": policy_id, "agency_id": 1, "title": "x",
                                           "region_code": "650100", "reason": "发布有误"}))
    assert wait_for(lambda: sql("notifications", "SELECT state FROM policy WHERE id = %s", (policy_id,)))

    publish(event)

    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM inbox WHERE event_id = %s",
                                (event["event_id"],))[0][0] == 1)
    assert notified(policy_id) == [] and push_row(policy_id) is None


def test_an_enterprise_that_comes_to_meet_a_policy_is_told_once(seeded, notifications):
    event = published(industry_codes=["I"])
    policy_id = event["payload"]["policy_id"]
    publish(event)
    software = sorted(b["uscc"] for b in seeded[1] if b["industry_code"] == "I65")
    assert wait_for(lambda: notified(policy_id) == software, timeout=20)
    newcomer = new_uscc("650104")
    with rpc("enterprises") as proxy:
        proxy.register(registration(newcomer, "650104", industry_code="I64"))
        proxy.update(software[0], {"employees": 41})

    assert wait_for(lambda: newcomer in notified(policy_id), timeout=20)
    assert notified(policy_id) == sorted(software + [newcomer])
    # The welcome is written with the registration's matches, by a batch handler.
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM notice WHERE recipient_id = %s "
                                "AND kind = 'welcome'", (newcomer,))[0][0] == 1)


@pytest.fixture(scope="module", autouse=True)
def no_policy_of_this_module_stays_in_force(prepared_stack):
    yield
    for (policy_id,) in sql("notifications", "SELECT id FROM policy WHERE region_code = '650100' "
                                             "AND state = 'published'"):
        sql("notifications", "UPDATE policy SET state = 'withdrawn' WHERE id = %s", (policy_id,))
