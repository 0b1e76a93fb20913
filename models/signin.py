"""Sign-in attempts, kept to rate-limit and lock out repeated failures (workflow/signin.py).

One row per attempt (``success``, ``failure``, ``refused`` while locked) and one ``lockout`` row
when a lockout begins (``scope`` says whether the username or the client address is locked, and
``locked_until`` until when). Rows are short-lived working data, pruned after a day; the lasting
record of every attempt is the audit trail.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import UTCDateTime, db

OUTCOMES = ("success", "failure", "refused", "lockout")
SCOPES = ("", "username", "address")


class SigninAttempt(db.Model):
    __tablename__ = "signin_attempt"
    __table_args__ = (
        Index("ix_signin_attempt_username", "username", "at"),
        Index("ix_signin_attempt_address", "address", "at"),
        Index("ix_signin_attempt_at", "at"),
        CheckConstraint("outcome IN ('success', 'failure', 'refused', 'lockout')", name="outcome_known"),
        CheckConstraint("scope IN ('', 'username', 'address')", name="scope_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The username as typed (trimmed, lower-cased, at most 60 characters): counted whether or not
    # such a user exists, so an unknown name behaves exactly like a known one.
    username: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16), default="")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
