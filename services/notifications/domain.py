"""What notices say and when deliveries go, free of I/O.

A notice here is a dict: ``recipient_kind``, ``recipient_id``, ``kind``,
``title``, ``body`` and, when it is about something, ``about_type`` and
``about_id``. The service adds the source key that stops duplicates.
"""
import math
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from reference.china_time import CHINA_TIME
from services.enterprises.schemas import criteria_in_words
from services.notifications.schemas import AGENCY, DEFAULT_CHANNELS, ENTERPRISE, IN_APP, KINDS, USER


def notice(recipient_kind, recipient_id, kind, title, body, about=None, region_code=None):
    assert kind in KINDS, kind
    about_type, about_id = about if about else (None, None)
    return {"recipient_kind": recipient_kind, "recipient_id": str(recipient_id), "kind": kind,
            "title": title, "body": body, "about_type": about_type,
            "about_id": None if about_id is None else str(about_id), "region_code": region_code}


def welcome_notice(enterprise):
    """The notice that greets a newly registered SME (``enterprise.registered``)."""
    return notice(ENTERPRISE, enterprise["uscc"], "welcome", "欢迎加入全国中小企业服务一张网",
                  f"{enterprise['name']}：您的企业档案已建立。"
                  "与您匹配的惠企政策、服务和诉求办理进展将在此通知您。",
                  region_code=enterprise.get("region_code"))


# -- the policy push (政策直享) ----------------------------------------------------------------

def policy_message(policy):
    """What every enterprise a policy reaches is told: the policy, its benefit, its deadline,
    and the conditions it met, in words. One text per policy (notices refer to it)."""
    document = f"（{policy['document_number']}）" if policy.get("document_number") else ""
    deadline = policy.get("expires_on")
    lines = [f"政策：{policy['title']}{document}",
             f"惠企内容：{policy['benefits']}",
             f"有效期至：{deadline}" if deadline else "有效期：长期有效"]
    met = criteria_in_words(policy.get("criteria") or {})
    lines.append("您符合的条件：" + ("；".join(met) if met else "面向政策适用地区的全部中小企业"))
    return "\n".join(lines)


def policy_title(policy):
    return f"政策直享：{policy['title']}"


# -- invitations to service activities (活动邀请), by the same push ----------------------------------

def activity_message(activity):
    """What every enterprise an activity targets is told: what, who holds it, where and when,
    and why it is invited, in words. One text per activity (notices refer to it)."""
    starts = datetime.fromisoformat(str(activity["first_starts_at"])).astimezone(CHINA_TIME)
    lines = [f"活动：{activity['title']}",
             f"主办：{activity.get('agency_name') or '服务机构'}",
             f"时间：{starts:%Y-%m-%d %H:%M}" + (f" 起，共 {activity['occurrences']} 场"
                                                  if activity.get("occurrences", 1) > 1 else ""),
             "地点：" + "；".join(filter(None, (activity.get("venue"), activity.get("online_url")))),
             f"名额：每场 {activity['capacity']} 家，额满后候补"]
    met = criteria_in_words(activity.get("criteria") or {})
    lines.append("邀请您的原因：" + ("；".join(met) if met else "面向主办机构所在地区的全部中小企业"))
    return "\n".join(lines)


def activity_title(activity):
    return f"活动邀请：{activity['title']}"


# -- an enterprise's registrations for activities (报名): moved up from the waitlist, moved to another day

WEEKDAYS = "一二三四五六日"


def _day(day):
    day = date.fromisoformat(str(day))
    return f"{day:%Y-%m-%d}（星期{WEEKDAYS[day.weekday()]}）"


def promotion_notice(payload):
    """``activity.promoted``: the enterprise moved up from the waitlist and now holds a place; told
    what, when and where."""
    starts = datetime.fromisoformat(str(payload["starts_at"])).astimezone(CHINA_TIME)
    ends = datetime.fromisoformat(str(payload["ends_at"])).astimezone(CHINA_TIME)
    until = f"{ends:%H:%M}" if ends.date() == starts.date() else f"{ends:%Y-%m-%d %H:%M}"
    place = "；".join(filter(None, (payload.get("venue"), payload.get("online_url"))))
    lines = [f"您已由候补转为正式报名，获得活动“{payload['title']}”的一个名额。",
             f"时间：{_day(starts.date())} {starts:%H:%M}–{until}"]
    if place:
        lines.append(f"地点：{place}")
    if payload.get("agency_name"):
        lines.append(f"承办：{payload['agency_name']}")
    lines.append("如不能参加，请及时取消报名，名额将递补给候补企业。")
    return notice(ENTERPRISE, payload["uscc"], "activity_update", f"候补转正：{payload['title']}",
                  "\n".join(lines), ("occurrence", payload["occurrence_id"]))


def reschedule_notices(payload):
    """``activity.rescheduled``: every enterprise registered for the occurrence or waiting for a
    place hears it moved, from which day to which; a waitlisted one that it is still waiting."""
    starts = datetime.fromisoformat(str(payload["starts_at"])).astimezone(CHINA_TIME)
    year = date.fromisoformat(str(payload["planned_on"])).year
    moved = (f"活动“{payload['title']}”按{year}年节假日安排调整，由{_day(payload['from_day'])}"
             f"改至{_day(payload['to_day'])}{starts:%H:%M}举行。")
    standing = {"registered": "您的报名继续有效。", "waitlisted": "您仍在候补名单中，有名额时将通知您。"}
    about = ("occurrence", payload["occurrence_id"])
    return [notice(ENTERPRISE, uscc, "activity_update", f"活动改期：{payload['title']}", moved + standing[state],
                   about)
            for state in ("registered", "waitlisted") for uscc in dict.fromkeys(payload[state])]


def no_longer_applies(state, reason):
    """What an unread notice of a policy that ended says."""
    if state == "withdrawn":
        return f"该政策已撤回，不再适用（{reason}）" if reason else "该政策已撤回，不再适用"
    return f"该政策已到期，不再适用（{reason}）" if reason else "该政策已到期，不再适用"


def candidate_policies(policies, region_code):
    """The policies in force whose region could cover an enterprise in ``region_code``
    (the enterprises service judges the rest)."""
    found = {}
    for policy in policies:
        prefixes = (policy["criteria"] or {}).get("region_prefixes")
        if not prefixes or any(region_code.startswith(prefix) for prefix in prefixes):
            found[str(policy["id"])] = policy["criteria"] or {}
    return found


# -- requests (诉求直办) ---------------------------------------------------------------------

ENTERPRISE_HEARS = {
    "assign": "您的诉求已分派至{agency}，等待受理",
    "accept": "您的诉求已由{agency}受理",
    "resolve": "您的诉求已由{agency}办结，请对办理结果进行评价",
    "transfer": "您的诉求已转交{agency}办理",
    "escalate": "您的诉求已升级至{agency}办理",
    "close": "您的诉求已办理完毕并归档",
}
HOLDER_HEARS = {
    "assign": ("request_new", "新诉求待受理"),
    "transfer": ("request_new", "转办诉求待受理"),
    "return": ("request_new", "退回诉求待受理"),
    "reopen": ("request_reopened", "诉求重新办理"),
    "escalate": ("request_escalated", "下级机构升级的诉求"),
}


def request_notices(payload, agencies):
    """Who hears of one request transition (``request.<action>``), and what.

    ``agencies`` maps agency ids to ``{"name", "parent_id"}`` (the local read
    model; a missing one is named by its id).
    """
    action, request_id = payload["action"], payload["request_id"]
    about = ("request", request_id)
    holder = payload.get("agency_id")
    holder_name = (agencies.get(holder) or {}).get("name") or (f"机构{holder}" if holder else "承办机构")
    reason = f"（{payload['reason']}）" if payload.get("reason") else ""
    found = []
    if action in ENTERPRISE_HEARS:
        body = ENTERPRISE_HEARS[action].format(agency=holder_name) + reason
        if action in ("assign", "transfer", "escalate") and payload.get("resolve_by"):
            body += f"。预计办结时间：{payload['resolve_by']}"
        found.append(notice(ENTERPRISE, payload["uscc"], "request_update", "诉求办理进展", body, about,
                            payload.get("region_code")))
    if action in HOLDER_HEARS and holder:
        kind, title = HOLDER_HEARS[action]
        body = f"诉求 {request_id}（企业 {payload['uscc']}）由贵机构办理{reason}"
        if payload.get("accept_by"):
            body += f"。受理时限：{payload['accept_by']}"
        found.append(notice(AGENCY, holder, kind, title, body, about))
    return found


def deadline_missed_notice(payload, agencies):
    """The parent agency hears that an agency below it missed a deadline; None at the top."""
    agency = agencies.get(payload["agency_id"]) or {}
    parent = agency.get("parent_id")
    if parent is None:
        return None
    what = "受理" if payload["kind"] == "accept" else "办结"
    name = agency.get("name") or f"机构{payload['agency_id']}"
    return notice(AGENCY, parent, "deadline_missed", "下级机构诉求超时",
                  f"{name}未在{payload['due']}前{what}诉求 {payload['request_id']}（企业 {payload['uscc']}）",
                  ("request", payload["request_id"]))


def revisit_notice(watch):
    """The holding agency is reminded to call back (回访) on a resolved request."""
    return notice(AGENCY, watch["agency_id"], "revisit_due", "诉求待回访",
                  f"诉求 {watch['request_id']}（企业 {watch['uscc']}）已于"
                  f"{watch['resolved_at'].astimezone(CHINA_TIME):%Y-%m-%d}办结，尚未回访，请及时回访",
                  ("request", watch["request_id"]))


# -- providers (优质服务机构) ------------------------------------------------------------------

def provider_notice(event_type, payload):
    """A provider hears of its admission, evaluation or exit."""
    about, uscc = ("provider", payload["provider_id"]), payload["uscc"]
    area = payload.get("service_area")
    if event_type == "provider.admitted":
        verb = "重新纳入" if payload.get("readmission") else "纳入"
        return notice(ENTERPRISE, uscc, "provider_decision", "服务机构入库决定",
                      f"{payload['name']}已{verb}{area}领域优质服务机构库（{payload['reason']}）", about)
    if event_type == "provider.exited":
        how = "动态调整" if payload.get("automatic") else "决定"
        return notice(ENTERPRISE, uscc, "provider_decision", "服务机构出库决定",
                      f"{payload['name']}已按{how}退出{area}领域优质服务机构库（{payload['reason']}）", about)
    verdict = "低于" if payload.get("below_threshold") else "达到"
    return notice(ENTERPRISE, uscc, "provider_evaluation", "服务机构评估结果",
                  f"{payload['name']}在{area}领域{payload['period']}评估得分{payload['score']:g}，"
                  f"{verdict}{payload['threshold']:g}分的标准", about)


# -- channels ---------------------------------------------------------------------------------

def channels_for(preferences, kind):
    """The channels a recipient wants for ``kind`` (in-app always)."""
    chosen = preferences.get(kind, DEFAULT_CHANNELS)
    return [IN_APP] + [channel for channel in chosen if channel != IN_APP]


def quiet_until(now, quiet_start, quiet_end, time_zone):
    """When the recipient's quiet hours end, if ``now`` (aware) falls in them; else None.

    Quiet hours may span midnight (22:00–07:00). They hold e-mail and webhooks only.
    """
    if quiet_start is None or quiet_end is None:
        return None
    zone = ZoneInfo(time_zone) if time_zone else CHINA_TIME
    local = now.astimezone(zone)
    start, end = _as_time(quiet_start), _as_time(quiet_end)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(timezone.utc)


def _as_time(value):
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def retry_delay(attempts, base, cap, jitter):
    """Seconds before the next try after ``attempts`` failed ones: exponential, capped, with
    jitter (``jitter`` in [0, 1) is drawn by the caller), so that failed deliveries do not
    come back in step."""
    exponential = min(cap, base * math.pow(2, max(attempts - 1, 0)))
    return exponential / 2 + exponential / 2 * jitter


def gives_up(created_at, now, attempts, max_age_seconds, max_attempts):
    """Whether a delivery that failed again is given up: too old, or too many attempts."""
    return attempts >= max_attempts or (now - created_at).total_seconds() >= max_age_seconds


def webhook_paused_notice(subscription, failures):
    """The owner of a webhook hears that it was paused after repeated failure."""
    return notice(USER, subscription["owner_subject"], "webhook_paused", "Webhook 订阅已暂停",
                  f"订阅 {subscription['id']}（{subscription['url']}）连续{failures}次投递失败，已暂停。"
                  "修复接收端后，发送测试请求（ping）成功即恢复；暂停期间的通知在恢复后补发。",
                  ("webhook", subscription["id"]))
