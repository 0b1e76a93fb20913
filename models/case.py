"""Cases, the record of each step, and objections raised during publicity."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.i18n import _l

from .base import UTCDateTime, db

# The tracks as a reader names them (the codes are stored).
TRACK_NAMES = {"promotion": _l("Promotion"), "adjustment": _l("Adjustment")}


class Case(db.Model):
    """One personnel case on one track. ``state`` is written only by workflow.door."""

    __tablename__ = "case"
    __table_args__ = (
        CheckConstraint("track IN ('promotion', 'adjustment')", name="track_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_case_unit_state", "unit_id", "state"),
        # Chosen from the benchmark's query plans (migrations 0008, 0012, 0014): the reminder scan finds deadlines
        # by (due_kind, due_on); the case list filters by state and sorts by last change, due date or
        # reference, each read in its full order (the id breaks ties).
        Index("ix_case_due_kind_due_on", "due_kind", "due_on"),
        Index("ix_case_updated_at_id", "updated_at", "id"),
        Index("ix_case_due_on_id", "due_on", "id"),
        Index("ix_case_state_updated_at_id", "state", "updated_at", "id"),
        Index("ix_case_state_due_on_id", "state", "due_on", "id"),
        Index("ix_case_state_reference", "state", "reference"),
        # A track without a state (migration 0014): counted from the index, sorted by last change.
        Index("ix_case_track_updated_at_id", "track", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    track: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    target_position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    source: Mapped[str] = mapped_column(String(32))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_set.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    state_since: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The current step's deadline (publicity end, probation end, or the stale-step limit).
    due_on: Mapped[date | None] = mapped_column(Date)
    due_kind: Mapped[str] = mapped_column(String(32), default="")
    # True when a date was computed with the Monday-Friday fallback: check it by hand.
    due_needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    held_from: Mapped[str | None] = mapped_column(String(32))
    publicity_start: Mapped[date | None] = mapped_column(Date)
    publicity_end: Mapped[date | None] = mapped_column(Date)
    publicity_needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    probation_end: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A promotion case held for a verification, or a failed probation's adjustment, points here.
    linked_case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    # The responsible officer (承办人), assigned on the case list; reminders go to them, else to the opener.
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)

    cadre = relationship("Cadre")
    unit = relationship("Unit")
    target_position = relationship("Position")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    officer = relationship("User", foreign_keys=[officer_id])
    rule_set = relationship("RuleSet")
    linked_case = relationship("Case", remote_side=[id], foreign_keys=[linked_case_id])
    records = relationship("StepRecord", order_by="StepRecord.id", back_populates="case")
    objections = relationship("Objection", order_by="Objection.id", back_populates="case")

    # Every UPDATE checks and bumps the version: a concurrent change fails instead of being lost.
    __mapper_args__ = {"version_id_col": version}

    @property
    def track_label(self):
        return str(TRACK_NAMES.get(self.track, self.track))

    def records_for(self, *triggers):
        return [r for r in self.records if r.trigger in triggers]

    def last_record(self, *triggers):
        found = self.records_for(*triggers)
        return found[-1] if found else None


class StepRecord(db.Model):
    """纪实: what a step recorded, who signed it, when. Never edited; corrections reference."""

    __tablename__ = "step_record"
    # Which cases have a given step (an appeal on record, a check done): the reminder scan asks.
    __table_args__ = (Index("ix_step_record_trigger_case_id", "trigger", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("step_record.id"))

    case = relationship("Case", back_populates="records")
    actor = relationship("User")


class Objection(db.Model):
    """An objection received during publicity and how it was answered."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(40), default="")
    content: Mapped[str] = mapped_column(Text)
    substantive: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    finding: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    disqualifying: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_on: Mapped[date | None] = mapped_column(Date)

    case = relationship("Case", back_populates="objections")
