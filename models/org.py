"""Units (a tree) and the positions in them."""
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    # The supervising officer: overdue items not acted on are escalated to this person.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", use_alter=True))

    parent = relationship("Unit", remote_side=[id], backref="children")
    supervisor = relationship("User", foreign_keys=[supervisor_id])

    def __repr__(self):
        return f"<Unit {self.code}>"


class Position(db.Model):
    """A post. ``rank`` is a code from workflow.ranks (e.g. ``division_deputy``)."""

    __tablename__ = "position"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    rank: Mapped[str] = mapped_column(String(32))
    is_leading: Mapped[bool] = mapped_column(Boolean, default=True)
    probation_applies: Mapped[bool] = mapped_column(Boolean, default=False)
    # Special posts are exempt from the "spouse and all children emigrated" exclusion.
    emigration_exempt: Mapped[bool] = mapped_column(Boolean, default=False)

    unit = relationship("Unit")

    @property
    def label(self):
        return f"{self.unit.name} · {self.title}"
