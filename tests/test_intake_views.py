"""Intake through the pages: the public clue and self-recommendation forms (no login), the receipt
code and the status page, the rate limit per address, the officers' inbox (scope, roles, accept,
dismiss, feedback), opening an adjustment case by hand and the 'reusable' case page.

Forms are posted as a browser would, with the session's CSRF token (``web.post``); the clock is
the frozen ``travel`` clock (2026-03-02 10:00 local), moved instead of sleeping.
"""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Cadre, Case, StepRecord, Submission, db
from workflow.intake import RECEIPT_ALPHABET

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
RATE_LIMITED = "Too many submissions from this address in the last hour; please try again later."
RATE_LIMITED_ZH = "过去一小时内从该网络地址提交的次数过多，请稍后再试。"


# --- helpers ---------------------------------------------------------------------------------------

def text(response):
    return response.get_data(as_text=True)


def plain(html):
    return re.sub(r"\s+", " ", html)


def rows(model, *where):
    db.session.expire_all()
    return db.session.scalars(select(model).where(*where).order_by(model.id)).all()


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot():
    return count(Submission), count(Case), count(StepRecord), count(AuditEvent)


def clue(org, unit=None, **overrides):
    return {"unit_id": str((unit or org.unit_a).id), "cadre_name": "李四", "category": "passing_the_buck",
            "content": "办事推诿扯皮，多次找不到人。", "reporter_name": "", "reporter_contact": "", **overrides}


def report(web, org, address="198.51.100.7", **overrides):
    """Post the clue and follow the redirect to the receipt page, as a browser does."""
    return web.post("/report", clue(org, **overrides), environ_base={"REMOTE_ADDR": address}, follow_redirects=True)


def test_the_receipt_is_shown_after_a_redirect_so_reloading_does_not_submit_again(web, org):
    response = web.post("/report", clue(org), environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert response.status_code == 303 and "/report/received?code=" in response.headers["Location"]
    assert count(Submission) == 1
    assert web.get(response.headers["Location"]).status_code == 200
    assert count(Submission) == 1


def receipt_of(response):
    match = re.search(r'<p class="receipt"><strong>([A-Z0-9]+)</strong></p>', text(response))
    assert match, text(response)
    return match.group(1)


def submission_with(code):
    return rows(Submission, Submission.receipt_code == code)[0]


def status_page(web, code):
    response = web.get(f"/report/status?code={code}")
    assert response.status_code == 200
    return plain(text(response))


def handle(web, submission, action, **fields):
    prefix = {"accept": "s", "dismiss": "d", "feedback": "f"}[action]
    data = {f"{prefix}{submission.id}-{name}": value for name, value in fields.items()}
    return web.post(f"/intake/{submission.id}/{action}", data)


def logged_out(web):
    web.client.post("/logout", data={"csrf_token": web.token()})


# --- the public forms --------------------------------------------------------------------------------

def test_the_public_clue_form_needs_no_login(web, org):
    response = web.get("/report")
    assert response.status_code == 200
    html = text(response)
    assert "Report a cadre's conduct" in html
    assert 'name="csrf_token"' in html and 'name="content"' in html and 'name="reporter_name"' in html
    assert "Bureau A 甲局" in html and "Bureau B 乙局" in html
    assert "Sign out" not in html  # nobody is signed in


def test_the_public_clue_form_in_chinese(web, org):
    html = text(web.speak("zh").get("/report"))
    assert "反映干部问题" in html and "您可以匿名反映" in html
    assert "被反映干部姓名" in html and "问题类别" in html and "推诿扯皮" in html and ">提交</button>" in html
    assert "Report a cadre's conduct" not in html and "Passing the buck" not in html
    html = text(web.get("/apply"))
    assert "书面自我推荐" in html and "自荐理由及工作实绩" in html and "Written self-recommendation" not in html


def test_an_anonymous_clue_is_received_with_a_receipt_code(web, org):
    cadre = org.cadre(name="李四")
    before = snapshot()
    response = report(web, org)
    assert response.status_code == 200
    code = receipt_of(response)
    assert len(code) == 10 and set(code) <= set(RECEIPT_ALPHABET)
    assert f"/report/status?code={code}" in text(response)
    submission = submission_with(code)
    assert (submission.kind, submission.status, submission.unit_id, submission.cadre_id) == ("clue", "new", org.unit_a.id, cadre.id)
    assert (submission.reporter_name, submission.reporter_contact, submission.named) == ("", "", False)
    assert submission.category == "passing_the_buck" and submission.content == "办事推诿扯皮，多次找不到人。"
    assert "198.51.100.7" not in submission.address_hash and len(submission.address_hash) == 64
    assert snapshot() == (before[0] + 1, before[1], before[2], before[3] + 1)
    event = rows(AuditEvent)[-1]
    assert (event.kind, event.actor_id) == ("intake.clue", None)


def test_a_clue_about_an_unknown_name_is_still_received(web, org):
    code = receipt_of(report(web, org, cadre_name="查无此人"))
    assert submission_with(code).cadre_id is None


def test_a_clue_with_missing_fields_is_422_and_writes_nothing(web, org):
    before = snapshot()
    response = report(web, org, content="", category="")
    assert response.status_code == 422
    assert "This field is required." in text(response) and "此项必填" not in text(response)
    assert snapshot() == before
    response = report(web.speak("zh"), org, content="", category="")
    assert response.status_code == 422
    assert "此项必填。" in text(response) and "This field is required." not in text(response)
    assert snapshot() == before


def test_the_public_post_needs_the_csrf_token(web, org):
    before = snapshot()
    response = web.client.post("/report", data=clue(org))
    assert response.status_code == 400
    assert "security token was missing" in text(response)
    response = web.client.post("/report", data={**clue(org), "csrf_token": "forged"})
    assert response.status_code == 400
    assert snapshot() == before


# --- status page -------------------------------------------------------------------------------------

def test_the_status_page_shows_progress_by_receipt_code(web, org):
    cadre = org.cadre(name="李四")
    code = receipt_of(report(web, org))
    assert "Received, waiting to be handled" in status_page(web, code)
    assert "Received, waiting to be handled" in status_page(web, code.lower())  # typed in lower case

    web.login("case_officer")
    handle(web, submission_with(code), "accept", cadre_id=str(cadre.id))
    logged_out(web)
    page = status_page(web, code)
    assert "Being handled" in page and "Received, waiting" not in page
    assert "办事推诿扯皮" not in page and cadre.name not in page  # progress only, nothing of the content


def test_the_status_page_of_an_unknown_code_says_so(web, org):
    assert "No submission has that receipt code." in status_page(web, "ABCDEFGHJK")
    assert "No submission has that receipt code." in status_page(web, "X" * 40)
    assert "No submission has that receipt code." not in status_page(web, "")
    assert "没有找到该回执编号对应的事项。" in status_page(web.speak("zh"), "ABCDEFGHJK")
    response = web.get("/report/received?code=ABCDEFGHJK")
    assert response.status_code == 404 and "没有找到该回执编号对应的事项。" in text(response)


def test_the_receipt_and_the_status_page_in_chinese(web, org):
    web.speak("zh")
    response = report(web, org)
    code = receipt_of(response)
    page = plain(text(response))
    assert "已收到您的提交" in page and "您的回执编号：" in page
    assert f'凭此编号可以<a href="/report/status?code={code}">查询办理进度</a>。' in page
    page = status_page(web, code)
    assert "办理状态" in page and "已收到，等待办理" in page and "Received, waiting" not in page
    assert "2026年3月2日" in page  # the time received, in the reader's locale


def test_a_named_reporter_sees_the_feedback_on_the_status_page(web, org):
    org.cadre(name="李四")
    code = receipt_of(report(web, org, reporter_name="张某", reporter_contact="13800000000"))
    web.login("case_officer")
    response = handle(web, submission_with(code), "feedback", feedback="已转交核查，感谢您的监督。")
    assert response.status_code == 302
    logged_out(web)
    assert "已转交核查，感谢您的监督。" in status_page(web, code)


# --- rate limit per address -----------------------------------------------------------------------------

def test_the_sixth_submission_from_one_address_in_an_hour_is_refused(web, org, travel):
    for _ in range(5):
        assert report(web, org, address="203.0.113.5").status_code == 200
    before = snapshot()
    response = report(web, org, address="203.0.113.5")
    assert response.status_code == 429
    assert RATE_LIMITED in text(response)
    assert "办事推诿扯皮，多次找不到人。" in text(response)  # what was typed is kept
    assert snapshot() == before
    response = report(web.speak("zh"), org, address="203.0.113.5")
    assert response.status_code == 429 and RATE_LIMITED_ZH in text(response)
    assert snapshot() == before
    web.speak("en")

    assert report(web, org, address="203.0.113.6").status_code == 200  # another address is not limited

    travel.clock.advance(minutes=59)
    assert report(web, org, address="203.0.113.5").status_code == 429
    travel.clock.advance(minutes=2)  # an hour and a minute after the five
    assert report(web, org, address="203.0.113.5").status_code == 200


def test_self_recommendations_count_towards_the_same_limit(web, org):
    for _ in range(5):
        assert report(web, org, address="203.0.113.8").status_code == 200
    response = web.post("/apply", {"unit_id": str(org.unit_a.id), "cadre_name": "张三", "content": "实绩材料。",
                                   "reporter_contact": "13800000000"}, environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert response.status_code == 429
    assert RATE_LIMITED in text(response)


# --- the inbox ----------------------------------------------------------------------------------------------

def _submissions(web, org):
    org.cadre(name="李四")
    org.cadre(name="王乙", unit=org.unit_b)
    a = submission_with(receipt_of(report(web, org, content="甲局线索 A-clue")))
    b = submission_with(receipt_of(report(web, org, unit=org.unit_b, cadre_name="王乙", content="乙局线索 B-clue")))
    return a, b


def test_the_inbox_lists_only_the_users_units(web, org):
    a, b = _submissions(web, org)
    web.login("officer_b")
    html = text(web.get("/intake"))
    assert "乙局线索 B-clue" in html and b.receipt_code in html
    assert "甲局线索 A-clue" not in html and a.receipt_code not in html
    logged_out(web)
    web.login("case_officer")  # works in the root unit: sees both
    html = text(web.get("/intake"))
    assert "甲局线索 A-clue" in html and "乙局线索 B-clue" in html


@pytest.mark.parametrize("role", ["auditor", "inspector", "committee_secretary", "administrator"])
def test_the_inbox_is_for_officers_and_liaisons_only(web, org, role):
    _submissions(web, org)
    web.login(role)
    response = web.get("/intake")
    assert response.status_code == 403
    assert "甲局线索" not in text(response)


def test_the_liaison_has_the_inbox(web, org):
    _submissions(web, org)
    web.login("discipline_liaison")
    assert "甲局线索 A-clue" in text(web.get("/intake"))


def test_accepting_another_units_submission_is_404(web, org):
    a, _ = _submissions(web, org)
    cadre_a = rows(Cadre, Cadre.name == "李四")[0]
    web.login("officer_b")
    before = snapshot()
    response = handle(web, a, "accept", cadre_id=str(cadre_a.id))
    assert snapshot() == before
    assert response.status_code == 404


def test_another_units_submission_cannot_be_accepted_dismissed_or_answered(web, org):
    a, _ = _submissions(web, org)
    web.login("officer_b")
    before = snapshot()
    for action, fields in (("accept", {"cadre_id": str(a.cadre_id)}), ("dismiss", {"reason": "不是我的。"}),
                           ("feedback", {"feedback": "x"})):
        response = handle(web, a, action, **fields)
        assert response.status_code == 404, action
        assert "There is no such submission in your units." in text(response)
        assert snapshot() == before, action
    assert rows(Submission, Submission.id == a.id)[0].status == "new"


@pytest.mark.parametrize("role", ["auditor", "inspector"])
def test_roles_without_the_inbox_cannot_dismiss_or_answer(web, org, role):
    org.cadre(name="李四")
    submission = submission_with(receipt_of(report(web, org, reporter_name="张某")))
    web.login(role)
    before = snapshot()
    dismissed = handle(web, submission, "dismiss", reason="审计员不予受理。")
    answered = handle(web, submission, "feedback", feedback="审计员的反馈。")
    assert snapshot() == before
    assert rows(Submission, Submission.id == submission.id)[0].status == "new"
    assert (dismissed.status_code, answered.status_code) == (403, 403)


def test_a_role_without_the_inbox_cannot_accept(web, org):
    cadre = org.cadre(name="李四")
    submission = submission_with(receipt_of(report(web, org)))
    web.login("auditor")
    before = snapshot()
    response = handle(web, submission, "accept", cadre_id=str(cadre.id))
    assert response.status_code in (303, 403)
    assert snapshot() == before


def test_clue_content_is_escaped_on_the_inbox(web, org):
    org.cadre(name="李四")
    report(web, org, content=f"内容 {SCRIPT}", reporter_name=SCRIPT, cadre_name=f"李四{SCRIPT}")
    web.login("case_officer")
    html = text(web.get("/intake"))
    assert SCRIPT not in html
    assert html.count(SCRIPT_ESCAPED) >= 3


def test_accepting_a_clue_opens_an_adjustment_case_and_goes_to_it(web, org):
    cadre = org.cadre(name="李四")
    submission = submission_with(receipt_of(report(web, org, reporter_name="张某", reporter_contact="13800000000")))
    web.login("case_officer")
    before = snapshot()
    response = handle(web, submission, "accept", cadre_id=str(cadre.id))
    assert response.status_code == 302
    [case] = rows(Case)
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.track, case.state, case.source, case.cadre_id) == ("adjustment", "intake", "public_clue", cadre.id)
    opening = case.records[0].data
    assert (opening["content"], opening["category"], opening["reporter_name"]) == (
        "办事推诿扯皮，多次找不到人。", "passing_the_buck", "张某")
    submission = rows(Submission, Submission.id == submission.id)[0]
    assert (submission.status, submission.case_id) == ("accepted", case.id)
    assert snapshot() == (before[0], before[1] + 1, before[2] + 1, before[3] + 2)  # case opened, submission accepted
    page = text(web.get(f"/cases/{case.id}"))
    assert f"Case {case.reference} opened." in page and "办事推诿扯皮，多次找不到人。" in page
    assert case.reference in text(web.get("/intake?status=accepted"))


def test_the_inbox_and_accepting_in_chinese(web, org):
    cadre = org.cadre(name="李四")
    submission = submission_with(receipt_of(report(web, org, reporter_name="张某")))
    web.login("case_officer")
    web.speak("zh")
    html = plain(text(web.get("/intake")))
    assert "群众线索" in html and '<span class="state">待办理</span>' in html and "推诿扯皮" in html
    assert "反映人" in html and "受理并立案" in html and "不予受理的理由" in html and "向反映人反馈" in html
    assert "Public clue" not in html and "Open a case" not in html
    response = handle(web, submission, "accept", cadre_id=str(cadre.id))
    [case] = rows(Case)
    page = text(web.get(response.headers["Location"]))
    assert f"已立案，案件编号{case.reference}。" in page and "opened." not in page


def test_accepting_needs_the_cadre(web, org):
    org.cadre(name="另一人")
    submission = submission_with(receipt_of(report(web, org, cadre_name="查无此人")))
    web.login("case_officer")
    before = snapshot()
    response = handle(web, submission, "accept", cadre_id="")
    assert response.status_code == 303
    assert snapshot() == before
    assert "Choose the cadre the submission is about." in text(web.get("/intake"))
    handle(web.speak("zh"), submission, "accept", cadre_id="")
    assert "请选择该事项所涉及的干部。" in text(web.get("/intake"))
    assert snapshot() == before


def test_dismissing_needs_a_reason(web, org):
    org.cadre(name="李四")
    submission = submission_with(receipt_of(report(web, org)))
    web.login("case_officer")
    before = snapshot()
    response = handle(web, submission, "dismiss", reason="  ")
    assert response.status_code == 303
    assert snapshot() == before
    assert "Give the reason for dismissing." in text(web.get("/intake"))
    handle(web.speak("zh"), submission, "dismiss", reason="")
    assert "请填写不予受理的理由。" in text(web.get("/intake"))
    web.speak("en")
    assert snapshot() == before

    response = handle(web, submission, "dismiss", reason="反映内容不具体，无法核查。")
    assert response.status_code == 302
    submission = rows(Submission, Submission.id == submission.id)[0]
    assert (submission.status, submission.dismiss_reason) == ("dismissed", "反映内容不具体，无法核查。")
    assert count(Case) == 0
    assert "反映内容不具体，无法核查。" in text(web.get("/intake?status=dismissed"))
    logged_out(web)
    page = status_page(web, submission.receipt_code)
    assert "Closed" in page and "Being handled" not in page


def test_feedback_only_for_named_reporters(web, org):
    org.cadre(name="李四")
    anonymous = submission_with(receipt_of(report(web, org)))
    named = submission_with(receipt_of(report(web, org, reporter_name="张某")))
    web.login("case_officer")
    html = text(web.get("/intake"))
    assert f'action="/intake/{named.id}/feedback"' in html
    assert f'action="/intake/{anonymous.id}/feedback"' not in html

    before = snapshot()
    response = handle(web, anonymous, "feedback", feedback="谢谢。")
    assert response.status_code == 303
    assert snapshot() == before
    assert "Feedback is given to named reporters; this one is anonymous." in text(web.get("/intake"))
    handle(web.speak("zh"), anonymous, "feedback", feedback="谢谢。")
    assert "只向署名的反映人反馈；该反映为匿名反映。" in text(web.get("/intake"))
    web.speak("en")
    assert rows(Submission, Submission.id == anonymous.id)[0].feedback == ""

    response = handle(web, named, "feedback", feedback="  ")
    assert response.status_code == 303 and "Write the feedback." in text(web.get("/intake"))
    handle(web, named, "feedback", feedback="已核查，感谢。")
    assert rows(Submission, Submission.id == named.id)[0].feedback == "已核查，感谢。"
    assert rows(AuditEvent)[-1].kind == "intake.feedback"


def test_the_status_page_says_closed_once_the_case_has_ended(web, org):
    cadre = org.cadre(name="李四")
    code = receipt_of(report(web, org))
    web.login("case_officer")
    handle(web, submission_with(code), "accept", cadre_id=str(cadre.id))
    case = rows(Case)[0]
    form = web.post(f"/cases/{case.id}/act/dismiss_intake",
                    {"dismiss_intake-reason": "经初核，不予核查。", "dismiss_intake-version": str(case.version)},
                    prefix="dismiss_intake")
    assert form.status_code == 302
    logged_out(web)
    page = status_page(web, code)
    assert "Handled and closed" in page and "Being handled" not in page


def test_an_assessment_recorded_on_the_cadre_page_is_proposed_in_the_inbox(web, org, travel):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    web.login("case_officer")
    response = web.post(f"/cadres/{cadre.id}/assessments", {"year": "2026", "result": "incompetent"}, follow_redirects=True)
    assert response.status_code == 200
    assert "An adjustment case is proposed in the intake inbox" in text(response)
    [proposal] = rows(Submission)
    assert (proposal.kind, proposal.cadre_id) == ("assessment_trigger", cadre.id)
    html = text(web.get("/intake"))
    assert "Assessment trigger" in html and "Annual assessment 2026: incompetent." in html
    response = handle(web, proposal, "accept", cadre_id=str(cadre.id))
    assert response.status_code == 302
    [case] = rows(Case)
    assert (case.track, case.source, case.state) == ("adjustment", "assessment", "intake")


def test_an_assessment_recorded_by_a_reader_of_chinese_is_proposed_in_chinese(web, org, travel):
    cadre = org.cadre(name="吴十")
    travel.to(date(2027, 1, 15))
    web.login("case_officer")
    web.speak("zh")
    assert web.post(f"/cadres/{cadre.id}/assessments", {"year": "2026", "result": "basically_competent"}).status_code == 302
    travel.to(date(2028, 1, 15))
    assert web.post(f"/cadres/{cadre.id}/assessments", {"year": "2027", "result": "basically_competent"}).status_code == 302
    [proposal] = rows(Submission)
    assert proposal.content == "2026年度和2027年度考核结果连续两年为基本称职。"  # stored as its author read it
    html = text(web.get("/intake"))
    assert "考核结果触发" in html and "2026年度和2027年度考核结果连续两年为基本称职。" in html


# --- self-recommendation ----------------------------------------------------------------------------------

def _apply(web, org):
    response = web.post("/apply", {"unit_id": str(org.unit_a.id), "cadre_name": "张三",
                                   "content": "主持完成防汛工程，实绩突出。", "reporter_contact": "13900000000"},
                        environ_base={"REMOTE_ADDR": "198.51.100.20"}, follow_redirects=True)
    assert response.status_code == 200
    return submission_with(receipt_of(response))


def test_a_self_recommendation_accepted_with_a_post_opens_a_nomination(web, org):
    cadre = org.cadre(name="张三")
    submission = _apply(web, org)
    assert (submission.kind, submission.cadre_id) == ("self_recommendation", cadre.id)
    web.login("case_officer")
    html = text(web.get("/intake"))
    assert f'name="s{submission.id}-position_id"' in html
    response = handle(web, submission, "accept", cadre_id=str(cadre.id), position_id=str(org.post_a.id))
    assert response.status_code == 302
    [case] = rows(Case)
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.track, case.state, case.source, case.target_position_id) == ("promotion", "nomination", "self", org.post_a.id)
    assert case.records[0].data["evidence"] == "主持完成防汛工程，实绩突出。"
    assert case.records[0].data["work_plan"] == f"Written self-recommendation {submission.receipt_code}."


def test_a_self_recommendation_needs_a_post_to_be_accepted(web, org):
    cadre = org.cadre(name="张三")
    submission = _apply(web, org)
    web.login("case_officer")
    before = snapshot()
    response = handle(web, submission, "accept", cadre_id=str(cadre.id), position_id="")
    assert response.status_code == 303
    assert snapshot() == before
    assert "Choose a post in your units." in text(web.get("/intake"))


# --- opening an adjustment case by hand ----------------------------------------------------------------------

def test_opening_an_adjustment_case_through_the_new_case_page(web, org, travel):
    cadre = org.cadre(name="李四")
    web.login("discipline_liaison")
    response = web.get(f"/cases/new?track=adjustment&cadre={cadre.id}")
    assert response.status_code == 200
    html = text(response)
    assert "New adjustment case" in html
    assert 'name="trigger_source"' in html and 'value="2026-03-02"' in html  # received today by default
    before = snapshot()
    response = web.post("/cases/new?track=adjustment", {
        "cadre_id": str(cadre.id), "trigger_source": "petition", "category": "doing_nothing",
        "content": "信访反映其长期不作为。", "reporter_name": "", "reporter_contact": "", "received_on": "2026-03-01"})
    assert response.status_code == 302
    [case] = rows(Case)
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert (case.track, case.state, case.source, case.cadre_id) == ("adjustment", "intake", "petition", cadre.id)
    assert case.records[0].data["received_on"] == "2026-03-01"
    assert snapshot() == (before[0], before[1] + 1, before[2] + 1, before[3] + 1)


def test_opening_an_adjustment_case_without_content_is_422(web, org):
    cadre = org.cadre(name="李四")
    web.login("case_officer")
    before = snapshot()
    response = web.post("/cases/new?track=adjustment", {
        "cadre_id": str(cadre.id), "trigger_source": "petition", "content": "", "received_on": "2026-03-01"})
    assert response.status_code == 422
    assert "Please fill in: Content." in text(response)
    assert snapshot() == before


def test_an_inspector_cannot_open_an_adjustment_case(web, org):
    cadre = org.cadre(name="李四")
    web.login("inspector")
    before = snapshot()
    response = web.post("/cases/new?track=adjustment", {
        "cadre_id": str(cadre.id), "trigger_source": "petition", "content": "x", "received_on": "2026-03-01"})
    assert response.status_code == 403
    assert "adjustment case; your role is" in text(response)
    assert snapshot() == before


# --- a reusable cadre ----------------------------------------------------------------------------------------

NOMINATE = "Open a promotion nomination"


def test_the_page_of_a_reusable_case_offers_a_promotion_nomination(web, org):
    case = org.adjustment_in("reusable")
    web.login("case_officer")
    html = text(web.get(f"/cases/{case.id}"))
    assert NOMINATE in html
    link = f'href="/cases/new?cadre={case.cadre_id}&amp;reuse={case.id}"'
    assert link in html
    form = text(web.get(f"/cases/new?cadre={case.cadre_id}"))
    assert f'<option selected value="{case.cadre_id}">' in form


def test_only_a_reusable_case_offers_it_and_only_to_a_case_officer(web, org):
    follow_up = org.adjustment_in("follow_up")
    web.login("case_officer")
    assert NOMINATE not in text(web.get(f"/cases/{follow_up.id}"))
    closed = org.adjustment_in("closed")
    assert NOMINATE not in text(web.get(f"/cases/{closed.id}"))
    reusable = org.adjustment_in("reusable")
    logged_out(web)
    web.login("discipline_liaison")
    assert NOMINATE not in text(web.get(f"/cases/{reusable.id}"))
