"""The auditor's pages: events with filters, chain verification, exports within the user's units.
Who may see them is in the permission matrix (workflow/permissions.py).

Exports (CSV, XLSX, JSON Lines) keep their column names in English whatever the reader's language:
they are machine-readable field names (workflow/audit_export.COLUMNS: id, occurred_at_utc, actor,
kind, case_id, …, hash), stable for whoever checks or loads an export; event kinds stay codes too.
The stored summaries are exported as they were written."""
import re
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import func, select

from forms import whole_number
from forms.audit import AuditFilterForm, ExportForm
from models import Unit, db
from workflow import audit_export, clock
from workflow.audit import event_label
from workflow.audit_verify import verify
from workflow.i18n import _, _l

from .access import my_units

bp = Blueprint("audit", __name__, url_prefix="/audit")
# An export's file name carries the id of the user who cut it: only they may download it.
EXPORT_NAME = re.compile(r"audit-\d{4}-\d{2}-\d{2}-u(\d+)-[0-9a-f]{32}\.(csv|xlsx|jsonl)(\.manifest\.json)?")
# What workflow/audit_verify.py finds wrong with a chain (written in English there, for the command
# line too), shown on the verification page in the reader's language.
CHAIN_PROBLEMS = {
    "its link to the previous event does not match (an event before it was removed, inserted or reordered)":
        _l("its link to the previous event does not match (an event before it was removed, inserted or reordered)"),
    "its content does not match its hash (it was changed)": _l("its content does not match its hash (it was changed)"),
    "the chain head does not match the last event (events at the end were removed or added)":
        _l("the chain head does not match the last event (events at the end were removed or added)"),
}


def _scope_filters(form):
    scope = my_units()
    top_level = any(u.parent_id is None for u in current_user.units)
    return audit_export.Filters(
        since=form.since.data, until=form.until.data, unit_ids=scope, include_unitless=top_level,
        unit=whole_number(form.unit.data),
        case=form.case.data, cadre=form.cadre.data, actor=(form.actor.data or "").strip() or None,
        kind=form.kind.data or None,
    )


def _filter_form(source):
    form = AuditFilterForm(source)
    units = db.session.scalars(select(Unit).where(Unit.id.in_(my_units())).order_by(Unit.code))
    form.unit.choices = [("", _("— all —"))] + [(str(u.id), u.name) for u in units]
    return form


@bp.get("")
def events():
    form = _filter_form(request.args)
    form.validate()
    filters = _scope_filters(form) if not form.errors else audit_export.Filters(unit_ids=set())
    size = current_app.config["PAGE_SIZE"]
    raw = request.args.get("page", "1")
    page = max(1, min(int(raw), 1_000_000)) if raw.isdecimal() else 1
    query = audit_export.query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.offset((page - 1) * size).limit(size)).all()
    export_form = ExportForm(request.args)
    return render_template("audit/events.html", form=form, rows=rows, page=page, pages=max(1, -(-total // size)),
                           total=total, export_form=export_form, event_label=event_label), 422 if form.errors else 200


@bp.get("/verify")
def verify_chain():
    verdict = verify(db.session)
    problem = CHAIN_PROBLEMS.get(verdict.problem, verdict.problem)
    return render_template("audit/verify.html", verdict=verdict, problem=problem), 200


@bp.post("/export")
def export():
    form = _filter_form(request.form)
    export_form = ExportForm(request.form)
    if not (form.validate() and export_form.validate()):
        named = {f.name: f.label.text for f in (*form, *export_form)}
        problems = "; ".join(f"{named.get(k, k)}: {', '.join(map(str, v))}" for k, v in {**form.errors, **export_form.errors}.items())
        abort(400, _("The export filters are not valid: %(problems)s", problems=problems))
    fmt = export_form.format.data
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"audit-{clock.today_local().isoformat()}-u{current_user.id}-{uuid.uuid4().hex}.{fmt}"
    result = audit_export.export(db.session, current_user, fmt, str(folder / name), _scope_filters(form))
    (folder / (name + ".manifest.json")).write_text(audit_export.manifest(result), encoding="utf-8")
    return render_template("audit/exported.html", result=result, name=name)


@bp.get("/exports/<name>")
def download(name):
    folder = Path(current_app.instance_path) / "exports"
    match = EXPORT_NAME.fullmatch(name)
    path = folder / name
    if match is None or int(match.group(1)) != current_user.id or not path.is_file():
        abort(404, _("That export is not available: only the person who made an export can download it."))
    return send_file(path, as_attachment=True, download_name=name)
