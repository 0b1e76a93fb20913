"""Creating and editing cadre records, each with its audit event in the same transaction."""
from sqlalchemy import select

from models import AnnualAssessment, Cadre, Position

from . import audit, clock
from .errors import Forbidden, InvalidData, StaleCase
from .i18n import _, _l
from .terms import ASSESSMENT, label

FIELDS = (
    "name", "gender", "birth_date", "education", "unit_id", "position_id", "rank", "rank_since", "post_since",
    "work_start", "grassroots_years", "last_promotion_on", "probation_until", "political_discipline_problem",
    "canvassing_found", "family_emigrated", "notes",
)
STALE = _l("This record was changed by someone else after you opened it. Nothing was saved. What you typed is kept "
           "below; open the cadre's page in another tab to see the other change, then save again if yours still applies.")


def _check(session, values, scope):
    if values.get("unit_id") not in scope:
        raise Forbidden(_("Choose a unit you work in."))
    position_id = values.get("position_id")
    if position_id:
        position = session.get(Position, position_id)
        if position is None or position.unit_id not in scope:
            raise InvalidData(_("Choose a post in your units."))


def create(session, actor, values, scope):
    _check(session, values, scope)
    cadre = Cadre(**{k: values.get(k) for k in FIELDS})
    cadre.grassroots_years = cadre.grassroots_years or 0
    cadre.notes = cadre.notes or ""
    session.add(cadre)
    session.flush()
    audit.append(session, kind="cadre.created", actor=actor, at=clock.now(), cadre_id=cadre.id, unit_id=cadre.unit_id,
                 summary=_("Cadre %(name)s created", name=cadre.name), after=audit.snapshot(cadre, FIELDS))
    session.commit()
    return cadre


def update(session, actor, cadre, values, scope, expected_version):
    if str(expected_version) != str(cadre.version):
        raise StaleCase(str(STALE))
    _check(session, values, scope)
    before = audit.snapshot(cadre, FIELDS)
    for key in FIELDS:
        value = values.get(key)
        setattr(cadre, key, value if value is not None or key not in ("notes", "grassroots_years") else ("" if key == "notes" else 0))
    after = audit.snapshot(cadre, FIELDS)
    old, new = audit.diff(before, after)
    if not new:
        return cadre
    session.flush()
    audit.append(session, kind="cadre.updated", actor=actor, at=clock.now(), cadre_id=cadre.id, unit_id=cadre.unit_id,
                 summary=_("Cadre %(name)s edited: %(fields)s", name=cadre.name, fields=", ".join(new)), before=old, after=new)
    session.commit()
    return cadre


def record_assessment(session, actor, cadre, year, result):
    existing = session.scalars(select(AnnualAssessment).where(AnnualAssessment.cadre_id == cadre.id,
                                                              AnnualAssessment.year == year)).first()
    if existing is not None:
        raise InvalidData(_("The %(year)s assessment is already recorded as '%(result)s'.", year=year,
                            result=label(ASSESSMENT, existing.result)))
    session.add(AnnualAssessment(cadre_id=cadre.id, year=year, result=result))
    session.flush()
    audit.append(session, kind="cadre.assessment", actor=actor, at=clock.now(), cadre_id=cadre.id, unit_id=cadre.unit_id,
                 summary=_("Annual assessment %(year)s for %(name)s: %(result)s", year=year, name=cadre.name,
                           result=label(ASSESSMENT, result)), after={"year": year, "result": result})
    from .intake import propose_from_assessment

    proposal = propose_from_assessment(session, actor, cadre, year)
    session.commit()
    return proposal
