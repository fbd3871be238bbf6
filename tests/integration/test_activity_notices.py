"""Enterprises hear of their registrations for service activities: a place won from the waitlist
(activity.promoted) and an occurrence moved to another day (activity.rescheduled), once each
however often the event is delivered; an event that breaks its contract is parked with its reason.

The first tests run the activities service beside the notifications service: what an enterprise
is told comes from what happened to its registration there."""
import json
import os
import random
from datetime import datetime, timedelta, timezone

import pytest

from services.activities.service import ActivitiesService
from services.notifications.service import NotificationsService
from tests.stack import drain, new_event, new_uscc, publish, rpc, sql, wait_for

CONFIG = os.path.join("services", "notifications", "config.yml")
PARKED = "notifications.tell_activity_registrants.dead-letter"
CHINA = timezone(timedelta(hours=8))
# An agency announced by these tests only (an id far above the skeleton's and other modules').
AGENCY = 990300


@pytest.fixture
def notifications(container_for):
    return container_for(NotificationsService, CONFIG, DELIVERY_DISPATCH="off")


@pytest.fixture
def activities(container_for, notifications, enterprises_container):
    """The activities service, and the enterprises service its invitations are pushed by."""
    container_for(ActivitiesService, os.path.join("services", "activities", "config.yml"))
    publish(new_event("agency.created", {
        "id": AGENCY, "name": "无锡市新吴区中小企业服务中心", "level": "county", "region_code": "320214",
        "parent_id": None, "park": None, "service_areas": ["policy"], "active": True}))
    assert wait_for(lambda: sql("activities", "SELECT count(*) FROM agency WHERE id = %s", (AGENCY,))[0][0])
    with rpc("activities") as proxy:
        yield proxy


def publication(starts, closes, **overrides):
    return {"agency_id": AGENCY, "kind": "training", "title": "数字化转型培训班", "venue": "新吴区创新创业中心",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "registration_opens_at": (datetime.now(CHINA) - timedelta(days=30)).isoformat(),
            "registration_closes_at": closes.isoformat(), "capacity": 1, "on_rest_day": "keep", **overrides}


def notices_of(uscc):
    return sql("notifications", "SELECT kind, title, body, about_type, about_id FROM notice "
                                "WHERE recipient_kind = 'enterprise' AND recipient_id = %s ORDER BY created_at",
               (uscc,))


def promoted(occurrence_id, uscc):
    return new_event("activity.promoted", {
        "occurrence_id": occurrence_id, "activity_id": occurrence_id // 10, "agency_id": 990101, "uscc": uscc,
        "state": "registered", "previous_state": "waitlisted", "starts_at": "2026-05-12T09:30:00+08:00",
        "ends_at": "2026-05-12T11:30:00+08:00", "title": "数字化转型培训班", "agency_name": "无锡高新区第1园区服务站",
        "venue": "无锡市民中心", "online_url": None})


def rescheduled(occurrence_id, registered, waitlisted):
    return new_event("activity.rescheduled", {
        "occurrence_id": occurrence_id, "activity_id": occurrence_id // 10, "agency_id": 990100,
        "title": "《中小企业促进法》送法进园区", "planned_on": "2029-10-01", "from_day": "2029-10-04",
        "to_day": "2029-10-08", "starts_at": "2029-10-08T10:00:00+08:00", "registered": registered,
        "waitlisted": waitlisted})


def kinds_of(uscc):
    return [kind for kind, *_ in notices_of(uscc)]


def test_the_enterprise_moved_up_when_a_place_is_given_up_is_told_of_its_place_and_nobody_else_is(activities):
    starts = (datetime.now(CHINA) + timedelta(days=10)).replace(hour=9, minute=30, second=0, microsecond=0)
    occurrence = activities.publish_activity(publication(starts, starts - timedelta(hours=1)),
                                             f"staff-{AGENCY}")["occurrences"][0]
    holder, first, second = (new_uscc("320214") for _ in range(3))
    assert [activities.register(occurrence["id"], uscc)["state"] for uscc in (holder, first, second)] == [
        "registered", "waitlisted", "waitlisted"]

    activities.cancel_registration(occurrence["id"], holder)

    assert wait_for(lambda: notices_of(first)) == [(
        "activity_update", "候补转正：数字化转型培训班",
        "您已由候补转为正式报名，获得活动“数字化转型培训班”的一个名额。\n"
        f"时间：{starts:%Y-%m-%d}（星期{'一二三四五六日'[starts.weekday()]}） 09:30–11:30\n"
        "地点：新吴区创新创业中心\n"
        "承办：无锡市新吴区中小企业服务中心\n"
        "如不能参加，请及时取消报名，名额将递补给候补企业。", "occurrence", str(occurrence["id"]))]
    assert kinds_of(holder) == kinds_of(second) == []


def test_each_enterprise_registered_or_waiting_hears_when_its_occurrence_moves_to_another_day(activities):
    """2031 is beyond the calendar library's years: 国庆 1-3 October by the statutory rules puts the
    occurrence on Monday 6 October, provisionally, until the year's schedule (1-7 October) moves it
    (its registration window, opened a month ago, moves with it and stays open)."""
    occurrence = activities.publish_activity(publication(
        datetime(2031, 10, 1, 14, 0, tzinfo=CHINA), datetime(2031, 10, 1, 12, 0, tzinfo=CHINA),
        title="《中小企业促进法》送法进园区", on_rest_day="next_working_day"), f"staff-{AGENCY}")["occurrences"][0]
    assert (occurrence["starts_at"], occurrence["provisional"]) == ("2031-10-06T14:00:00+08:00", True)
    holder, waiting, gone, outsider = (new_uscc("320214") for _ in range(4))
    for uscc in (holder, waiting, gone):
        activities.register(occurrence["id"], uscc)
    activities.cancel_registration(occurrence["id"], gone)   # left the waitlist: no longer concerned

    publish(new_event("holiday_schedule.loaded", {
        "year": 2031, "holidays": [f"2031-10-0{day}" for day in range(1, 8)], "workdays": ["2031-10-11"],
        "source": "integration test"}))

    moved = ("活动“《中小企业促进法》送法进园区”按2031年节假日安排调整，"
             "由2031-10-06（星期一）改至2031-10-08（星期三）14:00举行。")
    about = ("occurrence", str(occurrence["id"]))
    assert wait_for(lambda: notices_of(holder)) == [
        ("activity_update", "活动改期：《中小企业促进法》送法进园区", moved + "您的报名继续有效。", *about)]
    assert wait_for(lambda: notices_of(waiting)) == [
        ("activity_update", "活动改期：《中小企业促进法》送法进园区", moved + "您仍在候补名单中，有名额时将通知您。", *about)]
    assert kinds_of(gone) == kinds_of(outsider) == []


def test_an_enterprise_moved_up_from_the_waitlist_gets_one_notice_of_its_place_however_often_it_is_told(
        notifications):
    uscc, later, occurrence_id = new_uscc("320214"), new_uscc("320214"), random.randrange(10 ** 6, 10 ** 7)
    event = promoted(occurrence_id, uscc)
    publish(event)
    publish(event)   # delivered again: the inbox has seen it
    publish(promoted(occurrence_id + 1, later))   # in the queue behind them: they have been handled

    assert wait_for(lambda: notices_of(later))
    assert notices_of(uscc) == [(
        "activity_update", "候补转正：数字化转型培训班",
        "您已由候补转为正式报名，获得活动“数字化转型培训班”的一个名额。\n"
        "时间：2026-05-12（星期二） 09:30–11:30\n"
        "地点：无锡市民中心\n"
        "承办：无锡高新区第1园区服务站\n"
        "如不能参加，请及时取消报名，名额将递补给候补企业。", "occurrence", str(occurrence_id))]
    assert drain(PARKED) == []


def test_each_enterprise_registered_or_waiting_hears_of_a_move_once_and_no_other_enterprise_does(notifications):
    holders, waiting, outsider = [new_uscc("320214") for _ in range(2)], new_uscc("320214"), new_uscc("320214")
    occurrence_id = random.randrange(10 ** 6, 10 ** 7)
    event = rescheduled(occurrence_id, holders, [waiting])
    publish(event)
    publish(event)
    publish(promoted(occurrence_id + 1, outsider))   # in the queue behind them: they have been handled

    assert wait_for(lambda: notices_of(outsider))
    moved = ("活动“《中小企业促进法》送法进园区”按2029年节假日安排调整，"
             "由2029-10-04（星期四）改至2029-10-08（星期一）10:00举行。")
    title = "活动改期：《中小企业促进法》送法进园区"
    for uscc in holders:
        assert notices_of(uscc) == [("activity_update", title, moved + "您的报名继续有效。", "occurrence",
                                     str(occurrence_id))]
    assert notices_of(waiting) == [("activity_update", title, moved + "您仍在候补名单中，有名额时将通知您。",
                                    "occurrence", str(occurrence_id))]
    assert [title for _, title, *_ in notices_of(outsider)] == ["候补转正：数字化转型培训班"]


def test_an_event_without_what_its_notice_needs_is_parked_with_its_reason_and_tells_nobody(notifications):
    uscc = new_uscc("320214")
    # as activities published it before it named the enterprises concerned
    old = new_event("activity.rescheduled", {"occurrence_id": 5, "activity_id": 1, "agency_id": 990100,
                                             "planned_on": "2029-10-01", "from_day": "2029-10-04",
                                             "to_day": "2029-10-08"})
    unreadable = promoted(6, uscc)
    unreadable["payload"]["starts_at"] = "next Tuesday"
    publish(old)
    publish(unreadable)

    ours = {old["event_id"], unreadable["event_id"]}
    by_id = {}
    assert wait_for(lambda: by_id.update((json.loads(body)["event_id"], headers) for headers, body in drain(PARKED)
                                         if json.loads(body)["event_id"] in ours) or set(by_id) == ours)
    assert {headers["x-onenet-exception"] for headers in by_id.values()} == {"PermanentFailure"}
    assert "activity.rescheduled payload unusable" in by_id[old["event_id"]]["x-onenet-error"]
    assert "registered" in by_id[old["event_id"]]["x-onenet-error"]
    assert "title" in by_id[old["event_id"]]["x-onenet-error"]
    assert "activity.promoted payload unusable" in by_id[unreadable["event_id"]]["x-onenet-error"]
    assert "starts_at" in by_id[unreadable["event_id"]]["x-onenet-error"]
    assert notices_of(uscc) == []
