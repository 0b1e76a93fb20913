"""Case list, opening a case, the case page and its actions. Every change goes through the door.

Who may use each page is in the permission matrix (workflow/permissions.py), applied before the view."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from forms import whole_number
from forms.cases import CaseFilterForm, OpenPromotionForm
from forms.steps import build_step_form, form_data, open_form_class, show_errors
from models import AuditEvent, Cadre, Case, Position, db
from models.case import TRACK_NAMES
from workflow import clock, door
from workflow.access import in_scope
from workflow.decision import tally
from workflow.errors import Refused, StaleCase
from workflow.i18n import _
from workflow.influence import combined
from workflow.registry import WORKFLOWS, open_fields, workflow_for
from workflow.terms import RANKS
from workflow.terms import label as term

from ..helpers import ListSort
from .access import load_in_scope, my_units, unit_filter_choices, units_under_chosen

bp = Blueprint("cases", __name__)
# Sortable columns of the case list and the way a first click sorts them.
CASE_SORTS = {"updated": "desc", "due": "asc", "reference": "asc", "cadre": "asc"}
# The case list counts up to this many: the province officer's unfiltered list holds 100,000.
COUNT_LIMIT = 10_000


@bp.get("/")
def index():
    return redirect(url_for("cases.list_cases"))


@bp.get("/cases")
def list_cases():
    scope = my_units()
    form = CaseFilterForm(request.args)
    everyone = ("", _("— all —"))
    form.track.choices = [everyone] + [(t, TRACK_NAMES[t]) for t in WORKFLOWS]
    form.state.choices = [everyone] + [(s.name, s.label) for wf in WORKFLOWS.values() for s in wf.states]
    # A province holds thousands of units: the filter lists the top levels (a town is found under
    # its county) and a unit stands for its whole subtree.
    chosen = whole_number(form.unit.data)
    form.unit.choices = [everyone] + unit_filter_choices(chosen)
    # The cadre is joined only when its name is searched (then also for the count) or sorted on.
    # A scope of the whole tree adds no IN list of every unit (workflow.access.in_scope).
    query = in_scope(db.session, select(Case), Case.unit_id, scope if chosen is None else units_under_chosen(chosen))
    if form.q.data:
        query = query.join(Case.cadre)
    if form.track.data and _tracks_of_state(form.state.data) != [form.track.data]:  # else the state says the track
        query = query.where(Case.track == form.track.data)
    if form.state.data:
        query = query.where(Case.state == form.state.data)
    if form.q.data:
        query = query.where(Cadre.name.contains(form.q.data.strip()[:60], autoescape=True))
    sort = ListSort(CASE_SORTS, "updated")
    column = {"updated": Case.updated_at, "due": Case.due_on, "reference": Case.reference, "cadre": Cadre.name}[sort.key]
    order = column.desc() if sort.descending else column.asc()
    if sort.key == "due":  # cases without a deadline after those with one, both ways
        order = order.nulls_last()
    page = _page_arg()
    size = current_app.config["PAGE_SIZE"]
    # Counted over the key alone (an index answers it) and only up to COUNT_LIMIT: past that the
    # list says "more than" and pages on, as long as there are more cases.
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(Case.id).limit(COUNT_LIMIT + 1).subquery()))
    if sort.key == "cadre" and not form.q.data:
        query = query.join(Case.cadre)
    cases = db.session.scalars(
        query.options(joinedload(Case.cadre), joinedload(Case.unit), joinedload(Case.target_position))
        .order_by(order, Case.id.desc() if sort.descending else Case.id.asc()).offset((page - 1) * size).limit(size)
    ).all()
    more = total > COUNT_LIMIT
    pages = max(1, -(-min(total, COUNT_LIMIT) // size), page + 1 if more and len(cases) == size else page)
    return render_template("cases/list.html", cases=cases, form=form, page=page, pages=pages,
                           total=min(total, COUNT_LIMIT), more=more, sort=sort)


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    track = request.args.get("track", "promotion")
    if track not in WORKFLOWS:
        abort(404, _("There is no such track."))
    scope = my_units()
    cadres = db.session.scalars(select(Cadre).options(joinedload(Cadre.unit)).where(Cadre.unit_id.in_(scope)).order_by(Cadre.name)).all()
    if track == "promotion":
        form = OpenPromotionForm()
        positions = db.session.scalars(select(Position).where(Position.unit_id.in_(scope)).order_by(Position.unit_id, Position.id)).all()
        form.target_position_id.choices = [("", "—")] + [
            (p.id, f"{p.label} · {term(RANKS, p.rank)}" + (" · " + _("with probation") if p.probation_applies else "")) for p in positions]
    else:
        form = open_form_class(track, open_fields(track))()
        if request.method == "GET":
            form.received_on.data = clock.today_local()
    form.cadre_id.choices = [("", "—")] + [(c.id, f"{c.name} · {c.unit.name}") for c in cadres]
    if request.method == "GET" and whole_number(request.args.get("cadre")):
        form.cadre_id.data = whole_number(request.args["cadre"])
    status, reasons = 200, []
    if form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items() if name not in ("csrf_token", "cadre_id", "target_position_id")}
        try:
            reuse = request.args.get("reuse", "")
            outcome = door.open_case(track, current_user, form.cadre_id.data, data,
                                     target_position_id=getattr(form, "target_position_id", None) and form.target_position_id.data,
                                     reuse_of=whole_number(reuse))
            flash(_("Case %(reference)s opened.", reference=outcome.case.reference), "success")
            return redirect(url_for("cases.show", case_id=outcome.case.id))
        except Refused as exc:
            show_errors(form, exc.field_errors)
            status, reasons = exc.status, [exc.message, *exc.reasons] if not exc.field_errors else exc.reasons
    elif request.method == "POST":
        status = 422
    return render_template("cases/new.html", form=form, reasons=reasons, track=track), status


@bp.get("/cases/<int:case_id>")
def show(case_id):
    # Read by the permission check with what the page shows of it (workflow/permissions.py: the
    # case's page_options), in two queries instead of a lazy load for each.
    return _render_case(load_in_scope(Case, case_id))


@bp.post("/cases/<int:case_id>/act/<trigger>")
def act(case_id, trigger):
    case = load_in_scope(Case, case_id)
    workflow = workflow_for(case.track)
    transition = next((t for t in workflow.transitions if t.trigger == trigger), None)
    if transition is None:
        return render_template("error.html", status=404, title=_("Not found"),
                               message=_("There is no action '%(trigger)s'.", trigger=trigger), reasons=[]), 404
    ctx = door.make_ctx(db.session, case, current_user, tokens=my_units().tokens)
    form = build_step_form(case.track, transition, case, ctx, formdata=request.form)
    form.validate()  # parsing only (dates, numbers); CSRFProtect checked the token; the door judges the rest
    parse_errors = {name: errs for name, errs in form.errors.items() if name not in ("csrf_token",)}
    if parse_errors:
        return _render_case(case, failed=(trigger, form, [_("Please correct the marked fields.")]), status=422)
    try:
        outcome = door.advance(case.id, trigger, current_user, form_data(form, transition.fields),
                               expected_version=form.version.data or None)
    except Refused as exc:
        db.session.expire_all()
        case = load_in_scope(Case, case_id)
        show_errors(form, exc.field_errors)
        if isinstance(exc, StaleCase):
            # The page now shows the case as it is; what was typed stays, and submitting again is a
            # deliberate choice made with the new state in view.
            form.version.data = case.version
        reasons = exc.reasons or [exc.message]
        if exc.status in (403, 404):
            raise
        return _render_case(case, failed=(trigger, form, reasons or [exc.message]), status=exc.status)
    flash(_("Recorded: %(step)s.", step=transition.label), "success")
    return redirect(url_for("cases.show", case_id=outcome.case.id) + "#timeline")


@bp.get("/cases/<int:case_id>/record")
def full_record(case_id):
    """纪实: the printable full-process record for the personnel file."""
    case = load_in_scope(Case, case_id)
    opened = case.records[0].data if case.records else {}
    previous = next((r.data.get("previous") for r in case.records if r.trigger == "appoint"), None)
    opening_rank = previous["rank"] if previous else case.cadre.rank
    return render_template("cases/record.html", case=case, tally=tally, opening_rank=opening_rank, opened=opened,
                           printed_at=clock.now())


def _render_case(case, failed=None, status=200):
    workflow = workflow_for(case.track)
    ctx = door.make_ctx(db.session, case, current_user, tokens=my_units().tokens)
    actions = []
    for transition, reasons in door.available_actions(db.session, case, current_user, ctx=ctx):
        if failed and failed[0] == transition.trigger:
            actions.append((transition, failed[2], failed[1], True))
        else:
            actions.append((transition, reasons, build_step_form(case.track, transition, case, ctx=ctx), False))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)).all()
    influence = combined(case.cadre.sanctions, ctx.rules)
    # A refused action that is not offered in the case's current state is explained at the top.
    general = failed[2] if failed and not any(t.trigger == failed[0] for t, *_ in actions) else []
    return render_template("cases/show.html", case=case, workflow=workflow, actions=actions, events=events,
                           ctx=ctx, influence=influence, general_reasons=general), status


def _tracks_of_state(state):
    return [track for track, workflow in WORKFLOWS.items() if any(s.name == state for s in workflow.states)]


def _page_arg():
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 100000)) if raw.isdecimal() else 1
