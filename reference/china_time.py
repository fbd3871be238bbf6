"""China Standard Time (北京时间): the time every date on the network is read in.

Deadlines, award and expiry dates, activity days and the assessment's periods
are days in China, whatever zone a timestamp was written in. The zone is the tz
database's ``Asia/Shanghai`` (UTC+8 all year since 1991), so calendar feeds
name it as clients know it.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

CHINA_TIME = ZoneInfo("Asia/Shanghai")


def now():
    """The current instant, in China time."""
    return datetime.now(CHINA_TIME)


def today():
    """Today's date in China."""
    return now().date()


def local_day(moment):
    """The calendar day in China of an aware datetime."""
    return moment.astimezone(CHINA_TIME).date()


def moment_of(day):
    """The first instant (China time) of ``day``, for comparing with timestamps."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME)
