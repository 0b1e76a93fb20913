"""Working days for the publicity period: the official holiday schedule with its make-up
workdays, the Monday–Friday fallback (flagged for review) for a year the package does not
cover, and the administrator's overrides.

Official schedules used below:
* 2025 National Day and Mid-Autumn: 1–8 October off; Sunday 28 September and Saturday 11
  October are make-up workdays.
* 2026 National Day: 1–7 October off; Sunday 20 September and Saturday 10 October are make-up
  workdays.
* 2027: not in the ``chinese_calendar`` package at the time of writing.
"""
from datetime import date

import chinese_calendar
import pytest
from sqlalchemy import select

from models import CalendarOverride, CalendarYear, Case, StepRecord, db
from workflow import calendar_admin, door
from workflow.calendar import Computed, WorkingDays
from workflow.errors import GuardFailed

# --- the calculator --------------------------------------------------------------------


@pytest.mark.parametrize(("start", "count_start", "end"), [
    # Wed 30 Sep 2026 (1), Thu 8 Oct (2), Fri 9 Oct (3), Sat 10 Oct make-up (4), Mon 12 Oct (5)
    (date(2026, 9, 30), True, date(2026, 10, 12)),
    (date(2026, 9, 30), False, date(2026, 10, 13)),
    # Tue 30 Sep 2025 (1), Thu 9 Oct (2), Fri 10 Oct (3), Sat 11 Oct make-up (4), Mon 13 Oct (5)
    (date(2025, 9, 30), True, date(2025, 10, 13)),
    # a holiday start day does not count: Thu 1 Oct 2026 → 8, 9, 10, 12, 13 October
    (date(2026, 10, 1), True, date(2026, 10, 13)),
    # Sunday 20 Sep 2026 is a make-up workday and counts: 20, 21, 22, 23, 24 September
    (date(2026, 9, 20), True, date(2026, 9, 24)),
    # an ordinary week: Mon 2 to Fri 6 March 2026
    (date(2026, 3, 2), True, date(2026, 3, 6)),
])
def test_five_working_days_with_the_official_schedule(start, count_start, end):
    assert WorkingDays().add(start, 5, count_start) == Computed(end, False)


def test_2027_is_not_covered_by_the_package():
    """The premise of the fallback tests: if the package learns 2027, move them to a later year."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))
    assert not WorkingDays().covers(2027)
    assert WorkingDays().covers(2026)


def test_uncovered_year_falls_back_to_monday_to_friday_and_is_flagged():
    assert WorkingDays().add(date(2027, 3, 1), 5) == Computed(date(2027, 3, 5), True)
    assert WorkingDays().add(date(2027, 3, 5), 5) == Computed(date(2027, 3, 11), True)  # Fri → skips the weekend


def test_a_computation_that_reaches_into_an_uncovered_year_is_flagged():
    # Mon 28 Dec 2026 .. Thu 31 Dec are official; Fri 1 Jan 2027 is taken as a workday by the fallback
    assert WorkingDays().add(date(2026, 12, 28), 5) == Computed(date(2027, 1, 1), True)


def test_overrides_change_the_result_and_an_entered_year_clears_the_flag():
    new_year = {date(2027, 1, 1): False}
    assert WorkingDays(new_year).add(date(2026, 12, 28), 5) == Computed(date(2027, 1, 4), True)
    assert WorkingDays(new_year, entered_years=[2027]).add(date(2026, 12, 28), 5) == Computed(date(2027, 1, 4), False)
    # a make-up Saturday entered by the administrator counts as a working day
    assert WorkingDays({date(2027, 3, 6): True}, [2027]).add(date(2027, 3, 5), 5) == Computed(date(2027, 3, 10), False)


def test_an_override_also_corrects_a_covered_year():
    # if the State Council moved a day off in 2026, the administrator's entry wins over the package
    assert WorkingDays({date(2026, 3, 4): False}).add(date(2026, 3, 2), 5) == Computed(date(2026, 3, 9), False)


def test_calendar_is_read_from_the_database(org):
    admin = org.users["administrator"]
    assert WorkingDays.from_db(db.session).add(date(2027, 3, 1), 5) == Computed(date(2027, 3, 5), True)
    calendar_admin.set_override(db.session, admin, date(2027, 3, 3), False, "test day off")
    assert db.session.get(CalendarOverride, date(2027, 3, 3)).is_workday is False
    assert WorkingDays.from_db(db.session).add(date(2027, 3, 1), 5) == Computed(date(2027, 3, 8), True)
    calendar_admin.mark_year_entered(db.session, admin, 2027, "entered from the State Council notice")
    assert db.session.get(CalendarYear, 2027) is not None
    assert WorkingDays.from_db(db.session).add(date(2027, 3, 1), 5) == Computed(date(2027, 3, 8), False)
    calendar_admin.remove_override(db.session, admin, date(2027, 3, 3))
    assert WorkingDays.from_db(db.session).add(date(2027, 3, 1), 5) == Computed(date(2027, 3, 5), False)


# --- through the door: start_publicity sets the end and the deadline ---------------------------

def _approved_case_on(org, travel, day):
    """A case in 'approved' on ``day`` (the demo path to 'approved' takes 20 days)."""
    travel.to(date.fromordinal(day.toordinal() - 20))
    case = org.case_in("approved")
    assert travel.today == day
    return case


def _start_publicity(org, case, start_on):
    door.advance(case.id, "start_publicity", org.users["case_officer"],
                 {"start_on": start_on.isoformat(), "channel": "公示栏", "text": "拟任职公示。"}, session=db.session)
    db.session.expire_all()
    return db.session.get(Case, case.id)


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 9, 30), date(2026, 10, 12)),
    (date(2025, 9, 30), date(2025, 10, 13)),
])
def test_publicity_started_before_national_day_ends_on_the_right_date(org, travel, start, end):
    case = _approved_case_on(org, travel, start)
    case = _start_publicity(org, case, start)
    assert case.state == "publicity"
    assert (case.publicity_start, case.publicity_end) == (start, end)
    assert (case.due_on, case.due_kind, case.due_needs_review) == (end, "publicity_end", False)
    record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case.id).order_by(StepRecord.id.desc())).first()
    assert record.data["publicity_end"] == end.isoformat()
    assert record.data["needs_review"] is False


def test_appointment_possible_the_day_after_the_holiday_publicity_ends(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2026, 9, 30)), date(2026, 9, 30))
    data = {"document_no": "任〔2026〕88号", "talk_by": "王晓梅"}
    travel.to(date(2026, 10, 12))
    with pytest.raises(GuardFailed) as refused:
        door.advance(case.id, "appoint", org.users["case_officer"],
                     {**data, "effective_on": "2026-10-13", "talk_on": "2026-10-12"}, session=db.session)
    assert refused.value.reasons == ["Publicity runs until 2026-10-12; appointment is possible from the next day."]
    travel.to(date(2026, 10, 13))
    outcome = door.advance(case.id, "appoint", org.users["case_officer"],
                           {**data, "effective_on": "2026-10-13", "talk_on": "2026-10-13"}, session=db.session)
    assert outcome.to_state == "probation"


def test_publicity_in_an_uncovered_year_is_flagged_for_review(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2027, 2, 22)), date(2027, 3, 1))
    assert case.publicity_end == date(2027, 3, 5)
    assert (case.due_on, case.due_needs_review) == (date(2027, 3, 5), True)
    record = db.session.scalars(select(StepRecord).where(StepRecord.case_id == case.id).order_by(StepRecord.id.desc())).first()
    assert record.data["needs_review"] is True


def test_override_and_entered_year_apply_to_publicity_started_afterwards(org, travel):
    admin = org.users["administrator"]
    first = _approved_case_on(org, travel, date(2027, 2, 22))
    calendar_admin.set_override(db.session, admin, date(2027, 3, 3), False, "day off")
    travel.to(date(2027, 3, 1))
    first = _start_publicity(org, first, date(2027, 3, 1))  # 1, 2, 4, 5, 8 March
    assert (first.publicity_end, first.due_on, first.due_needs_review) == (date(2027, 3, 8), date(2027, 3, 8), True)

    calendar_admin.set_override(db.session, admin, date(2027, 3, 24), False, "day off")
    calendar_admin.mark_year_entered(db.session, admin, 2027, "entered")
    second = _approved_case_on(org, travel, date(2027, 3, 22))
    second = _start_publicity(org, second, date(2027, 3, 22))  # 22, 23, 25, 26, 29 March
    assert (second.publicity_end, second.due_on, second.due_needs_review) == (date(2027, 3, 29), date(2027, 3, 29), False)
    db.session.expire_all()
    assert db.session.get(Case, first.id).due_needs_review is True  # computed before the year was entered


def test_leaving_publicity_clears_the_review_flag(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2027, 2, 22)), date(2027, 3, 1))
    assert case.due_needs_review is True
    travel.to(date(2027, 3, 8))
    door.advance(case.id, "appoint", org.users["case_officer"], {
        "document_no": "任〔2027〕1号", "effective_on": "2027-03-08", "talk_by": "王晓梅", "talk_on": "2027-03-08"},
        session=db.session)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "probation"
    assert (case.due_kind, case.due_needs_review) == ("probation_end", False)


def _suspend_answer_resume(org, travel, case, objection_on, resume_on):
    officer, liaison = org.users["case_officer"], org.users["discipline_liaison"]
    travel.to(objection_on)
    door.advance(case.id, "record_objection", officer, {
        "received_on": objection_on.isoformat(), "channel": "来信", "content": "反映问题。", "substantive": True},
        session=db.session)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "publicity_suspended"
    door.advance(case.id, "answer_objection", liaison, {
        "objection": case.objections[-1].id, "finding": "不实。", "answer": "已答复。"}, session=db.session)
    travel.to(resume_on)
    door.advance(case.id, "resume_publicity", officer, {"resumed_on": resume_on.isoformat()}, session=db.session)
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_resumed_publicity_in_an_uncovered_year_stays_flagged(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2027, 2, 22)), date(2027, 3, 1))
    # suspended on Wed 3 March with 2 working days left (4, 5); resumed on Wed 10 March: 10, 11
    case = _suspend_answer_resume(org, travel, case, date(2027, 3, 3), date(2027, 3, 10))
    assert case.state == "publicity"
    assert (case.publicity_end, case.due_on, case.due_needs_review) == (date(2027, 3, 11), date(2027, 3, 11), True)


def test_review_flag_survives_a_suspension_after_the_publicity_days(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2027, 2, 22)), date(2027, 3, 1))
    assert (case.publicity_end, case.due_needs_review) == (date(2027, 3, 5), True)
    case = _suspend_answer_resume(org, travel, case, date(2027, 3, 8), date(2027, 3, 9))
    assert case.state == "publicity"
    assert (case.publicity_end, case.due_on) == (date(2027, 3, 5), date(2027, 3, 5))
    assert case.due_needs_review is True


def test_review_flag_survives_a_hold_during_publicity(org, travel):
    case = _start_publicity(org, _approved_case_on(org, travel, date(2027, 2, 22)), date(2027, 3, 1))
    assert case.due_needs_review is True
    liaison = org.users["discipline_liaison"]
    travel.to(date(2027, 3, 2))
    door.advance(case.id, "put_on_hold", liaison, {"reason": "线索核查中。"}, session=db.session)
    travel.to(date(2027, 3, 4))
    door.advance(case.id, "release_hold", liaison, {"clarification": "已澄清。"}, session=db.session)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    # Held 03-02 with 3 days left (03, 04, 05); released 03-04: they run 04, 05, 08 (the hold does not count).
    assert (case.state, case.due_on, case.due_kind) == ("publicity", date(2027, 3, 8), "publicity_end")
    assert case.due_needs_review is True


# --- the administrator's page, in either language ----------------------------------------------

def _calendar_form(web, prefix, data):
    return web.post("/admin/calendar", {f"{prefix}-{k}": v for k, v in data.items()}, prefix=prefix)


def test_the_calendar_page_and_its_messages_in_english(web, org, travel):
    web.login("administrator")
    page = web.get("/admin/calendar").get_data(as_text=True)
    assert "<h1>Working-day calendar</h1>" in page and "2026: official schedule covered" in page
    assert "2027: " in page and "not covered: Monday–Friday used, every date flagged for review" in page
    assert "Make-up workday" in page and "Mark a year as entered" in page
    response = _calendar_form(web, "day", {"day": "2027-01-02", "kind": "workday", "name": "New Year make-up"})
    assert response.status_code == 302
    page = web.get("/admin/calendar").get_data(as_text=True)
    assert "Saved." in page and 'datetime="2027-01-02">Jan 2, 2027</time>' in page
    assert 'aria-label="Remove the override on Jan 2, 2027"' in page
    assert _calendar_form(web, "year", {"year": "2027", "note": "entered"}).status_code == 302
    response = _calendar_form(web, "year", {"year": "2027", "note": "again"})
    assert response.status_code == 422 and "2027 is already marked as entered." in response.get_data(as_text=True)
    response = web.post("/admin/calendar/2027-01-02/delete")
    assert response.status_code == 302
    assert "Removed the override on 2027-01-02." in web.get("/admin/calendar").get_data(as_text=True)
    response = web.post("/admin/calendar/2027-01-02/delete")
    assert "There is no override on 2027-01-02." in web.get("/admin/calendar").get_data(as_text=True)


def test_the_calendar_page_and_its_messages_in_chinese(web, org, travel):
    web.speak("zh").login("administrator")
    page = web.get("/admin/calendar").get_data(as_text=True)
    assert "<h1>工作日历</h1>" in page and "2026: 已覆盖官方放假安排" in page
    assert "无官方放假安排：按周一至周五计算，每个日期均标记为需人工核对" in page
    assert "国务院办公厅每年约11月公布次年的放假安排" in page and "Working-day calendar" not in page
    assert "调休上班日" in page and "标记全年已录入" in page
    assert _calendar_form(web, "day", {"day": "2027-01-02", "kind": "holiday", "name": "元旦"}).status_code == 302
    page = web.get("/admin/calendar").get_data(as_text=True)
    assert "已保存。" in page and 'datetime="2027-01-02">2027年1月2日</time>' in page and "<td>休息日</td>" in page
    assert _calendar_form(web, "year", {"year": "2027", "note": ""}).status_code == 302
    response = _calendar_form(web, "year", {"year": "2027", "note": ""})
    assert response.status_code == 422 and "2027 年已标记为全年已录入。" in response.get_data(as_text=True)
    response = _calendar_form(web, "day", {"day": "", "kind": "holiday", "name": ""})
    assert response.status_code == 422 and "请输入日期。" in response.get_data(as_text=True)
    web.post("/admin/calendar/2027-01-02/delete")
    assert "已删除 2027-01-02 的日历调整。" in web.get("/admin/calendar").get_data(as_text=True)
