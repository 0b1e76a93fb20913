"""Administrators name each unit's supervising officer (the target of escalations), audited."""
from sqlalchemy import select

from models import AuditEvent, Unit, db


def test_administrator_sets_a_supervisor_and_it_is_audited(web, org):
    web.login("administrator")
    assert web.get("/admin/units").status_code == 200
    officer = org.users["case_officer"]
    response = web.post("/admin/units", {"unit_id": str(org.unit_a.id), "supervisor_id": str(officer.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, org.unit_a.id).supervisor_id == officer.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "unit.updated")).one()
    assert event.before == {"supervisor_id": None} and event.after == {"supervisor_id": officer.id}


def test_only_a_case_officer_can_supervise(web, org):
    web.login("administrator")
    web.post("/admin/units", {"unit_id": str(org.unit_a.id), "supervisor_id": str(org.users["auditor"].id)})
    db.session.expire_all()
    assert db.session.get(Unit, org.unit_a.id).supervisor_id is None
    assert "The supervising officer must be a case officer." in web.get("/admin/units").get_data(as_text=True)


def test_the_units_page_in_chinese(web, org):
    web.speak("zh").login("administrator")
    page = web.get("/admin/units").get_data(as_text=True)
    assert "<h1>单位与督办人</h1>" in page and "逾期未办理的事项将升级提醒本单位的督办人" in page
    assert "无（沿用上级单位的督办人）" in page and "Supervising officer" not in page
    officer = org.users["case_officer"]
    web.post("/admin/units", {"unit_id": str(org.unit_a.id), "supervisor_id": str(officer.id)})
    assert f"已保存{org.unit_a.name}的督办人。" in web.get("/admin/units").get_data(as_text=True)
    web.post("/admin/units", {"unit_id": str(org.unit_a.id), "supervisor_id": str(org.users["auditor"].id)})
    assert "督办人须为干部工作人员。" in web.get("/admin/units").get_data(as_text=True)


def test_non_administrators_are_refused(web, org):
    web.login("case_officer")
    assert web.get("/admin/units").status_code == 403
    assert web.post("/admin/units", {"unit_id": str(org.unit_a.id), "supervisor_id": ""}).status_code == 403
