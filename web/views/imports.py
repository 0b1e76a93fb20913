"""Importing cadres and annual assessment results: upload → row-by-row report → confirm → result.

Between the report and the confirmation the upload is kept on the server (instance/imports/,
under a random token, with the user, the kind, the file name and its SHA-256), never in the
form: the confirmation names the token, and the server checks that the file is the signed-in
user's, reads it again and checks it again against the database as it is then. When the rows that
are valid are no longer the ones shown, the new report is shown instead of writing.
"""
import hashlib
import io
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict

from forms.auth import EmptyForm
from models import db
from workflow import imports
from workflow.access import may_manage_cadres
from workflow.errors import Refused
from workflow.i18n import _, _l

bp = Blueprint("imports", __name__)


@dataclass(frozen=True)
class Kind:
    title: object  # what is imported: "Annual assessment results"
    heading: object  # the upload card's heading
    check_heading: object  # the report's heading
    done_heading: object  # the result's heading
    check: Callable
    write: Callable


KINDS = {
    "assessments": Kind(_l("Annual assessment results"), _l("Import annual assessment results"),
                        _l("Import annual assessment results: row-by-row check"), _l("Import done: annual assessment results"),
                        imports.check_assessments, imports.import_assessments),
    "cadres": Kind(_l("Cadres"), _l("Import cadres"), _l("Import cadres: row-by-row check"), _l("Import done: cadres"),
                   imports.check_cadres, imports.import_cadres),
}
UPLOAD_LIMIT = 16 * 1024 * 1024  # bytes; the app's MAX_CONTENT_LENGTH stays as it is for every other form
KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
REPORT_ROWS = 1000  # rows with problems shown in full; valid rows are shown up to this many too


@bp.record_once
def _upload_limit_first(state):
    """The upload's own size limit, set before any other hook reads the form (CSRF reads it)."""
    def allow_larger_upload():
        if request.endpoint != "imports.upload":
            return
        limit = current_app.config.get("IMPORT_MAX_BYTES", UPLOAD_LIMIT)
        if request.content_length is not None and request.content_length > limit:
            # Refuse before reading the body; the error page then finds an empty form instead of
            # trying (and failing) to read the oversized body again.
            request.__dict__["form"] = request.__dict__["files"] = ImmutableMultiDict()
            abort(413, _("The file is larger than %(size)s MB: split it into smaller files.", size=limit // (1024 * 1024) or 1))
        request.max_content_length = limit

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_larger_upload)


def _kind(kind):
    if kind not in KINDS:
        abort(404, _("There is no such import."))
    if not may_manage_cadres(current_user):
        abort(403, _("Only case officers and administrators import cadres and assessments."))
    return KINDS[kind]


def _store_dir():
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(kind, filename, data):
    folder = _store_dir()
    now = time.time()
    for old in folder.glob("*.json"):  # forget uploads nobody confirmed within a day
        try:
            if now - old.stat().st_mtime > KEEP_SECONDS:
                old.with_suffix(".upload").unlink(missing_ok=True)
                old.unlink(missing_ok=True)
        except OSError:
            pass
    token = secrets.token_urlsafe(24)
    sha256 = hashlib.sha256(data).hexdigest()
    (folder / f"{token}.upload").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user_id": current_user.id, "kind": kind, "filename": filename,
                                                      "sha256": sha256, "stored_at": now}))
    return token, sha256


def _load(kind, token):
    """The stored upload if it is this user's, of this kind, intact and not expired; else 404."""
    gone = _("This upload is no longer available (already imported, expired, or not yours). Upload the file again.")
    if not TOKEN.match(token or ""):
        abort(404, gone)
    folder = _store_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        abort(404, gone)
    if (meta.get("user_id") != current_user.id or meta.get("kind") != kind or hashlib.sha256(data).hexdigest() != meta.get("sha256")
            or time.time() - meta.get("stored_at", 0) > KEEP_SECONDS):
        abort(404, gone)
    return meta, data


def _forget(token):
    folder = _store_dir()
    (folder / f"{token}.upload").unlink(missing_ok=True)
    (folder / f"{token}.json").unlink(missing_ok=True)


@bp.get("/imports")
@login_required
def index():
    if not may_manage_cadres(current_user):
        abort(403, _("Only case officers and administrators import cadres and assessments."))
    return _index_page()


def _index_page(kind=None, error=None, status=200):
    return render_template("imports/index.html", kinds=KINDS, form=EmptyForm(), error=error, error_kind=kind,
                           columns={k: imports.template_columns(k) for k in KINDS}, header=imports.template_header,
                           required=imports._required, help=imports.COLUMN_HELP, limit=current_app.config.get("IMPORT_MAX_BYTES", UPLOAD_LIMIT),
                           max_rows=imports.MAX_ROWS), status


@bp.post("/imports/<kind>")
@login_required
def upload(kind):
    check = _kind(kind).check
    if not EmptyForm().validate_on_submit():
        abort(400, _("The form's security token was missing or has expired."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index_page(kind, _("Choose a file to upload."), 400)
    data = upload.read()
    try:
        rows = imports.read_table(data, upload.filename)
        report = check(db.session, current_user, rows)
    except Refused as exc:
        db.session.rollback()
        return _index_page(kind, exc.message, exc.status)
    token, sha256 = _store(kind, upload.filename, data)
    return _report_page(kind, report, token, upload.filename, sha256)


def _report_page(kind, report, token, filename, sha256, message=None, status=200):
    return render_template("imports/report.html", kind=kind, title=KINDS[kind], report=report, token=token, filename=filename,
                           sha256=sha256, form=EmptyForm(), message=message, shown=REPORT_ROWS,
                           labels={k: imports.column_label(k) for k in imports.COLUMNS}), status


@bp.post("/imports/<kind>/<token>")
@login_required
def confirm(kind, token):
    entry = _kind(kind)
    check, write = entry.check, entry.write
    if not EmptyForm().validate_on_submit():
        abort(400, _("The form's security token was missing or has expired."))
    meta, data = _load(kind, token)
    try:
        report = check(db.session, current_user, imports.read_table(data, meta["filename"]))
    except Refused as exc:
        db.session.rollback()
        return _index_page(kind, exc.message, exc.status)
    if request.form.get("digest") != report.digest():
        return _report_page(kind, report, token, meta["filename"], meta["sha256"], status=409, message=_(
            "The records changed since this file was checked, so the rows below are checked again. Nothing was written; "
            "look at the report and confirm again."))
    only_valid = request.form.get("only_valid") == "1"
    try:
        result = write(db.session, current_user, report, only_valid=only_valid, filename=meta["filename"], sha256=meta["sha256"])
    except Refused as exc:
        db.session.rollback()
        return _report_page(kind, report, token, meta["filename"], meta["sha256"], message=exc.message, status=exc.status)
    _forget(token)
    return render_template("imports/result.html", kind=kind, title=KINDS[kind], result=result, filename=meta["filename"],
                           sha256=meta["sha256"])


@bp.get("/imports/<kind>/template.<fmt>")
@login_required
def template(kind, fmt):
    _kind(kind)
    if fmt == "csv":
        body, mimetype = imports.template_csv(kind), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = imports.template_xlsx(kind), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404, _("Templates are offered as .csv and .xlsx."))
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=f"cadreflow-{kind}-template.{fmt}")
