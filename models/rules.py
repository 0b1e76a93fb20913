"""Versioned rule sets and the administrator's working-day calendar overrides."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import UTCDateTime, db


class RuleSet(db.Model):
    __tablename__ = "rule_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class CalendarOverride(db.Model):
    """A date that the official calendar package gets wrong or does not cover yet."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(60), default="")


class CalendarYear(db.Model):
    """A year whose official schedule an administrator has entered in full as overrides."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    note: Mapped[str] = mapped_column(String(120), default="")


class ChangeToken(db.Model):
    """A random token that triggers move whenever the unit tree or the calendar changes
    (workflow/change_tokens.py): what a process derived from those tables stays valid while it holds."""

    __tablename__ = "change_token"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(40))
