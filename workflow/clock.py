"""The one clock. Store UTC, show Asia/Shanghai; calendar days are local dates.

Tests and the demo loader travel in time with ``FixedClock`` instead of sleeping.
"""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at if at.tzinfo else at.replace(tzinfo=LOCAL_TZ)

    def now(self) -> datetime:
        return self.at.astimezone(UTC)

    def set(self, at: datetime):
        self.at = at if at.tzinfo else at.replace(tzinfo=LOCAL_TZ)

    def advance(self, **delta):
        self.at = self.at + timedelta(**delta)


_clock = SystemClock()


def use_clock(clock):
    """Replace the process clock (tests, demo loading). Returns the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    return _clock.now()


def today_local() -> date:
    return local_date(now())


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def local_noon(day: date) -> datetime:
    """A moment on a local calendar day (used when travelling in time to a date)."""
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=LOCAL_TZ)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)
