"""Error pages: a 4xx with words a person understands, never a bare 500 page."""
import re

from flask import current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.datastructures import ImmutableMultiDict

from models import db
from workflow.errors import Refused

TITLES = {
    400: "The request could not be understood 请求无法处理",
    403: "Not allowed 无权操作",
    404: "Not found 未找到",
    405: "Not allowed here 不支持的操作",
    409: "Changed meanwhile 已被他人更新",
    413: "Upload too large 文件过大",
    422: "Cannot be done yet 暂不能办理",
    500: "Something went wrong 系统错误",
}

CSRF_MESSAGE = ("The form's security token was missing or has expired. Nothing was saved yet. "
                "表单安全校验失败（令牌缺失或已过期），本次尚未保存。")
RESUBMIT_HINT = ("What you typed is kept below: check it and press “Submit again” to save it. "
                 "您填写的内容已保留，核对后点击“重新提交”即可保存。")
SIGNED_OUT_HINT = ("You are not signed in at the moment: sign in in another tab or window first, then come back here and "
                   "press “Submit again” (if this page appears once more, press it once more). "
                   "您当前未登录：请先在新的标签页登录，再回到此页点击“重新提交”（如再次出现本页，再点击一次即可）。")
PLAIN_CSRF_HINT = ("Go back, reload the page and submit again; if you were signed out, sign in first. "
                   "请返回并刷新页面后重新提交；如已退出登录，请先登录。")
SECRET_DROPPED = "Passwords are never carried over: type them again. 密码不会被保留，请重新输入。"
FILES_DROPPED = "Attached files cannot be carried over: choose them again. 附件无法保留，请重新选择。"

# Never echoed back into a page: passwords and other secrets, and the old CSRF token(s).
SECRET_FIELD = re.compile(r"password|passwd|passphrase|secret|(^|[-_])pin$", re.IGNORECASE)


def page(status, message, reasons=(), **extra):
    from .security import local_referrer

    return render_template("error.html", status=status, title=TITLES.get(status, "Error"), message=message,
                           reasons=reasons, back=local_referrer(), **extra), status


def hidden_value(value: str) -> Markup:
    """An attribute value that gives back exactly ``value``: escaped, and with CR and LF as
    character references (a literal CR LF in an attribute would reach the browser as LF)."""
    return Markup(str(escape(value)).replace("\r", "&#13;").replace("\n", "&#10;"))


def csrf_failure(exc):
    """For a form posted from this site, a page that carries what was typed back, with a fresh token."""
    token_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if request.method != "POST" or not _same_origin():
        return page(400, CSRF_MESSAGE + " " + PLAIN_CSRF_HINT)
    if request.endpoint == "auth.login":
        return _login_again(token_field)
    token_names = [name for name in request.form if name.endswith(token_field)] or _token_names(token_field)
    fields, secrets = [], False
    for name, value in request.form.items(multi=True):
        if name.endswith(token_field):
            continue
        if SECRET_FIELD.search(name):
            secrets = True
            continue
        fields.append((hidden_value(name), hidden_value(value), name, value))
    reasons = [RESUBMIT_HINT] + ([] if current_user.is_authenticated else [SIGNED_OUT_HINT])
    reasons += [SECRET_DROPPED] if secrets else []
    reasons += [FILES_DROPPED] if request.files else []
    action = request.path + (f"?{request.query_string.decode('utf-8', 'replace')}" if request.query_string else "")
    return page(400, CSRF_MESSAGE, reasons, resubmit={"action": action, "token_names": token_names, "fields": fields})


def _token_names(token_field):
    """No token was posted: the plain name, and the prefixed one when every field has one prefix
    (a form built with ``prefix=`` checks its own ``prefix-csrf_token``)."""
    prefixes = {name.split("-", 1)[0] if "-" in name else None for name in request.form}
    prefix = prefixes.pop() if len(prefixes) == 1 else None
    return [token_field] + ([f"{prefix}-{token_field}"] if prefix else [])


def _login_again(token_field):
    """The sign-in form again (username kept, password never), with a fresh token."""
    from forms.auth import LoginForm

    form = LoginForm(formdata=None, username=(request.form.get("username") or "")[:60])
    return render_template("login.html", form=form, notice=CSRF_MESSAGE + " 请重新输入密码登录。 Please type your password again."), 400


def _same_origin():
    """A browser names the page's origin on a POST (Origin, or at least Referer). A form posted from
    another site gets no form back: a fresh token there would turn a forged request into one click."""
    from urllib.parse import urlsplit

    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == request.host_url.rstrip("/")
    if request.referrer:
        parts = urlsplit(request.referrer)
        return parts.netloc == request.host and parts.scheme == request.scheme
    return True


def init(app):
    @app.errorhandler(Refused)
    def refused(exc):
        return page(exc.status, exc.message, exc.reasons)

    app.register_error_handler(CSRFError, csrf_failure)

    for status in (400, 403, 404, 405):
        app.register_error_handler(status, lambda exc, status=status: page(status, getattr(exc, "description", "")))

    @app.errorhandler(413)
    def too_large(exc):
        # The body was refused unread: anything that reads the form on this page (the header's
        # sign-out form) must see an empty one, not trip over the same limit again.
        request.__dict__.update(form=ImmutableMultiDict(), files=ImmutableMultiDict())
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return page(413, f"The submission is larger than {limit // (1024 * 1024)} MB and was not read; nothing was saved. "
                         f"提交内容超过 {limit // (1024 * 1024)} MB，未被读取，本次未保存。")

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        return page(500, "An unexpected error occurred. Nothing was saved. The error has been logged. "
                         "发生意外错误，本次未保存。")
