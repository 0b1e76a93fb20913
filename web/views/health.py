from flask import Blueprint, jsonify
from sqlalchemy import text

from models import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return jsonify(status="ok", database=db.engine.dialect.name, schema_revision=revision)
