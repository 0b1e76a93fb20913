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
from models import AuditEvent, Case, Unit, User, db
from workflow import audit_export, clock
from workflow.audit_verify import verify
from workflow.i18n import _, _l

from ..helpers import ListSort, page_arg
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


# The columns the trail sorts by, and the way a first click sorts each. Among equals the newest event
# comes first (the id breaks every tie), so the order is total and the same on every backend.
SORTS = {"time": "desc", "actor": "asc", "kind": "asc", "case": "asc"}


def _page_of_events(query, sort, page, size):
    """(rows, total) of one page of the trail, read through indexes whatever the sort, at millions of events.

    Time is the chain's own order (events are appended as they happen): the primary key. By case:
    the events with a case through the case_id index, then those without one by id. By kind or actor
    the events fall into few groups (a kind, a user, or no user): one grouped count (which gives the
    total, in the pass the page's count makes anyway) says which groups the page spans and where,
    and each is read newest first by its own index; the groups are ordered here, the actors by name."""
    query = query.order_by(None)
    offset, newest = (page - 1) * size, AuditEvent.id.desc()
    if sort.key == "time":
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        order = newest if sort.descending else AuditEvent.id.asc()
        return db.session.execute(query.order_by(order).offset(offset).limit(size)).all(), total
    if sort.key == "case":
        events = query.subquery()
        total, with_case = db.session.execute(select(func.count(), func.count(events.c.case_id))).one()
        by_case = AuditEvent.case_id.desc() if sort.descending else AuditEvent.case_id.asc()
        spans = [(query.where(AuditEvent.case_id.is_not(None)).order_by(by_case, newest), with_case),
                 (query.where(AuditEvent.case_id.is_(None)).order_by(newest), total - with_case)]
    else:
        column = AuditEvent.kind if sort.key == "kind" else AuditEvent.actor_id
        events = query.subquery()
        counts = db.session.execute(select(events.c[column.key], func.count()).group_by(events.c[column.key])).all()
        if sort.key == "kind":
            names = {value: value for value, _count in counts}
        else:
            ids = [value for value, _count in counts if value is not None]
            names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
        known = sorted((c for c in counts if c[0] is not None), key=lambda c: (names.get(c[0]) or "", c[0]), reverse=sort.descending)
        groups = known + [c for c in counts if c[0] is None]  # events without an actor last, either way
        total = sum(count for _value, count in groups)
        spans = [(query.where(column == value if value is not None else column.is_(None)).order_by(newest), count)
                 for value, count in groups]
    rows = []
    for span, count in spans:
        if offset >= count:
            offset -= count
            continue
        rows += db.session.execute(span.offset(offset).limit(size - len(rows))).all()
        offset = 0
        if len(rows) >= size:
            break
    return rows, total


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
    page = page_arg(1_000_000)
    sort = ListSort(SORTS, "time")
    rows, total = _page_of_events(audit_export.query(filters), sort, page, size)
    case_ids = {e.case_id for e, _username in rows if e.case_id}
    references = dict(db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids))).all()) if case_ids else {}
    export_form = ExportForm(request.args)
    return render_template("audit/events.html", form=form, rows=rows, page=page, pages=max(1, -(-total // size)),
                           total=total, export_form=export_form, sort=sort,
                           references=references), 422 if form.errors else 200


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
