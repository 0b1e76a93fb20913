"""Cadre list, profile, create and edit. Every edit is an audit event with before and after."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from forms.cadres import AssessmentForm, CadreForm
from models import Cadre, Case, Position, Unit, db
from workflow import cadres as cadre_service
from workflow.errors import Refused
from workflow.i18n import _
from workflow.influence import combined
from workflow.rules import active_rule_set, rules_of
from workflow.terms import ASSESSMENT, choices

from ..helpers import ListSort
from .access import load_in_scope, may, my_units

bp = Blueprint("cadres", __name__)
# Sortable columns of the cadre list and the way a first click sorts them.
CADRE_SORTS = {"name": "asc", "unit": "asc", "rank": "asc", "since": "asc"}


@bp.get("/cadres")
def list_cadres():
    scope = my_units()
    q = (request.args.get("q") or "").strip()[:60]
    query = select(Cadre).where(Cadre.unit_id.in_(scope))
    if q:
        query = query.where(Cadre.name.contains(q, autoescape=True))
    sort = ListSort(CADRE_SORTS, "name")
    column = {"name": Cadre.name, "rank": Cadre.rank, "unit": Cadre.unit_id, "since": Cadre.rank_since}[sort.key]
    order = column.desc() if sort.descending else column.asc()
    size = current_app.config["PAGE_SIZE"]
    raw = request.args.get("page", "1")
    page = max(1, min(int(raw), 100000)) if raw.isdecimal() else 1
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    cadres = db.session.scalars(query.options(joinedload(Cadre.unit), joinedload(Cadre.position))
                                .order_by(order, Cadre.id.desc() if sort.descending else Cadre.id).offset((page - 1) * size).limit(size)).all()
    return render_template("cadres/list.html", cadres=cadres, q=q, page=page, pages=max(1, -(-total // size)),
                           total=total, sort=sort, can_edit=may("cadres.edit"))


def _load(cadre_id) -> Cadre:
    return load_in_scope(Cadre, cadre_id)


@bp.get("/cadres/<int:cadre_id>")
def show(cadre_id):
    cadre = _load(cadre_id)
    cases = db.session.scalars(select(Case).where(Case.cadre_id == cadre.id).order_by(Case.id.desc())).all()
    form = AssessmentForm()
    form.result.choices = choices(ASSESSMENT)
    influence = combined(cadre.sanctions, rules_of(active_rule_set(db.session)))
    return render_template("cadres/show.html", cadre=cadre, cases=cases, assessment_form=form, influence=influence,
                           can_edit=may("cadres.edit"))


def _form_choices(form):
    scope = my_units()
    units = db.session.scalars(select(Unit).where(Unit.id.in_(scope)).order_by(Unit.code)).all()
    positions = db.session.scalars(select(Position).options(joinedload(Position.unit))
                                   .where(Position.unit_id.in_(scope)).order_by(Position.unit_id, Position.id)).all()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    form.position_id.choices = [("", "—")] + [(p.id, p.label) for p in positions]
    return scope


@bp.route("/cadres/new", methods=["GET", "POST"])
def create():
    form = CadreForm()
    scope = _form_choices(form)
    if form.validate_on_submit():
        try:
            cadre = cadre_service.create(db.session, current_user, _values(form), scope)
        except Refused as exc:
            flash(exc.message, "error")
            return render_template("cadres/edit.html", form=form, cadre=None), exc.status
        flash(_("Cadre %(name)s created.", name=cadre.name), "success")
        return redirect(url_for("cadres.show", cadre_id=cadre.id))
    return render_template("cadres/edit.html", form=form, cadre=None), 422 if request.method == "POST" else 200


@bp.route("/cadres/<int:cadre_id>/edit", methods=["GET", "POST"])
def edit(cadre_id):
    cadre = _load(cadre_id)
    form = CadreForm(obj=cadre) if request.method == "GET" else CadreForm()
    scope = _form_choices(form)
    if request.method == "GET":
        form.version.data = cadre.version
    if form.validate_on_submit():
        try:
            cadre_service.update(db.session, current_user, cadre, _values(form), scope, form.version.data)
        except (Refused, StaleDataError) as exc:
            db.session.rollback()
            message = getattr(exc, "message", None) or str(cadre_service.STALE)
            flash(message, "error")
            db.session.refresh(cadre)
            form.version.data = cadre.version  # the typed values stay; saving again is a deliberate choice
            return render_template("cadres/edit.html", form=form, cadre=cadre), getattr(exc, "status", 409)
        flash(_("Saved."), "success")
        return redirect(url_for("cadres.show", cadre_id=cadre.id))
    return render_template("cadres/edit.html", form=form, cadre=cadre), 422 if request.method == "POST" else 200


@bp.post("/cadres/<int:cadre_id>/assessments")
def add_assessment(cadre_id):
    cadre = _load(cadre_id)
    form = AssessmentForm()
    form.result.choices = choices(ASSESSMENT)
    if not form.validate_on_submit():
        flash(_("Enter a year and a result."), "error")
        return redirect(url_for("cadres.show", cadre_id=cadre.id)), 303
    try:
        proposal = cadre_service.record_assessment(db.session, current_user, cadre, form.year.data, form.result.data)
    except Refused as exc:
        flash(exc.message, "error")
        return redirect(url_for("cadres.show", cadre_id=cadre.id)), 303
    flash(_("Assessment recorded."), "success")
    if proposal is not None:
        flash(_("%(reason)s An adjustment case is proposed in the intake inbox: accept or dismiss it with a reason.",
                reason=proposal.content), "info")
    return redirect(url_for("cadres.show", cadre_id=cadre.id))


def _values(form):
    return {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "version")}
