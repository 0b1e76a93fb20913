"""Error pages: a 4xx with words a person understands, never a bare 500 page."""
from flask import render_template
from flask_wtf.csrf import CSRFError

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


def page(status, message, reasons=()):
    return render_template("error.html", status=status, title=TITLES.get(status, "Error"), message=message,
                           reasons=reasons), status


def init(app):
    @app.errorhandler(Refused)
    def refused(exc):
        return page(exc.status, exc.message, exc.reasons)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return page(400, "The form's security token was missing or has expired. Nothing was saved. Go back, "
                         "reload the page and submit again; if you were signed out, sign in first. "
                         "表单安全校验失败，本次未保存，请刷新页面后重新提交。")

    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, lambda exc, status=status: page(status, getattr(exc, "description", "")))

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        return page(500, "An unexpected error occurred. Nothing was saved. The error has been logged. "
                         "发生意外错误，本次未保存。")
