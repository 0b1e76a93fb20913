"""The notification centre, the deadlines page and the account page (web/views/reminders.py),
through Flask's test client: the unread count in the page header, the list with links to the
case, mark as read, each user's e-mail choice, what is due in the user's units within 30 days
(overdue first) and the scheduler's health for administrators only.
"""
import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

import workflow.reminders
from models import AuditEvent, Reminder, SchedulerJob, User, db
from workflow import clock
from workflow.reminders import run_once
from workflow.scheduler import run_job

from .test_reminders import at, give_email, rows, sanction, smtp_server


@pytest.fixture
def smtp():
    """A local SMTP server for the test (see test_reminders.smtp_server)."""
    with smtp_server() as server:
        yield server


# --- helpers ----------------------------------------------------------------------------------

def page(web, url):
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def badge(html):
    """The unread count in the page header (0 when no badge is shown), in English or Chinese."""
    label = re.search(r'aria-label="(?:Notifications: (\d+) unread|通知：(\d+) 条未读)"', html)
    shown = re.search(r'<span class="badge">(\d+)</span>', html)
    assert label, "no notification link in the header"
    count = int(label.group(1) or label.group(2))
    assert (int(shown.group(1)) if shown else 0) == count
    return count


def body_rows(html):
    """The rows of the first list table, as text with their links."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if not tbody:
        return []
    return [(unescape(re.sub(r"<[^>]+>", " ", row)), re.findall(r'href="([^"]+)"', row))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S)]


def two_reminders(org, travel, email=False):
    """The root case officer gets a stale-case and an influence-period reminder on 2026-04-01 (no SMTP)."""
    if email:
        give_email(org.users["case_officer"])
    case = org.open_case()  # stale on 04-01
    cadre = org.cadre(name="李四")
    sanction(cadre, date(2026, 4, 20))
    travel.to(date(2026, 4, 1))
    run_once(db.session, now=clock.now())
    return case, cadre


def mark_read(web, **data):
    return web.post("/notifications/read", data=data)


# --- the notification centre ------------------------------------------------------------------

def test_notifications_need_a_signed_in_user(app, web):
    response = web.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_header_shows_the_unread_count(org, travel, web):
    two_reminders(org, travel)
    web.login("case_officer")
    assert badge(page(web, "/cases")) == 2
    assert badge(page(web, "/deadlines")) == 2
    web.login("officer_b")  # nothing for unit B
    html = page(web, "/cases")
    assert badge(html) == 0 and 'class="badge"' not in html


def test_the_list_shows_each_reminder_with_a_link_to_its_case(org, travel, web):
    case, cadre = two_reminders(org, travel, email=True)
    web.login("case_officer")
    html = page(web, "/notifications")
    listed = body_rows(html)
    assert len(listed) == 2
    stale = next((text, links) for text, links in listed if case.reference in text)
    assert f"/cases/{case.id}" in stale[1] and "expected to move by Apr 1, 2026" in stale[0]
    influence = next((text, links) for text, links in listed if "李四" in text)
    assert f"/cadres/{cadre.id}" in influence[1] and "Apr 20, 2026" in influence[0]
    assert all("not configured" in text for text, _ in listed), "no SMTP: the e-mail column says so"
    assert page(web, f"/cases/{case.id}")  # the link leads to the case


def test_mark_one_as_read(org, travel, web):
    case, _ = two_reminders(org, travel)
    stale = rows("stale_step")[0]
    web.login("case_officer")
    response = mark_read(web, id=str(stale.id))
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    assert rows("stale_step")[0].read_at == clock.now()
    assert rows("influence_period_ending")[0].read_at is None
    html = page(web, "/notifications")
    assert badge(html) == 1
    texts = [text for text, _ in body_rows(html)]
    read = next(t for t in texts if case.reference in t)
    assert re.search(r"\bread\b", read) and "Mark read" not in read
    assert "Mark read" in next(t for t in texts if "李四" in t)
    assert "李四" in texts[0], "unread ones first"


def test_the_notification_centre_in_chinese(org, travel, web):
    """The page and the header in Chinese; a reminder's text is as the reminder pass wrote it (the
    tests' DEFAULT_LANGUAGE is English)."""
    case, _ = two_reminders(org, travel, email=True)
    web.speak("zh").login("case_officer")
    html = page(web, "/notifications")
    assert badge(html) == 2 and "全部标为已读" in html and "Mark all as read" not in html
    listed = body_rows(html)
    assert len(listed) == 2 and all("未配置邮件服务" in text and "标为已读" in text for text, _ in listed), listed
    assert "2026年4月1日" in next(text for text, _ in listed if case.reference in text), "the due date in Chinese"
    assert "expected to move by Apr 1, 2026" in html, "stored as written"
    mark_read(web)
    assert "没有通知。" not in page(web, "/notifications")
    assert "没有通知。" in page(web, "/notifications?unread=1")


def test_mark_all_as_read(org, travel, web):
    two_reminders(org, travel)
    web.login("case_officer")
    assert "Mark all as read" in page(web, "/notifications")
    assert mark_read(web).status_code == 302
    assert all(r.read_at is not None for r in rows())
    html = page(web, "/notifications")
    assert badge(html) == 0 and "Mark all as read" not in html


def test_nobody_can_mark_another_users_reminders(org, travel, web):
    two_reminders(org, travel)
    theirs = rows("stale_step")[0]
    web.login("officer_b")
    mark_read(web, id=str(theirs.id))
    mark_read(web)
    assert all(r.read_at is None for r in rows())


def test_mark_read_needs_the_form_token(org, travel, web):
    two_reminders(org, travel)
    web.login("case_officer")
    response = web.client.post("/notifications/read", data={"id": str(rows()[0].id)})
    assert response.status_code == 400
    assert all(r.read_at is None for r in rows())


def test_only_unread_filter(org, travel, web):
    case, _ = two_reminders(org, travel)
    web.login("case_officer")
    mark_read(web, id=str(rows("influence_period_ending")[0].id))
    listed = body_rows(page(web, "/notifications?unread=1"))
    assert len(listed) == 1 and case.reference in listed[0][0]
    assert len(body_rows(page(web, "/notifications"))) == 2


@pytest.mark.parametrize("target, expected", [
    ("/cases", "/cases"),
    ("//evil.example/x", "/notifications"),
    ("https://evil.example/x", "/notifications"),
    ("/\\evil.example/x", None),  # must not leave the site
])
def test_mark_read_returns_only_to_a_page_of_this_site(org, travel, web, target, expected):
    two_reminders(org, travel)
    web.login("case_officer")
    location = mark_read(web, next=target).headers["Location"]
    if expected:
        assert location.endswith(expected) and "evil" not in location
    assert not location.startswith("//") and "://evil" not in location


@pytest.mark.parametrize("target", ["/\t/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example/x", "\t//evil.example/x"])
def test_mark_read_does_not_redirect_off_site_through_control_characters(org, travel, web, target):
    """Regression: '/\\t/evil.example' passed the '//' check and left as Location '//evil.example'
    (urllib and browsers drop tabs and newlines from URLs)."""
    two_reminders(org, travel)
    web.login("case_officer")
    location = mark_read(web, next=target).headers["Location"]
    assert not location.startswith("//") and "evil.example" not in location


def test_notifications_are_paged(org, travel, web, app):
    cadre = org.cadre(name="王五")
    for i in range(app.config["PAGE_SIZE"] + 5):
        sanction(cadre, date(2026, 4, 1) + timedelta(days=i))
    run_once(db.session, now=at(date(2026, 3, 30)))
    total = len(rows())
    assert total == app.config["PAGE_SIZE"] + 5
    web.login("case_officer")
    first, second = page(web, "/notifications"), page(web, "/notifications?page=2")
    assert len(body_rows(first)) == app.config["PAGE_SIZE"] and len(body_rows(second)) == 5
    assert f"{total} in all" in first and badge(first) == total
    assert len(body_rows(page(web, "/notifications?page=abc"))) == app.config["PAGE_SIZE"]


# --- the account page: e-mail on or off ------------------------------------------------------

def test_each_user_turns_reminder_emails_off_and_on(org, travel, web, smtp):
    officer = org.users["case_officer"]
    give_email(officer)
    web.login("case_officer")
    html = page(web, "/account")
    assert "case_officer@test.example" in html
    assert re.search(r'<input type="checkbox" id="email_reminders" name="email_reminders"\s+checked>', html)

    response = web.post("/account", data={})  # the box unticked
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, officer.id).email_reminders is False
    assert "Saved." in page(web, "/account")
    assert not re.search(r'name="email_reminders"\s+checked', page(web, "/account"))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "user.updated").order_by(AuditEvent.id)).all()[-1]
    assert "turned reminder e-mails off" in event.summary

    org.open_case()
    run_once(db.session, now=at(date(2026, 4, 1)), mailer=smtp.mailer)
    assert smtp.inbox.messages == [] and rows()[0].email_status == "off"

    web.post("/account", data={"email_reminders": "on"})
    db.session.expire_all()
    assert db.session.get(User, officer.id).email_reminders is True
    org.open_case(cadre=org.cadre(name="赵六"))
    run_once(db.session, now=at(date(2026, 4, 1)), mailer=smtp.mailer)
    assert [rcpt for rcpt, _ in smtp.inbox.messages] == ["case_officer@test.example"]


def test_the_account_page_in_chinese(org, travel, web):
    web.speak("zh").login("case_officer")
    html = page(web, "/account")
    assert "我的账户" in html and "同时通过邮件向我发送提醒" in html and "干部工作人员" in html
    web.post("/account", data={"email_reminders": "on"})
    assert "已保存。" in page(web, "/account")


def test_the_account_form_needs_its_token(org, travel, web):
    web.login("case_officer")
    assert web.client.post("/account", data={}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, org.users["case_officer"].id).email_reminders is True


# --- the deadlines page -----------------------------------------------------------------------

def deadlines_scenario(org, travel):
    """Seen on 2026-04-10 by an officer of the root unit (A and B) and by officer_b (B only)."""
    overdue = org.open_case(cadre=org.cadre(name="甲逾期"))  # A: stale since 04-01
    travel.to(date(2026, 3, 15))
    soon = org.open_case(cadre=org.cadre(unit=org.unit_b, name="乙将到期"), post=org.post_b, officer=org.officer_b)  # B: 04-14
    passed = sanction(org.cadre(name="丙已过"), date(2026, 4, 5), "admonishment")  # A: informational, passed
    today = sanction(org.cadre(name="丁今日"), date(2026, 4, 10))  # A: due today
    last_day = sanction(org.cadre(unit=org.unit_b, name="戊第三十天"), date(2026, 5, 10), "admonishment")  # B: today + 30
    too_far = sanction(org.cadre(name="己太远"), date(2026, 5, 11))  # A: today + 31
    travel.to(date(2026, 4, 10))
    return overdue, soon, passed, today, last_day, too_far


def test_deadlines_lists_what_is_due_in_30_days_overdue_first_each_linking_to_its_case(org, travel, web):
    overdue, soon, passed, today, last_day, too_far = deadlines_scenario(org, travel)
    web.login("case_officer")
    listed = body_rows(page(web, "/deadlines"))
    names = [next(n for n in ("甲逾期", "乙将到期", "丙已过", "丁今日", "戊第三十天", "己太远") if n in text) for text, _ in listed]
    assert names == ["甲逾期", "丁今日", "乙将到期", "戊第三十天", "丙已过"]  # overdue actions, coming, passed
    by_name = dict(zip(names, listed, strict=True))
    assert f"/cases/{overdue.id}" in by_name["甲逾期"][1] and overdue.reference in by_name["甲逾期"][0]
    assert re.search(r"Apr 1, 2026\s+· overdue 9 days", by_name["甲逾期"][0])
    assert f"/cases/{soon.id}" in by_name["乙将到期"][1]
    assert "passed" in by_name["丙已过"][0] and "overdue" not in by_name["丙已过"][0]
    for name, row in (("丙已过", passed), ("丁今日", today), ("戊第三十天", last_day)):
        assert f"/cadres/{row.cadre_id}" in by_name[name][1], name
    assert f"/cadres/{too_far.cadre_id}" not in page(web, "/deadlines"), "today + 31 is not shown"


def test_deadlines_in_chinese(org, travel, web):
    """Titles, texts and dates of the items are made in the reader's language."""
    overdue, *_ = deadlines_scenario(org, travel)
    web.speak("zh").login("case_officer")
    listed = body_rows(page(web, "/deadlines"))
    first, passed = listed[0][0], listed[-1][0]
    assert "甲逾期" in first and re.search(r"2026年4月1日\s+· 逾期 9 天", first)
    assert "步骤办理时限" in first and "甲逾期：“推荐提名”环节应于2026年4月1日前推进到下一步" in first
    assert "丙已过" in passed and "已过期" in passed and "诫勉跟踪期满" in passed
    assert "Step time limit" not in page(web, "/deadlines")


def test_deadlines_of_other_units_are_not_shown(org, travel, web):
    deadlines_scenario(org, travel)
    web.login("officer_b")
    html = page(web, "/deadlines")
    listed = [text for text, _ in body_rows(html)]
    assert len(listed) == 2 and "乙将到期" in listed[0] and "戊第三十天" in listed[1]
    for other in ("甲逾期", "丙已过", "丁今日"):
        assert other not in html


def test_deadlines_page_says_so_when_nothing_is_due(org, travel, web):
    web.login("case_officer")
    html = page(web, "/deadlines")
    assert "Nothing falls due in the next 30 days" in html and body_rows(html) == []


def test_scheduler_health_is_shown_to_administrators_only(app, org, travel, web, monkeypatch):
    travel.to(date(2026, 4, 10))

    def broken(*args, **kwargs):
        raise RuntimeError("<script>alert(1)</script> SMTP down")

    monkeypatch.setattr(workflow.reminders, "run_once", broken)
    run_job(app, "reminders")
    job = db.session.get(SchedulerJob, "reminders")
    job.next_run_at = clock.now() + timedelta(minutes=5)
    db.session.commit()

    web.login("administrator")
    html = page(web, "/deadlines")
    assert "Scheduler health" in html
    health = html[html.index("Scheduler health"):]
    assert "2026-04-10 10:00:00" in health, "last run, local time"
    assert "2026-04-10 10:05:00" in health, "next run, local time"
    assert "RuntimeError: &lt;script&gt;alert(1)&lt;/script&gt; SMTP down" in health, "last error, escaped"
    assert "<script>alert(1)" not in html

    for role in ("case_officer", "auditor", "inspector"):
        web.login(role)
        html = page(web, "/deadlines")
        assert "Scheduler health" not in html and "SMTP down" not in html, role


def test_scheduler_health_before_the_first_run(org, travel, web):
    web.login("administrator")
    html = page(web, "/deadlines")
    health = html[html.index("Scheduler health"):]
    assert "never" in health and "reminders" in health
    assert "Create due reminders and e-mail them, every 5 min" in health
    assert db.session.scalars(select(Reminder)).all() == []


def test_scheduler_health_in_chinese(org, travel, web):
    web.speak("zh").login("administrator")
    html = page(web, "/deadlines")
    health = html[html.index("调度程序运行状态"):]
    assert "从未运行" in health and "生成到期提醒并发送邮件，每 5 分钟运行一次" in health
    assert "今后30天内没有到期事项。" in html


def test_a_user_sets_their_own_email_address_and_it_is_audited(web, org):
    web.login("case_officer")
    bad = web.post("/account", {"email": "not an address", "email_reminders": "on"})
    assert bad.status_code == 422 and "not an e-mail address" in bad.get_data(as_text=True)
    assert 'value="not an address"' in bad.get_data(as_text=True)  # what was typed stays
    web.post("/account", {"email": "officer@example.invalid", "email_reminders": "on"})
    db.session.expire_all()
    user = db.session.get(User, org.users["case_officer"].id)
    assert user.email == "officer@example.invalid" and user.email_reminders is True
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "user.updated").order_by(AuditEvent.id)).all()[-1]
    assert event.after == {"email": "officer@example.invalid", "email_reminders": True}
