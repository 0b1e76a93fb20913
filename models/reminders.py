"""Reminders (each one a notification to one person, at most once) and the scheduler's health."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db


class Reminder(db.Model):
    """One reminder for one recipient. The unique key makes every pass idempotent: a second
    pass, a second scheduler or a pass after a crash finds the row and sends nothing again."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "due_on", "recipient_id", name="uq_reminder_key"),
        Index("ix_reminder_recipient_unread", "recipient_id", "read_at"),
        Index("ix_reminder_email_status", "email_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40))  # "case:12", "sanction:7"
    due_on: Mapped[date] = mapped_column(Date)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # pending → sending → sent; failed (retried); off (user chose no e-mail); unconfigured (no SMTP);
    # a row left in "sending" by a crash is never retried: e-mail is sent at most once.
    email_status: Mapped[str] = mapped_column(String(16), default="pending")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str] = mapped_column(Text, default="")
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient = relationship("User")
    case = relationship("Case")


class SchedulerJob(db.Model):
    """The health of each scheduled job, for administrators."""

    __tablename__ = "scheduler_job"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
