"""Bulk work through the one door: assign an officer, send a reminder, record assessments;
a result per item (done, or refused with its reason), each audited like the single action."""
import re

from sqlalchemy import select

from models import AnnualAssessment, AuditEvent, Case, Reminder, Submission, db
from workflow import accounts, bulk, reminders
from workflow.audit_verify import verify

from .factories import PASSWORD


def results(html):
    """[(item, done, details)] from the result page."""
    body = re.search(r'<table class="list" id="bulk-results">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    out = []
    for done, row in re.findall(r'<tr class="[^"]*" data-done="(yes|no)">(.*?)</tr>', body, re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        out.append((cells[0], done == "yes", cells[2]))
    return out


def fresh(case):
    db.session.expire_all()
    return db.session.get(Case, case.id)


def events(kind):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()


def setup_cases(org, travel):
    officer_a = accounts.create_user(db.session, "officer_a", PASSWORD, "case_officer", ["A"], display_name="officer a")
    db.session.commit()
    open_a = org.open_case()
    moving = org.case_in("inspection")
    closed = org.case_in("withdrawn")
    in_b = org.open_case(post=org.post_b, cadre=org.cadre(unit=org.unit_b, name="王五"))
    return officer_a, open_a, moving, closed, in_b


def test_case_list_offers_checkboxes_with_the_version_seen(web, org, travel):
    _officer_a, open_a, moving, _closed, _in_b = setup_cases(org, travel)
    web.login("case_officer")
    html = web.get("/cases").get_data(as_text=True)
    assert f'name="pick" value="{open_a.id}:{open_a.version}"' in html
    assert f'name="pick" value="{moving.id}:{moving.version}"' in html
    assert 'action="/bulk/cases"' in html and 'name="action"' in html
    web.login("inspector")
    assert 'name="pick"' not in web.get("/cases").get_data(as_text=True)


def test_assign_officer_through_the_pages_with_a_result_per_item(web, org, travel):
    officer_a, open_a, moving, closed, in_b = setup_cases(org, travel)
    web.login("case_officer")
    picks = [f"{open_a.id}:{open_a.version}", f"{moving.id}:{moving.version - 1}", f"{closed.id}:{closed.version}",
             f"{in_b.id}:{in_b.version}"]
    confirm = web.post("/bulk/cases", {"pick": picks, "action": "assign"})
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert all(c.reference in page for c in (open_a, moving, closed, in_b))
    assert f'<option value="{officer_a.id}">' in page
    versions = {c.id: c.version for c in (open_a, moving, closed, in_b)}

    response = web.post("/bulk/assign", {"pick": picks, "officer_id": str(officer_a.id)})
    assert response.status_code == 200
    rows = results(response.get_data(as_text=True))
    assert "<strong>1</strong> done, <strong>3</strong> refused." in response.get_data(as_text=True)
    assert [(item, done) for item, done, _ in rows] == [(open_a.reference, True), (moving.reference, False),
                                                        (closed.reference, False), (in_b.reference, False)]
    assert "officer a" in rows[0][2]
    assert "changed by someone else" in rows[1][2]
    assert "closed" in rows[2][2]
    assert "does not work in" in rows[3][2]

    assert fresh(open_a).officer_id == officer_a.id and fresh(open_a).version == versions[open_a.id] + 1
    for case in (moving, closed, in_b):
        assert fresh(case).officer_id is None and fresh(case).version == versions[case.id]
    assigned = events("case.assigned")
    assert [(e.case_id, e.before["officer_id"], e.after["officer_id"]) for e in assigned] == [(open_a.id, None, officer_a.id)]
    assert assigned[0].actor_id == org.users["case_officer"].id and assigned[0].unit_id == open_a.unit_id
    assert verify(db.session).intact
    page = web.get(f"/cases/{open_a.id}").get_data(as_text=True)
    assert '<dd id="case-officer">officer a</dd>' in page and "Officer assigned — " in page  # the audit list names the event kind
    # Assigning the same officer again is refused.
    again = web.post("/bulk/assign", {"pick": [str(open_a.id)], "officer_id": str(officer_a.id)})
    assert results(again.get_data(as_text=True))[0][1] is False
    assert "already assigned" in results(again.get_data(as_text=True))[0][2]


def test_other_units_cases_are_refused_as_not_found(web, org, travel):
    officer_a, open_a, _moving, _closed, in_b = setup_cases(org, travel)
    web.login("officer_b")
    response = web.post("/bulk/assign", {"pick": [str(open_a.id), str(in_b.id)], "officer_id": str(org.officer_b.id)})
    rows = results(response.get_data(as_text=True))
    assert rows[0][1] is False and "no such case in your units" in rows[0][2]
    assert rows[0][0] == f"#{open_a.id}"  # nothing about the other unit's case is shown
    assert rows[1][:2] == (in_b.reference, True)
    assert fresh(open_a).officer_id is None and fresh(in_b).officer_id == org.officer_b.id


def test_reminders_follow_the_assigned_officer(web, org, travel):
    officer_a, open_a, *_ = setup_cases(org, travel)
    bulk.assign_officer(db.session, org.users["case_officer"], bulk.CaseItem(open_a.id), officer_a.id)
    travel.days(200)  # the nomination is far past its step limit
    reminders.run_once(db.session)
    mine = db.session.scalars(select(Reminder).where(Reminder.case_id == open_a.id, Reminder.kind == "stale_step")).all()
    assert {r.recipient_id for r in mine if not r.escalation} == {officer_a.id}


def test_send_reminder_to_each_cases_officer_once_a_day(web, org, travel):
    officer_a, open_a, moving, closed, _in_b = setup_cases(org, travel)
    bulk.assign_officer(db.session, org.users["case_officer"], bulk.CaseItem(open_a.id), officer_a.id)
    web.login("case_officer")
    confirm = web.post("/bulk/cases", {"pick": [str(open_a.id), str(moving.id)], "action": "remind"})
    assert 'name="message"' in confirm.get_data(as_text=True)
    data = {"pick": [str(open_a.id), str(moving.id), str(closed.id)], "message": "请尽快推进考察工作。"}
    rows = results(web.post("/bulk/remind", data).get_data(as_text=True))
    assert [(item, done) for item, done, _ in rows] == [(open_a.reference, True), (moving.reference, True), (closed.reference, False)]
    sent = db.session.scalars(select(Reminder).where(Reminder.kind == "manual").order_by(Reminder.id)).all()
    assert [(r.case_id, r.recipient_id) for r in sent] == [(open_a.id, officer_a.id), (moving.id, org.users["case_officer"].id)]
    assert all(r.message.startswith("Reminder from ") and r.message.endswith(": 请尽快推进考察工作。") for r in sent)
    assert [e.case_id for e in events("reminder.sent")] == [open_a.id, moving.id]
    # The officer finds it in the notification centre.
    web.login("officer_a")
    assert "请尽快推进考察工作。" in web.get("/notifications").get_data(as_text=True)
    # Once a day per case and person.
    web.login("case_officer")
    again = results(web.post("/bulk/remind", data).get_data(as_text=True))
    assert [done for _, done, _ in again] == [False, False, False]
    assert "already reminded" in again[0][2]
    travel.days(1)
    assert [done for _, done, _ in results(web.post("/bulk/remind", data).get_data(as_text=True))] == [True, True, False]
    # An empty message is refused for every item.
    empty = results(web.post("/bulk/remind", {"pick": [str(open_a.id)], "message": " "}).get_data(as_text=True))
    assert empty[0][1] is False and "Write what the reminder is about" in empty[0][2]


def test_bulk_assessments_each_row_through_the_recording_function(web, org, travel):
    year = travel.today.year - 1
    anna = org.cadre(name="安娜")  # has competent results for the last three years
    ben = org.cadre(name="本杰")
    db.session.execute(AnnualAssessment.__table__.delete().where(AnnualAssessment.cadre_id.in_((anna.id, ben.id)),
                                                                AnnualAssessment.year == year))
    db.session.commit()
    org.cadre(unit=org.unit_b, name="乙局干部")
    web.login("officer_b")
    page = web.get("/bulk/assessments").get_data(as_text=True)
    assert "乙局干部" in page and "安娜" not in page  # only the cadres of one's units are offered
    web.login("case_officer")
    page = web.get("/bulk/assessments").get_data(as_text=True)
    assert "安娜" in page and 'name="rows-0-cadre"' in page
    form = {
        "rows-0-cadre": str(anna.id), "rows-0-year": str(year), "rows-0-result": "incompetent",
        "rows-1-cadre": str(anna.id), "rows-1-year": str(year), "rows-1-result": "competent",
        "rows-2-cadre": str(ben.id), "rows-2-year": "1970", "rows-2-result": "competent",
        "rows-3-cadre": str(ben.id), "rows-3-year": str(year), "rows-3-result": "superb",
        "rows-4-cadre": str(ben.id), "rows-4-year": str(year), "rows-4-result": "excellent",
        "rows-5-cadre": "", "rows-5-year": str(year), "rows-5-result": "",  # blank row: skipped
    }
    rows = results(web.post("/bulk/assessments", form).get_data(as_text=True))
    assert [done for _, done, _ in rows] == [True, False, False, False, True]
    assert "adjustment proposed" in rows[0][2]
    assert "already recorded" in rows[1][2]
    assert "out of range" in rows[2][2]
    assert "Choose a result" in rows[3][2]
    stored = db.session.execute(select(AnnualAssessment.cadre_id, AnnualAssessment.result).where(AnnualAssessment.year == year)
                                .where(AnnualAssessment.cadre_id.in_((anna.id, ben.id))).order_by(AnnualAssessment.cadre_id)).all()
    assert [tuple(r) for r in stored] == [(anna.id, "incompetent"), (ben.id, "excellent")]
    assert [e.cadre_id for e in events("cadre.assessment")] == [anna.id, ben.id]
    proposals = db.session.scalars(select(Submission).where(Submission.kind == "assessment_trigger")).all()
    assert [p.cadre_id for p in proposals] == [anna.id]
    # Another unit's cadre, posted by hand, is refused as not found.
    web.login("officer_b")
    rows = results(web.post("/bulk/assessments", {"rows-0-cadre": str(anna.id), "rows-0-year": str(year),
                                                  "rows-0-result": "competent"}).get_data(as_text=True))
    assert rows[0][1] is False and "no such cadre in your units" in rows[0][2]
    assert verify(db.session).intact


def test_bulk_needs_the_role_and_the_token(web, org, travel):
    _officer_a, open_a, *_ = setup_cases(org, travel)
    web.login("inspector")
    assert web.post("/bulk/assign", {"pick": [str(open_a.id)], "officer_id": "1"}).status_code == 403
    assert web.get("/bulk/assessments").status_code == 403
    assert web.post("/bulk/cases", {"pick": [str(open_a.id)], "action": "assign"}).status_code == 403
    web.login("case_officer")
    response = web.client.post("/bulk/assign", data={"pick": [str(open_a.id)], "officer_id": str(org.users["case_officer"].id)})
    assert response.status_code == 400
    assert fresh(open_a).officer_id is None and events("case.assigned") == []
    # Nothing chosen: back to the list with a message.
    response = web.post("/bulk/cases", {"action": "assign"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cases")


def test_a_concurrent_change_refuses_only_that_item(web, org, travel):
    officer_a, open_a, moving, *_ = setup_cases(org, travel)
    items = bulk.parse_case_items([f"{open_a.id}:{open_a.version}", f"{moving.id}:{moving.version}"])
    # Someone else changes the second case after the list was shown.
    bulk.send_reminder(db.session, org.users["case_officer"], bulk.CaseItem(moving.id), "x")
    bulk.assign_officer(db.session, org.users["case_officer"], bulk.CaseItem(moving.id), org.users["case_officer"].id)
    out = bulk.run(db.session, items, lambda item: bulk.assign_officer(db.session, org.users["case_officer"], item, officer_a.id))
    assert [(r.key, r.done) for r in out] == [(open_a.reference, True), (moving.reference, False)]
    assert fresh(moving).officer_id == org.users["case_officer"].id


def test_bulk_pages_and_results_in_chinese(web, org, travel):
    officer_a, open_a, moving, closed, _in_b = setup_cases(org, travel)
    web.login("case_officer")
    web.speak("zh")
    confirm = web.post("/bulk/cases", {"pick": [str(open_a.id), str(moving.id)], "action": "remind"}).get_data(as_text=True)
    assert "批量办理：发送提醒" in confirm and "已选择2个案件。" in confirm and "提醒内容" in confirm
    rows = results(web.post("/bulk/remind", {"pick": [str(open_a.id), str(closed.id)], "message": "请尽快推进。"})
                   .get_data(as_text=True))
    assert rows[0][1] is True and rows[0][2] == f"已提醒：{org.users['case_officer'].display_name}"
    assert rows[1][1] is False and rows[1][2].startswith(f"案件{closed.reference}已办结（")
    # The notification is written in the sender's language.
    sent = db.session.scalars(select(Reminder).where(Reminder.kind == "manual")).one()
    assert sent.message == f"{org.users['case_officer'].display_name}的提醒——{open_a.reference}：请尽快推进。"
    empty = web.post("/bulk/remind", {"pick": [str(open_a.id)], "message": " "}).get_data(as_text=True)
    assert "批量办理结果：发送提醒" in empty and "完成<strong>0</strong>项，未办理<strong>1</strong>项。" in empty
    assert results(empty)[0][2] == "请填写提醒内容。"
    assign = results(web.post("/bulk/assign", {"pick": [str(open_a.id)], "officer_id": str(officer_a.id)}).get_data(as_text=True))
    assert assign[0][2] == "承办人：officer a"
    # Recording assessments in a table.
    year = travel.today.year - 1
    page = web.get("/bulk/assessments").get_data(as_text=True)
    assert "批量录入年度考核" in page and 'aria-label="第1行：干部"' in page and ">不称职<" in page
    cadre = org.cadre(name="丙一")
    db.session.execute(AnnualAssessment.__table__.delete().where(AnnualAssessment.cadre_id == cadre.id,
                                                                AnnualAssessment.year == year))
    db.session.commit()
    rows = results(web.post("/bulk/assessments", {
        "rows-0-cadre": str(cadre.id), "rows-0-year": str(year), "rows-0-result": "excellent",
        "rows-1-cadre": str(cadre.id), "rows-1-year": str(year), "rows-1-result": "superb"}).get_data(as_text=True))
    assert rows[0] == ("第1行 · 丙一", True, f"{year}年度：优秀")
    assert rows[1] == ("第2行 · 丙一", False, "请选择考核结果（优秀、称职、基本称职、不称职）。")
    flash = web.post("/bulk/assessments", {"rows-0-year": str(year)}, follow_redirects=True)
    assert "请至少填写一行。" in flash.get_data(as_text=True)
