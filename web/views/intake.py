"""Intake from outside the office (no login): public clues and written self-recommendations,
with a receipt code to check progress; and the officers' inbox that turns them into cases."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from forms import whole_number
from forms.intake import AcceptForm, ClueForm, DismissForm, FeedbackForm, SelfRecommendationForm, StatusForm
from models import Cadre, Position, Submission, Unit, db
from workflow import intake
from workflow.errors import Refused
from workflow.i18n import _
from workflow.terms import CLUE_CATEGORIES, RANKS, label

from ..helpers import ListSort, page_arg
from .access import my_units

bp = Blueprint("intake", __name__)
# The inbox sorts by when a submission arrived (newest first, the default), by a clue's category (by
# its name in the reader's language; submissions without one last) or by status (new, accepted,
# dismissed); the newest first among equals, then the id, so that the order is total.
SORTS = {"received": "desc", "category": "asc", "status": "asc"}
STATUS_ORDER = {"new": 0, "accepted": 1, "dismissed": 2}


def _order(sort):
    newest = [Submission.received_at.desc(), Submission.id.desc()]
    if sort.key == "received":
        return newest if sort.descending else [Submission.received_at.asc(), Submission.id.asc()]
    if sort.key == "category":
        names = {code: label(CLUE_CATEGORIES, code) for code in CLUE_CATEGORIES}
        column = sql_case(names, value=Submission.category, else_=Submission.category)
        first = [Submission.category == ""]  # false first: the ones with a category
    else:
        column = sql_case(STATUS_ORDER, value=Submission.status, else_=len(STATUS_ORDER))
        first = []
    return [*first, column.desc() if sort.descending else column.asc(), *newest]


def _unit_choices(form):
    form.unit_id.choices = [("", "—")] + [(u.id, u.name) for u in db.session.scalars(select(Unit).order_by(Unit.code))]


def _public(form, kind, template):
    _unit_choices(form)
    if form.validate_on_submit():
        try:
            submission = intake.receive(
                db.session, kind, form.unit_id.data, form.cadre_name.data, form.content.data,
                category=getattr(form, "category", None) and form.category.data,
                reporter_name=getattr(form, "reporter_name", None) and form.reporter_name.data,
                reporter_contact=form.reporter_contact.data, address=request.remote_addr or "",
                secret=current_app.config["SECRET_KEY"])
        except intake.RateLimited as exc:
            return render_template(template, form=form, error=str(exc)), 429
        # Redirect after the post, so reloading the receipt page does not submit again.
        return redirect(url_for("intake.received", code=submission.receipt_code), 303)
    return render_template(template, form=form, error=None), 422 if request.method == "POST" else 200


@bp.route("/report", methods=["GET", "POST"])
def report():
    """Public clue form (no login); anonymous reports are welcome."""
    return _public(ClueForm(), "clue", "intake/report.html")


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    """A cadre's written self-recommendation (no login); it opens a nomination once accepted."""
    return _public(SelfRecommendationForm(), "self_recommendation", "intake/apply.html")


@bp.get("/report/received")
def received():
    submission = intake.status_of(db.session, request.args.get("code"))
    if submission is None:
        abort(404, _("No submission has that receipt code."))
    return render_template("intake/received.html", submission=submission)


@bp.get("/report/status")
def status():
    form = StatusForm(request.args)
    submission = intake.status_of(db.session, form.code.data) if form.code.data else None
    return render_template("intake/status.html", form=form, submission=submission, looked=bool(form.code.data),
                           status_words=intake.STATUS, shown=intake.public_status(submission) if submission else None)


@bp.get("/intake")
def inbox():
    scope = my_units()
    status = request.args.get("status", "new")
    query = select(Submission).where(Submission.unit_id.in_(scope))
    if status in intake.STATUS:
        query = query.where(Submission.status == status)
    size = current_app.config["PAGE_SIZE"]
    page = page_arg()
    sort = ListSort(SORTS, "received")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(*_order(sort)).offset((page - 1) * size).limit(size)).all()
    cadres = {u: db.session.scalars(select(Cadre).where(Cadre.unit_id == u).order_by(Cadre.name)).all() for u in {i.unit_id for i in items}}
    positions = db.session.scalars(select(Position).where(Position.unit_id.in_(scope)).order_by(Position.unit_id, Position.id)).all()
    forms = {}
    for item in items:
        accept_form = AcceptForm(prefix=f"s{item.id}")
        accept_form.cadre_id.choices = [("", "—")] + [
            (c.id, f"{c.name} · {c.position.title if c.position else '—'} · {label(RANKS, c.rank)}") for c in cadres.get(item.unit_id, [])]
        accept_form.cadre_id.data = item.cadre_id
        accept_form.position_id.choices = [("", "—")] + [(p.id, p.label) for p in positions]
        forms[item.id] = (accept_form, DismissForm(prefix=f"d{item.id}"), FeedbackForm(prefix=f"f{item.id}"))
    return render_template("intake/inbox.html", items=items, forms=forms, status=status, page=page,
                           pages=max(1, -(-total // size)), total=total, sort=sort)


@bp.post("/intake/<int:submission_id>/<action>")
def handle(submission_id, action):
    try:
        if action == "accept":
            cadre_id = _int(request.form.get(f"s{submission_id}-cadre_id"))
            position_id = _int(request.form.get(f"s{submission_id}-position_id"))
            if not cadre_id:
                raise Refused(_("Choose the cadre the submission is about."))
            case = intake.accept(db.session, current_user, submission_id, cadre_id, position_id)
            flash(_("Case %(reference)s opened.", reference=case.reference), "success")
            return redirect(url_for("cases.show", case_id=case.id))
        if action == "dismiss":
            intake.dismiss(db.session, current_user, submission_id, request.form.get(f"d{submission_id}-reason", ""))
            flash(_("Dismissed."), "success")
        elif action == "feedback":
            intake.record_feedback(db.session, current_user, submission_id, request.form.get(f"f{submission_id}-feedback", ""))
            flash(_("Feedback recorded."), "success")
        else:
            abort(404)
    except Refused as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(" ".join([exc.message, *exc.reasons, *exc.field_errors.values()]), "error")
        return redirect(url_for("intake.inbox")), 303
    return redirect(url_for("intake.inbox"))


def _int(value):
    return whole_number(value)
