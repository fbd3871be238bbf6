"""Activity calendars as iCalendar feeds (RFC 5545, ``.ics``) that calendar apps subscribe to.

Each occurrence is one ``VEVENT`` with a stable ``UID``, so a subscribed app
updates an event in place when it changes; a moved occurrence is simply an
event on its new day (the rule's own day is named in the description). Built
with the ``icalendar`` library, times in UTC.
"""
from datetime import datetime, timezone

from icalendar import Calendar, Event

from services.activities.schemas import KINDS

PRODUCT_ID = "-//OneNet//Service activities//ZH"
UID_DOMAIN = "activities.onenet"


def feed(name, occurrences, now=None):
    """The ``.ics`` bytes of a calendar called ``name`` holding ``occurrences`` (rows of occurrences
    with their activity's title, kind, venue, link and description)."""
    stamp = now or datetime.now(timezone.utc)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for occurrence in occurrences:
        calendar.add_component(event(occurrence, stamp))
    return calendar.to_ical()


def event(occurrence, stamp):
    entry = Event()
    entry.add("uid", f"occurrence-{occurrence['id']}@{UID_DOMAIN}")
    entry.add("dtstamp", stamp.astimezone(timezone.utc))
    entry.add("dtstart", occurrence["starts_at"].astimezone(timezone.utc))
    entry.add("dtend", occurrence["ends_at"].astimezone(timezone.utc))
    entry.add("summary", occurrence["title"])
    entry.add("categories", [KINDS.get(occurrence["kind"], occurrence["kind"])])
    lines = [occurrence.get("description") or ""]
    if occurrence.get("agency_name"):
        lines.append(f"主办：{occurrence['agency_name']}")
    lines.append(f"名额：{occurrence['capacity']}（已报名 {occurrence['registered']}）")
    if occurrence.get("moved_from"):
        lines.append(f"原定 {occurrence['moved_from'].isoformat()}，因节假日顺延至工作日")
    entry.add("description", "\n".join(line for line in lines if line))
    if occurrence.get("venue"):
        entry.add("location", occurrence["venue"])
    if occurrence.get("online_url"):
        entry.add("url", occurrence["online_url"])
    entry.add("status", "CONFIRMED")
    return entry
