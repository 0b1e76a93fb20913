"""The dashboard: the user's units at a glance. Read-only, for every signed-in role."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from models import db
from workflow import clock
from workflow import dashboard as stats
from workflow.access import unit_scope

from .. import charts

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def index():
    today = clock.today_local()
    board = stats.build(db.session, unit_scope(db.session, current_user), today)
    month_start, month_end = stats.month_bounds(today)
    return render_template("dashboard/index.html", board=board, charts=charts, tracks=stats.TRACKS, yearly=stats.YEARLY,
                           month_start=month_start, month_end=month_end)
