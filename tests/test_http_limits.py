"""A submission over the size limit: a 413 page in words, nothing read and nothing saved."""
from sqlalchemy import func, select

from models import AuditEvent, Cadre, db


def test_oversized_login_post_is_a_413_in_words(web, org):
    big = "x" * (3 * 1024 * 1024)
    response = web.client.post("/login", data={"username": big, "password": "p"})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than 2 MB" in page and "未被读取" in page


def test_oversized_form_of_a_signed_in_officer_saves_nothing(web, org):
    web.login("case_officer")
    before = (db.session.scalar(select(func.count()).select_from(Cadre)),
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    response = web.post("/cadres/new", {"name": "y" * (3 * 1024 * 1024)})
    assert response.status_code == 413 and "nothing was saved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.scalar(select(func.count()).select_from(Cadre)),
            db.session.scalar(select(func.count()).select_from(AuditEvent))) == before
