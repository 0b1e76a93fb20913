"""Submissions from outside the office (public clues, written self-recommendations) and triggers
found in data (assessments), and how an officer turns them into cases or dismisses them."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from models import AnnualAssessment, Cadre, Submission

from . import audit, clock, door
from .access import unit_scope
from .errors import Forbidden, InvalidData, NotFound
from .i18n import _

RATE_LIMIT = 5  # submissions per address per hour
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
STATUS = {"new": ("Received, waiting to be handled", "已收到，等待办理"), "accepted": ("Being handled", "正在办理"),
          "dismissed": ("Closed without a case", "不予立案，已办结"), "closed": ("Handled and closed", "已办理完毕")}


def public_status(submission):
    """What the reporter sees: an accepted submission whose case has ended reads 'closed'."""
    if submission.status == "accepted" and submission.case is not None and submission.case.closed_at is not None:
        return "closed"
    return submission.status


class RateLimited(Exception):
    pass


def address_hash(address: str, secret: str) -> str:
    """Addresses are kept only as a keyed hash: enough to rate-limit, not to identify."""
    return hashlib.sha256(f"{secret}:{address}".encode()).hexdigest()


def receive(session, kind, unit_id, cadre_name, content, category="", reporter_name="", reporter_contact="",
            address="", secret=""):
    now = clock.now()
    hashed = address_hash(address, secret)
    recent = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.address_hash == hashed, Submission.received_at >= now - timedelta(hours=1)))
    if recent >= RATE_LIMIT:
        raise RateLimited(_("Too many submissions from this address in the last hour; please try again later."))
    cadre = session.scalars(select(Cadre).where(Cadre.unit_id == unit_id, Cadre.name == cadre_name.strip()).order_by(Cadre.id)).first()
    submission = Submission(
        kind=kind, receipt_code=_receipt(), unit_id=unit_id, cadre_id=cadre.id if cadre else None, cadre_name=cadre_name.strip(),
        category=category or "", content=content, reporter_name=reporter_name or "", reporter_contact=reporter_contact or "",
        received_at=now, address_hash=hashed,
    )
    session.add(submission)
    session.flush()
    audit.append(session, kind=f"intake.{kind}", actor=None, at=now, unit_id=unit_id, cadre_id=submission.cadre_id,
                 summary=_received(kind, submission.receipt_code),
                 after={"receipt_code": submission.receipt_code, "category": category, "named": bool(reporter_name)})
    session.commit()
    return submission


def _received(kind, code):
    if kind == "self_recommendation":
        return _("Self-recommendation received (%(code)s)", code=code)
    return _("Clue received (%(code)s)", code=code)


def _receipt():
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _position in range(10))


def status_of(session, code):
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return session.scalars(select(Submission).where(Submission.receipt_code == code)).first()


def propose_from_assessment(session, actor, cadre, year):
    """'Incompetent' once, or 'basically competent' two years running, proposes an adjustment case."""
    results = dict(session.execute(select(AnnualAssessment.year, AnnualAssessment.result)
                                   .where(AnnualAssessment.cadre_id == cadre.id, AnnualAssessment.year.in_((year, year - 1)))).all())
    reason = assessment_trigger_reason(year, results.get(year), results.get(year - 1))
    if reason is None:
        return None
    submission = Submission(kind="assessment_trigger", receipt_code=_receipt(), unit_id=cadre.unit_id, cadre_id=cadre.id,
                            cadre_name=cadre.name, category="", content=reason, received_at=clock.now())
    session.add(submission)
    session.flush()
    audit.append(session, kind="intake.assessment_trigger", actor=actor, at=clock.now(), unit_id=cadre.unit_id,
                 cadre_id=cadre.id, summary=_("Adjustment proposed for %(name)s: %(reason)s", name=cadre.name, reason=reason), after={"reason": reason})
    return submission


def assessment_trigger_reason(year, result, previous_result):
    """Why the ``year`` assessment proposes an adjustment, or None (also used by the bulk import)."""
    if result == "incompetent":
        return _("Annual assessment %(year)s: incompetent.", year=year)
    if result == "basically_competent" and previous_result == "basically_competent":
        return _("Annual assessments %(previous)s and %(year)s: basically competent two years running.",
                 previous=year - 1, year=year)
    return None


HANDLERS = ("case_officer", "discipline_liaison")


def _load(session, actor, submission_id):
    if actor.role not in HANDLERS:
        raise Forbidden(_("Only case officers and discipline liaisons handle submissions."))
    submission = session.get(Submission, submission_id)
    if submission is None or submission.unit_id not in unit_scope(session, actor):
        raise NotFound(_("There is no such submission in your units."))
    if submission.status != "new":
        raise InvalidData(_("This submission was already handled."))
    return submission


def accept(session, actor, submission_id, cadre_id, position_id=None):
    """Open the case the submission asks for, in the same transaction as marking it accepted."""
    submission = _load(session, actor, submission_id)
    today = clock.today_local()
    try:
        if submission.kind == "self_recommendation":
            outcome = door._open(session, "promotion", actor, cadre_id, position_id, {
                "source": "self", "work_plan": _("Written self-recommendation %(code)s.", code=submission.receipt_code),
                "evidence": submission.content})
        else:
            source = "public_clue" if submission.kind == "clue" else "assessment"
            outcome = door._open(session, "adjustment", actor, cadre_id, None, {
                "trigger_source": source, "category": submission.category or None, "content": submission.content,
                "reporter_name": submission.reporter_name, "reporter_contact": submission.reporter_contact,
                "received_on": clock.local_date(submission.received_at)})
        submission.status, submission.case_id, submission.handled_by_id = "accepted", outcome.case.id, actor.id
        submission.cadre_id = cadre_id
        audit.append(session, kind="intake.accepted", actor=actor, at=clock.now(), case=outcome.case,
                     summary=_("Submission %(code)s accepted as %(case)s", code=submission.receipt_code,
                                                case=outcome.case.reference),
                     after={"receipt_code": submission.receipt_code, "case": outcome.case.reference, "on": today})
        session.commit()
    except Exception:
        session.rollback()
        raise
    return outcome.case


def dismiss(session, actor, submission_id, reason):
    submission = _load(session, actor, submission_id)
    if not (reason or "").strip():
        raise InvalidData(_("Give the reason for dismissing."))
    if len(reason.strip()) > 2000:
        raise InvalidData(_("The reason is too long (at most %(limit)s characters).", limit=2000))
    submission.status, submission.dismiss_reason, submission.handled_by_id = "dismissed", reason.strip()[:2000], actor.id
    audit.append(session, kind="intake.dismissed", actor=actor, at=clock.now(), unit_id=submission.unit_id,
                 cadre_id=submission.cadre_id, summary=_("Submission %(code)s dismissed", code=submission.receipt_code),
                 after={"receipt_code": submission.receipt_code, "reason": submission.dismiss_reason})
    session.commit()


def record_feedback(session, actor, submission_id, text):
    if actor.role not in HANDLERS:
        raise Forbidden(_("Only case officers and discipline liaisons answer reporters."))
    submission = session.get(Submission, submission_id)
    if submission is None or submission.unit_id not in unit_scope(session, actor):
        raise NotFound(_("There is no such submission in your units."))
    if not submission.named:
        raise InvalidData(_("Feedback is given to named reporters; this one is anonymous."))
    if not (text or "").strip():
        raise InvalidData(_("Write the feedback."))
    if len(text.strip()) > 2000:
        raise InvalidData(_("The feedback is too long (at most %(limit)s characters).", limit=2000))
    before = {"feedback": submission.feedback}
    submission.feedback, submission.feedback_at = text.strip()[:2000], clock.now()
    audit.append(session, kind="intake.feedback", actor=actor, at=clock.now(), unit_id=submission.unit_id,
                 cadre_id=submission.cadre_id, summary=_("Feedback recorded for %(code)s", code=submission.receipt_code),
                 before=before, after={"feedback": submission.feedback})
    session.commit()
