"""Working days: the official holiday schedule with make-up workdays, plus overrides.

The ``chinesecalendar`` package carries the State Council schedule; an administrator's
override table corrects it or adds a year before the package does. For a year neither
covers, Monday-Friday is used and every date computed that way is flagged for review.
"""
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import select

from models import CalendarOverride, CalendarYear


@dataclass(frozen=True)
class Computed:
    day: date
    needs_review: bool  # some day in the computation used the Monday-Friday fallback


_CALENDARS: dict = {}  # database URL -> (calendar change token, WorkingDays)
MISSING = object()


class WorkingDays:
    def __init__(self, overrides: dict[date, bool] | None = None, entered_years=()):
        self.overrides = overrides or {}
        self.entered_years = set(entered_years)
        self._known = {}  # day -> is_workday(day): the schedule is looked up once per day per calendar

    @classmethod
    def from_db(cls, session, token=MISSING):
        """The calendar with the administrator's overrides; kept per database while its change token
        (workflow/change_tokens.py) is unchanged, with the days it has already looked up.
        ``token``: the calendar's token when the caller has just read it."""
        from .change_tokens import current

        token = current(session, "calendar") if token is MISSING else token
        key = str(session.get_bind().url)
        kept = _CALENDARS.get(key)
        if token is not None and kept is not None and kept[0] == token:
            return kept[1]
        rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
        years = session.scalars(select(CalendarYear.year)).all()
        calendar = cls({row.day: row.is_workday for row in rows}, years)
        if token is not None:
            _CALENDARS[key] = (token, calendar)
        return calendar

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, was the fallback used)."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._look_up(day)
        return known

    def _look_up(self, day):
        if day in self.overrides:
            return self.overrides[day], False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            # An administrator who entered the whole year's schedule has covered it.
            return day.weekday() < 5, day.year not in self.entered_years

    def covers(self, year: int) -> bool:
        return not self.is_workday(date(year, 6, 1))[1]

    def add(self, start: date, count: int, count_start: bool = True) -> Computed:
        """The date on which ``count`` working days are complete, starting at ``start``."""
        if count < 1:
            raise ValueError(f"a period of {count} working days makes no sense; check the rule set")
        day = start if count_start else start + timedelta(days=1)
        seen, review = 0, False
        while True:
            workday, fallback = self.is_workday(day)
            review = review or fallback
            if workday:
                seen += 1
                if seen == count:
                    return Computed(day, review)
            day += timedelta(days=1)

    def between(self, after: date, until: date) -> int:
        """Working days in the interval (after, until]."""
        day, total = after + timedelta(days=1), 0
        while day <= until:
            total += self.is_workday(day)[0]
            day += timedelta(days=1)
        return total
