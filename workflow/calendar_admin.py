"""Administrator changes to the working-day calendar, each audited."""
from models import CalendarOverride, CalendarYear

from . import audit, clock
from .errors import InvalidData
from .i18n import _


def set_override(session, actor, day, is_workday, name):
    existing = session.get(CalendarOverride, day)
    before = {"day": day, "is_workday": existing.is_workday, "name": existing.name} if existing else None
    if existing is None:
        existing = CalendarOverride(day=day)
        session.add(existing)
    existing.is_workday, existing.name = is_workday, name or ""
    session.flush()
    audit.append(session, kind="calendar.changed", actor=actor, at=clock.now(),
                 summary=f"Calendar: {day.isoformat()} is {'a workday' if is_workday else 'a day off'} ({name or ''})",
                 before=before, after={"day": day, "is_workday": is_workday, "name": name or ""})
    session.commit()


def remove_override(session, actor, day):
    existing = session.get(CalendarOverride, day)
    if existing is None:
        raise InvalidData(_("There is no override on %(day)s.", day=day.isoformat()))
    before = {"day": day, "is_workday": existing.is_workday, "name": existing.name}
    session.delete(existing)
    audit.append(session, kind="calendar.changed", actor=actor, at=clock.now(),
                 summary=f"Calendar: override on {day.isoformat()} removed", before=before, after=None)
    session.commit()


def mark_year_entered(session, actor, year, note):
    if session.get(CalendarYear, year) is not None:
        raise InvalidData(_("%(year)s is already marked as entered.", year=year))
    session.add(CalendarYear(year=year, note=note or ""))
    audit.append(session, kind="calendar.changed", actor=actor, at=clock.now(),
                 summary=f"Calendar: the official schedule of {year} marked as fully entered",
                 after={"year": year, "note": note or ""})
    session.commit()


def set_supervisor(session, actor, unit, user):
    """The supervising officer receives escalations of overdue items in the unit and below."""
    before = {"supervisor_id": unit.supervisor_id}
    if user is not None and user.role != "case_officer":
        raise InvalidData(_("The supervising officer must be a case officer."))
    unit.supervisor_id = user.id if user else None
    audit.append(session, kind="unit.updated", actor=actor, at=clock.now(), unit_id=unit.id,
                 summary=f"Unit {unit.name}: supervising officer {'set to ' + user.username if user else 'cleared'}",
                 before=before, after={"supervisor_id": unit.supervisor_id})
    session.commit()
