"""SQLAlchemy tables, one module per area. No Flask request, no business rules here."""
from .audit import AuditCheckpoint, AuditEvent, AuditHead
from .base import Base, db, utcnow
from .cadre import AnnualAssessment, Cadre, DemocraticRating, Sanction
from .case import Case, Objection, StepRecord
from .intake import Submission
from .org import Position, Unit
from .reminders import Reminder, SchedulerJob
from .rules import CalendarOverride, CalendarYear, ChangeToken, RuleSet
from .signin import SigninAttempt as SigninAttempt  # explicit re-export
from .user import User, user_unit

__all__ = [
    "AnnualAssessment", "AuditCheckpoint", "AuditEvent", "AuditHead", "Base", "Cadre", "CalendarOverride", "CalendarYear", "Case", "ChangeToken",
    "DemocraticRating", "Objection", "Position", "Reminder", "RuleSet", "SchedulerJob", "Submission", "Sanction", "StepRecord", "Unit",
    "User", "db", "user_unit", "utcnow",
]
