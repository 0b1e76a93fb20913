"""A submission over the size limit: a 413 page in words, nothing read and nothing saved."""
from sqlalchemy import func, select

from models import AuditEvent, Cadre, db


def test_oversized_login_post_is_a_413_in_words(web, org):
    big = "x" * (3 * 1024 * 1024)
    response = web.client.post("/login", data={"username": big, "password": "p"})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Upload too large" in page and "larger than 2 MB and was not read" in page


def test_oversized_post_is_a_413_in_chinese_for_a_chinese_reader(web, org):
    web.speak("zh")
    response = web.client.post("/login", data={"username": "x" * (3 * 1024 * 1024), "password": "p"})
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and '<html lang="zh-CN">' in page
    assert "提交内容过大" in page and "超过 2 MB，未被读取，本次未保存任何内容" in page
    assert "larger than" not in page


def test_oversized_form_of_a_signed_in_officer_saves_nothing(web, org):
    web.login("case_officer")
    before = (db.session.scalar(select(func.count()).select_from(Cadre)),
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    response = web.post("/cadres/new", {"name": "y" * (3 * 1024 * 1024)})
    assert response.status_code == 413 and "nothing was saved" in response.get_data(as_text=True)
    web.speak("zh")  # the same in Chinese: the header (with its sign-out form) still renders
    response = web.post("/cadres/new", {"name": "y" * (3 * 1024 * 1024)})
    assert response.status_code == 413 and "本次未保存任何内容" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.scalar(select(func.count()).select_from(Cadre)),
            db.session.scalar(select(func.count()).select_from(AuditEvent))) == before
