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
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user, login_required
from werkzeug.datastructures import ImmutableMultiDict

from forms.auth import EmptyForm
from models import db
from workflow import imports
from workflow.access import may_manage_cadres
from workflow.errors import Refused

bp = Blueprint("imports", __name__)

KINDS = {
    "assessments": ("Annual assessment results", "年度考核结果", imports.check_assessments, imports.import_assessments),
    "cadres": ("Cadres", "干部信息", imports.check_cadres, imports.import_cadres),
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
            abort(413, f"The file is larger than {limit // (1024 * 1024) or 1} MB: split it into smaller files. "
                       f"文件超过{limit // (1024 * 1024) or 1} MB，请拆分后分别导入。")
        request.max_content_length = limit

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow_larger_upload)


def _kind(kind):
    if kind not in KINDS:
        abort(404, "There is no such import. 没有该导入类型。")
    if not may_manage_cadres(current_user):
        abort(403, "Only case officers and administrators import cadres and assessments. "
                   "只有干部工作人员和管理员可以导入干部信息和考核结果。")
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
    gone = "This upload is no longer available (already imported, expired, or not yours). Upload the file again. " \
           "该上传文件已失效（已导入、已过期或不属于您），请重新上传。"
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
        abort(403, "Only case officers and administrators import cadres and assessments. "
                   "只有干部工作人员和管理员可以导入干部信息和考核结果。")
    return _index_page()


def _index_page(kind=None, error=None, status=200):
    return render_template("imports/index.html", kinds=KINDS, form=EmptyForm(), error=error, error_kind=kind,
                           columns={k: imports.template_columns(k) for k in KINDS}, header=imports.template_header,
                           required=imports._required, help=imports.COLUMN_HELP, limit=current_app.config.get("IMPORT_MAX_BYTES", UPLOAD_LIMIT),
                           max_rows=imports.MAX_ROWS), status


@bp.post("/imports/<kind>")
@login_required
def upload(kind):
    en, zh, check, _write = _kind(kind)
    if not EmptyForm().validate_on_submit():
        abort(400, "The form's security token was missing or has expired. 表单安全校验失败。")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index_page(kind, "Choose a file to upload. 请选择要上传的文件。", 400)
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
                           labels={k: f"{v[1]} {v[0]}" for k, v in imports.COLUMNS.items()}), status


@bp.post("/imports/<kind>/<token>")
@login_required
def confirm(kind, token):
    en, zh, check, write = _kind(kind)
    if not EmptyForm().validate_on_submit():
        abort(400, "The form's security token was missing or has expired. 表单安全校验失败。")
    meta, data = _load(kind, token)
    try:
        report = check(db.session, current_user, imports.read_table(data, meta["filename"]))
    except Refused as exc:
        db.session.rollback()
        return _index_page(kind, exc.message, exc.status)
    if request.form.get("digest") != report.digest():
        return _report_page(kind, report, token, meta["filename"], meta["sha256"], status=409, message=(
            "The records changed since this file was checked, so the rows below are checked again. Nothing was written; "
            "look at the report and confirm again. 核对后系统数据有变化，已重新核对，未写入任何数据，请查看后再次确认。"))
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
        abort(404, "Templates are offered as .csv and .xlsx. 模板仅提供 .csv 和 .xlsx 格式。")
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=f"cadreflow-{kind}-template.{fmt}")
