"""What arrives from outside the office, or from data, before an officer opens a case."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db


class Submission(db.Model):
    """A public clue, a written self-recommendation, or a trigger found in data (an assessment).

    ``status``: new → accepted (a case was opened) or dismissed (with a reason)."""

    __tablename__ = "submission"
    __table_args__ = (Index("ix_submission_unit_status", "unit_id", "status"), Index("ix_submission_address", "address_hash", "received_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # clue / self_recommendation / assessment_trigger
    receipt_code: Mapped[str] = mapped_column(String(16), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"))
    cadre_name: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(32), default="")
    content: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str] = mapped_column(String(60), default="")
    reporter_contact: Mapped[str] = mapped_column(String(120), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address_hash: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="new")
    dismiss_reason: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # A malicious false accusation found on clarification is recorded against the reporter.
    false_accusation: Mapped[bool] = mapped_column(Boolean, default=False)

    unit = relationship("Unit")
    cadre = relationship("Cadre")
    case = relationship("Case")

    @property
    def named(self):
        return bool(self.reporter_name)
