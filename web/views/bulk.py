"""Bulk work on many cases or cadres at once, each item through the same domain function as the
single action (workflow/bulk.py), with a result page that lists every item: done, or refused and why."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forms.auth import EmptyForm
from models import Cadre, Case, db
from workflow import bulk, clock
from workflow.access import may_manage_cadres, unit_scope
from workflow.i18n import _, _l
from workflow.terms import ASSESSMENT, choices

from ..helpers import safe_next

bp = Blueprint("bulk", __name__)

ACTIONS = {"assign": _l("Assign an officer"), "remind": _l("Send a reminder")}
ROWS_DEFAULT, ROWS_MAX = 10, 50


def _guard():
    if current_user.role not in bulk.BULK_ROLES:
        abort(403, _("Bulk work is for case officers and administrators."))
    if request.method == "POST" and not EmptyForm().validate_on_submit():
        abort(400, _("The form's security token was missing or has expired. Nothing was done."))


def _picked():
    return bulk.parse_case_items(request.form.getlist("pick"))


@bp.post("/bulk/cases")
@login_required
def cases():
    """From the case list: the chosen cases and what to do with them, to confirm."""
    _guard()
    items, action = _picked(), request.form.get("action", "")
    back = safe_next(request.form.get("next"), url_for("cases.list_cases"))
    if not items:
        flash(_("Choose at least one case (tick its box)."), "error")
        return redirect(back, 303)
    if action not in ACTIONS:
        flash(_("Choose what to do with the chosen cases."), "error")
        return redirect(back, 303)
    scope = unit_scope(db.session, current_user)
    found = {c.id: c for c in db.session.scalars(
        select(Case).options(joinedload(Case.cadre), joinedload(Case.unit))
        .where(Case.id.in_([i.case_id for i in items]), Case.unit_id.in_(scope)))}
    officers = bulk.officers_for_any(db.session, {c.unit_id for c in found.values()}) if action == "assign" else []
    return render_template("bulk/confirm.html", items=items, found=found, action=action, title=ACTIONS[action],
                           officers=officers, form=EmptyForm(), back=back)


@bp.post("/bulk/assign")
@login_required
def assign():
    _guard()
    officer_id = request.form.get("officer_id", "")
    results = bulk.run(db.session, _picked(), lambda item: bulk.assign_officer(db.session, current_user, item, officer_id))
    return _results(ACTIONS["assign"], results)


@bp.post("/bulk/remind")
@login_required
def remind():
    _guard()
    message = request.form.get("message", "")
    results = bulk.run(db.session, _picked(), lambda item: bulk.send_reminder(db.session, current_user, item, message))
    return _results(ACTIONS["remind"], results)


def _results(title, results, back=None):
    if not results:
        flash(_("No case was chosen."), "error")
        return redirect(url_for("cases.list_cases"), 303)
    done = sum(1 for r in results if r.done)
    return render_template("bulk/results.html", title=title, results=results, done=done, refused=len(results) - done,
                           back=back or url_for("cases.list_cases"))


@bp.route("/bulk/assessments", methods=["GET", "POST"])
@login_required
def assessments():
    """A table of cadre + year + result; each row is recorded by workflow.cadres.record_assessment."""
    if not may_manage_cadres(current_user):
        abort(403, _("Only case officers and administrators record assessments."))
    _guard()
    scope = unit_scope(db.session, current_user)
    if request.method == "POST":
        items = []
        for i in range(ROWS_MAX):
            cadre, year, result = (request.form.get(f"rows-{i}-{k}", "").strip() for k in ("cadre", "year", "result"))
            if not (cadre or result):  # the year is filled in on every row: a row is used once a cadre or result is chosen
                continue
            items.append(bulk.AssessmentItem(row=i + 1, cadre_id=int(cadre) if cadre.isdecimal() and len(cadre) < 10 else None,
                                             year=year[:10], result=result[:40], key=_("Row %(row)s", row=i + 1)))
        if not items:
            flash(_("Fill in at least one row."), "error")
            return _assessment_form(scope, 422)
        results = bulk.run(db.session, items, lambda item: bulk.record_one_assessment(db.session, current_user, item, scope))
        return _results(_("Record annual assessments"), results, back=url_for("bulk.assessments"))
    return _assessment_form(scope)


def _assessment_form(scope, status=200):
    raw = request.args.get("rows", "")
    count = max(1, min(int(raw), ROWS_MAX)) if raw.isdecimal() else ROWS_DEFAULT
    if request.method == "POST":
        count = ROWS_MAX if any(request.form.get(f"rows-{i}-cadre") for i in range(ROWS_DEFAULT, ROWS_MAX)) else ROWS_DEFAULT
    cadres = db.session.scalars(select(Cadre).options(joinedload(Cadre.unit)).where(Cadre.unit_id.in_(scope))
                                .order_by(Cadre.name, Cadre.id)).all()
    return render_template("bulk/assessments.html", cadres=cadres, rows=count, results=choices(ASSESSMENT), form=EmptyForm(),
                           year=clock.today_local().year - 1, typed=request.form if request.method == "POST" else {},
                           more=min(ROWS_MAX, count + 10), max_rows=ROWS_MAX), status
