"""Cadres: profile, current post and rank, annual assessments, ratings, sanctions."""
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db


class Cadre(db.Model):
    __tablename__ = "cadre"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    gender: Mapped[str] = mapped_column(String(8), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    education: Mapped[str] = mapped_column(String(20), default="bachelor")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    rank: Mapped[str] = mapped_column(String(32))
    rank_since: Mapped[date] = mapped_column(Date)
    post_since: Mapped[date | None] = mapped_column(Date, index=True)  # the training deadline runs from it
    work_start: Mapped[date] = mapped_column(Date)
    grassroots_years: Mapped[int] = mapped_column(Integer, default=0)
    last_promotion_on: Mapped[date | None] = mapped_column(Date)
    probation_until: Mapped[date | None] = mapped_column(Date)
    # Facts behind the exclusions of domain.md (recorded by officers, each edit audited).
    political_discipline_problem: Mapped[bool] = mapped_column(Boolean, default=False)
    canvassing_found: Mapped[bool] = mapped_column(Boolean, default=False)
    family_emigrated: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit = relationship("Unit")
    position = relationship("Position")
    assessments = relationship(
        "AnnualAssessment", order_by="AnnualAssessment.year.desc()", back_populates="cadre"
    )
    ratings = relationship("DemocraticRating", order_by="DemocraticRating.year.desc()")
    sanctions = relationship("Sanction", order_by="Sanction.decided_on.desc()")

    __mapper_args__ = {"version_id_col": version}

    def assessment_for(self, year):
        return next((a.result for a in self.assessments if a.year == year), None)


class AnnualAssessment(db.Model):
    """年度考核: excellent / competent / basically_competent / incompetent."""

    __tablename__ = "annual_assessment"
    __table_args__ = (UniqueConstraint("cadre_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(24))

    cadre = relationship("Cadre", back_populates="assessments")


class DemocraticRating(db.Model):
    """民主测评: share of 'excellent' + 'competent' votes, in percent."""

    __tablename__ = "democratic_rating"
    __table_args__ = (UniqueConstraint("cadre_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    approval_percent: Mapped[float] = mapped_column(Numeric(5, 2))


class Sanction(db.Model):
    """A sanction, accountability measure or organizational handling with its influence period."""

    __tablename__ = "sanction"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id"), index=True)
    measure: Mapped[str] = mapped_column(String(40))
    decided_on: Mapped[date] = mapped_column(Date)
    influence_ends_on: Mapped[date] = mapped_column(Date, index=True)  # expiry evaluations due: the reminder scan
    note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))  # the adjustment case that imposed it
