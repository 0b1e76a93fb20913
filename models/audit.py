"""Audit events: one per change, hash-chained in insertion order."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import UTCDateTime, db
from .shown_json import ShownJSON


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(ShownJSON)
    after: Mapped[dict | None] = mapped_column(ShownJSON)
    # before and after are stored as the export shows them (models/shown_json.py): passed through as stored
    json_as_shown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User")


class AuditHead(db.Model):
    """A single row locked while an event is appended, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(db.Model):
    """Where the chain continues after an operator archived (and removed) older events.

    Verification starts at the newest checkpoint: its ``last_hash`` is the hash of the last
    archived event, which the first remaining event must link to."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    up_to_event_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    archive_sha256: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
