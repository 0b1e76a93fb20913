"""Reminders (workflow/reminders.py, workflow/deadlines.py, workflow/mail.py): what is due, who hears
of it, e-mail through a real local SMTP server, escalation, and exactly once under repeated
passes, restarts, crashes, SMTP failures and two schedulers at the same moment.

Time is injected: ``run_once(now=...)`` and the ``travel`` fixture; nothing here sleeps.
"""
import os
import smtplib
import socket
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from models import Objection, Reminder, RuleSet, Sanction, db
from workflow import accounts, clock, door
from workflow.calendar import WorkingDays
from workflow.clock import LOCAL_TZ
from workflow.deadlines import KINDS, due_items
from workflow.mail import SmtpMailer, mailer_from_config
from workflow.reminders import MAX_EMAIL_ATTEMPTS, run_once
from workflow.rules import active_rule_set, default_data, rules_of

from .factories import PASSWORD

ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith("postgres")

# --- a local SMTP server, started and stopped by the test --------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every message it accepts; refuses the addresses in ``refuse``."""

    def __init__(self):
        self.messages = []  # (recipient, EmailMessage)
        self.refuse = set()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, message))
        return "250 Message accepted"

    def to(self, address):
        return [m for rcpt, m in self.messages if rcpt == address]

    def per_recipient_subject(self):
        return Counter((rcpt, m["Subject"]) for rcpt, m in self.messages)


class SmtpServer:
    def __init__(self, controller, inbox):
        self.controller, self.inbox, self.port = controller, inbox, controller.port
        self.config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_FROM": "cadreflow@test.example"}
        self.mailer = mailer_from_config(self.config)


@contextmanager
def smtp_server():
    """aiosmtpd's Controller on 127.0.0.1 and a free port, stopped on the way out."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller, inbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


# --- helpers ----------------------------------------------------------------------------------

def at(day, hour=9, minute=0):
    """A local (Asia/Shanghai) moment on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


def shown(day):
    """A date as an English page or reminder shows it (Apr 1, 2026)."""
    return f"{day:%b} {day.day}, {day.year}"


def address(user):
    return f"{user.username}@test.example"


def give_email(*users):
    for user in users:
        user.email = address(user)
    db.session.commit()


def rows(kind=None, **filters):
    db.session.expire_all()
    query = select(Reminder).order_by(Reminder.id)
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    for name, value in filters.items():
        query = query.where(getattr(Reminder, name) == value)
    return db.session.scalars(query).all()


def keys(kind=None):
    return sorted((r.kind, r.subject, r.due_on, r.recipient.username) for r in rows(kind))


def count_rows():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Reminder))


def sanction(cadre, ends_on, measure="gov_demerit"):
    row = Sanction(cadre_id=cadre.id, measure=measure, decided_on=ends_on - timedelta(days=365), influence_ends_on=ends_on)
    db.session.add(row)
    db.session.commit()
    return row


def new_user(username, role="case_officer", units=("B",)):
    user = accounts.create_user(db.session, username, PASSWORD, role, list(units), display_name=username)
    db.session.commit()
    return user


def supervise(unit, user):
    unit.supervisor_id = user.id
    db.session.commit()


def new_rule_set(**changes):
    current = active_rule_set(db.session)
    current.active = False
    rule_set = RuleSet(version=current.version + 1, note="test", data={**default_data(), **changes}, active=True,
                       created_at=clock.now())
    db.session.add(rule_set)
    db.session.commit()
    return rule_set


def advance(org, case, trigger, role, data):
    return door.advance(case.id, trigger, org.users[role], data, session=db.session)


# --- each kind of reminder: not before its date, on its date, to the right person -------------

def test_every_kind_of_the_issue_is_declared():
    assert set(KINDS) >= {
        "publicity_ending", "publicity_objection_open", "probation_ending", "inspection_start", "stale_step",
        "influence_period_ending", "admonishment_ending", "training_deadline",
    }


def test_publicity_ending_is_reminded_the_day_before_to_the_case_opener(org, travel):
    case = org.case_in("publicity")
    end = case.publicity_end
    assert end > travel.today
    run_once(db.session, now=at(end - timedelta(days=2)))
    assert rows("publicity_ending") == []
    result = run_once(db.session, now=at(end - timedelta(days=1)))
    assert keys("publicity_ending") == [("publicity_ending", f"case:{case.id}", end, "case_officer")]
    reminder = rows("publicity_ending")[0]
    assert reminder.case_id == case.id and reminder.unit_id == org.unit_a.id and not reminder.escalation
    assert case.reference in reminder.message and f"publicity ends {shown(end)}" in reminder.message
    assert (result.emailed, result.failed) == (0, 0)


def test_publicity_ended_with_an_objection_open_is_reminded_and_stops_once_answered(org, travel):
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    case = org.case_in("publicity_suspended")
    end = case.publicity_end
    objection = db.session.scalars(select(Objection).where(Objection.case_id == case.id)).one()
    assert not objection.answered
    run_once(db.session, now=at(end))
    assert rows("publicity_objection_open") == [], "the publicity has not ended yet"
    run_once(db.session, now=at(end + timedelta(days=1)))
    assert keys("publicity_objection_open") == [("publicity_objection_open", f"case:{case.id}", end + timedelta(days=1), "case_officer")]
    # Answered before escalation: nothing more about it, not even to the supervisor.
    travel.to(end + timedelta(days=2))
    advance(org, case, "answer_objection", "discipline_liaison",
            {"objection": objection.id, "finding": "经核查不实。", "answer": "已反馈。", "disqualifying": False})
    for offset in (4, 5, 10):
        run_once(db.session, now=at(end + timedelta(days=offset)))
    assert [r.kind for r in rows() if r.kind.startswith("publicity_objection_open")] == ["publicity_objection_open"]


def test_probation_ending_is_reminded_seven_days_before_and_disappears_once_assessed(org, travel):
    case = org.case_in("probation")
    end = case.probation_end
    run_once(db.session, now=at(end - timedelta(days=8)))
    assert rows("probation_ending") == []
    run_once(db.session, now=at(end - timedelta(days=7)))
    assert keys("probation_ending") == [("probation_ending", f"case:{case.id}", end, "case_officer")]
    travel.to(end)
    advance(org, case, "confirm_probation", "case_officer", {"assessed_on": end.isoformat(), "assessment": "考核合格。"})
    rules = rules_of(active_rule_set(db.session))
    assert [i for i in due_items(db.session, end + timedelta(days=5), rules, WorkingDays.from_db(db.session))
            if i.kind == "probation_ending"] == []


def test_inspection_may_begin_on_the_working_day_after_the_notice(org, travel):
    travel.to(date(2026, 3, 3))
    case = org.case_in("inspection")  # selected three days later: Friday 2026-03-06
    notice = date.fromisoformat(case.last_record("select_for_inspection").data["notice_on"])
    assert notice == date(2026, 3, 6) and notice.weekday() == 4
    for weekend_day in (date(2026, 3, 7), date(2026, 3, 8)):
        run_once(db.session, now=at(weekend_day))
        assert rows("inspection_start") == [], weekend_day
    run_once(db.session, now=at(date(2026, 3, 9)))
    assert keys("inspection_start") == [("inspection_start", f"case:{case.id}", date(2026, 3, 9), "case_officer")]
    # Once the inspection has begun (a check recorded) the item is gone.
    travel.to(date(2026, 3, 9))
    advance(org, case, "record_check", "inspector", {"check": "personnel_file", "outcome": "档案审核无误。"})
    rules = rules_of(active_rule_set(db.session))
    assert [i for i in due_items(db.session, date(2026, 3, 10), rules, WorkingDays.from_db(db.session))
            if i.kind == "inspection_start"] == []


def test_stale_step_is_reminded_when_a_step_does_not_move_within_the_rule(org, travel):
    case = org.open_case()  # nomination, 2026-03-02; the rule allows 30 days
    assert case.state == "nomination"
    limit = date(2026, 4, 1)
    run_once(db.session, now=at(limit - timedelta(days=1)))
    assert rows("stale_step") == []
    run_once(db.session, now=at(limit))
    assert keys("stale_step") == [("stale_step", f"case:{case.id}", limit, "case_officer")]
    assert f"expected to move by {shown(limit)}" in rows("stale_step")[0].message


def test_stale_step_follows_the_rule_set_and_moving_on_restarts_the_clock(org, travel):
    new_rule_set(step_expected_days={**default_data()["step_expected_days"], "nomination": 10, "inspection": 20})
    case = org.open_case()  # 2026-03-02
    run_once(db.session, now=at(date(2026, 3, 11)))
    assert rows("stale_step") == []
    run_once(db.session, now=at(date(2026, 3, 12)))
    assert [r.due_on for r in rows("stale_step")] == [date(2026, 3, 12)]
    travel.to(date(2026, 3, 12))
    advance(org, case, "select_for_inspection", "case_officer",
            {"team": ["李建国", "赵敏"], "notice_on": "2026-03-12", "plan": "考察方案"})
    run_once(db.session, now=at(date(2026, 3, 31), hour=23))
    assert [r.due_on for r in rows("stale_step")] == [date(2026, 3, 12)], "inspection began 03-12: stale from 04-01"
    run_once(db.session, now=at(date(2026, 4, 1)))
    assert [r.due_on for r in rows("stale_step")] == [date(2026, 3, 12), date(2026, 4, 1)]


def test_influence_period_ending_goes_to_the_officers_of_the_cadres_unit(org, travel):
    cadre_b = org.cadre(unit=org.unit_b, name="李四")
    cadre_a = org.cadre(name="王五")
    ends = date(2026, 4, 10)
    in_b, in_a = sanction(cadre_b, ends), sanction(cadre_a, ends, "party_warning")
    run_once(db.session, now=at(ends - timedelta(days=31)))
    assert rows("influence_period_ending") == []
    run_once(db.session, now=at(ends - timedelta(days=30)))
    assert keys("influence_period_ending") == sorted([
        ("influence_period_ending", f"sanction:{in_b.id}", ends, "case_officer"),
        ("influence_period_ending", f"sanction:{in_b.id}", ends, "officer_b"),
        ("influence_period_ending", f"sanction:{in_a.id}", ends, "case_officer"),
    ])
    for reminder in rows("influence_period_ending"):
        assert reminder.case_id is None and reminder.cadre_id in (cadre_a.id, cadre_b.id)
    assert "李四" in rows("influence_period_ending", recipient_id=org.officer_b.id)[0].message


def test_admonishment_tracking_period_ending_is_reminded_fourteen_days_before(org, travel):
    cadre = org.cadre(name="赵六")
    ends = date(2026, 4, 10)
    row = sanction(cadre, ends, "admonishment")
    run_once(db.session, now=at(ends - timedelta(days=15)))
    assert rows("admonishment_ending") == []
    run_once(db.session, now=at(ends - timedelta(days=14)))
    assert keys("admonishment_ending") == [("admonishment_ending", f"sanction:{row.id}", ends, "case_officer")]
    assert rows("influence_period_ending") == [], "an admonishment is its own kind"


def test_training_deadline_one_year_after_taking_the_post(org, travel):
    case = org.case_in("appointed", post=org.post_a_plain)
    took_post = case.cadre.post_since
    due = date(took_post.year + 1, took_post.month, took_post.day)
    run_once(db.session, now=at(due - timedelta(days=31)))
    assert rows("training_deadline") == []
    run_once(db.session, now=at(due - timedelta(days=30)))
    assert keys("training_deadline") == [("training_deadline", f"case:{case.id}", due, "case_officer")]


def test_training_deadline_follows_the_rule_set(org, travel):
    """Regression: the period was 12 months whatever the rule set said (v1 keeps 12 here, the case has 6)."""
    new_rule_set(training_deadline_months=6)
    case = org.case_in("appointed", post=org.post_a_plain)
    took_post = case.cadre.post_since
    due = clock.add_months(took_post, 6)
    run_once(db.session, now=at(due - timedelta(days=30)))
    assert keys("training_deadline") == [("training_deadline", f"case:{case.id}", due, "case_officer")]


def test_training_deadline_of_a_post_taken_on_a_leap_day_is_reminded_on_time(org, travel):
    """Regression: post_since was narrowed by inverting add_months, which is one day off for 29 February."""
    case = org.case_in("appointed", post=org.post_a_plain)
    case.cadre.post_since = date(2028, 2, 29)
    db.session.commit()
    due = date(2029, 2, 28)  # add_months(2028-02-29, 12)
    run_once(db.session, now=at(due - timedelta(days=30)))
    assert keys("training_deadline") == [("training_deadline", f"case:{case.id}", due, "case_officer")]


# --- who hears of it --------------------------------------------------------------------------

def appeal_items(org):
    return [(i.kind, i.due_on) for i in due_items(db.session, clock.today_local(), rules_of(active_rule_set(db.session)),
                                                     WorkingDays.from_db(db.session)) if i.kind.startswith("appeal_")]


def test_appeal_window_closing_then_appeal_to_decide_then_nothing(org, travel):
    """The appeal window closes 15 days after the decision meeting (reminded 3 days before); a filed
    appeal is to be decided within 30 days (reminded 5 days before); once decided, no item."""
    case = org.adjustment_in("reassignment")
    meeting = date.fromisoformat(case.last_record("record_decision").data["meeting_on"])
    closes = meeting + timedelta(days=15)
    travel.to(closes - timedelta(days=4))
    assert appeal_items(org) == []
    travel.to(closes - timedelta(days=3))
    assert appeal_items(org) == [("appeal_window_closing", closes)]
    filed = closes - timedelta(days=1)
    travel.to(filed)
    advance(org, case, "file_appeal", "case_officer", {"filed_on": filed.isoformat(), "grounds": "处理过重。"})
    assert appeal_items(org) == [], "the decision on the appeal is not yet near"
    decide_by = filed + timedelta(days=30)
    travel.to(decide_by - timedelta(days=5))
    assert appeal_items(org) == [("appeal_decision_due", decide_by)]
    assert [i.text for i in due_items(db.session, clock.today_local(), rules_of(active_rule_set(db.session)),
                                       WorkingDays.from_db(db.session)) if i.kind == "appeal_decision_due"] == [
        f"李四: decide the appeal by {shown(decide_by)}"]
    advance(org, case, "decide_appeal", "committee_secretary",
            {"decided_on": travel.today.isoformat(), "outcome": "upheld", "reasoning": "维持。"})
    assert appeal_items(org) == []


def test_appeal_items_follow_the_rule_set_the_case_opened_under(org, travel):
    new_rule_set(appeal_window_days=20, appeal_decision_days=10)
    case = org.adjustment_in("reassignment")
    meeting = date.fromisoformat(case.last_record("record_decision").data["meeting_on"])
    travel.to(meeting + timedelta(days=20 - 3))
    assert appeal_items(org) == [("appeal_window_closing", meeting + timedelta(days=20))]
    advance(org, case, "file_appeal", "case_officer", {"filed_on": travel.today.isoformat(), "grounds": "处理过重。"})
    travel.to(travel.today + timedelta(days=10 - 5))
    assert appeal_items(org) == [("appeal_decision_due", meeting + timedelta(days=17 + 10))]


def test_case_items_go_to_the_opener_and_otherwise_to_the_officers_of_the_unit(org, travel):
    mine = org.open_case(cadre=org.cadre(unit=org.unit_b, name="钱七"), post=org.post_b, officer=org.officer_b)
    orphan = org.open_case(cadre=org.cadre(unit=org.unit_b, name="孙八"), post=org.post_b, officer=org.officer_b)
    elsewhere = org.open_case(cadre=org.cadre(name="周九"))  # unit A, opened by the root officer
    # The opener of the second case has left: every officer of unit B hears of it instead.
    leaver = new_user("officer_left", units=["B"])
    orphan.opened_by_id = leaver.id
    leaver.active = False
    db.session.commit()
    run_once(db.session, now=at(date(2026, 4, 1)))
    assert keys("stale_step") == sorted([
        ("stale_step", f"case:{mine.id}", date(2026, 4, 1), "officer_b"),
        ("stale_step", f"case:{orphan.id}", date(2026, 4, 1), "case_officer"),
        ("stale_step", f"case:{orphan.id}", date(2026, 4, 1), "officer_b"),
        ("stale_step", f"case:{elsewhere.id}", date(2026, 4, 1), "case_officer"),
    ])


# --- delivery: e-mail through SMTP, and each user's choice ------------------------------------

def test_email_goes_through_the_configured_smtp_server(app, org, travel, smtp, monkeypatch):
    """Outside any request the pass writes in DEFAULT_LANGUAGE: Chinese here, as deployed."""
    monkeypatch.setitem(app.config, "DEFAULT_LANGUAGE", "zh")
    officer = org.users["case_officer"]
    give_email(officer)
    case = org.open_case()
    result = run_once(db.session, now=at(date(2026, 4, 1)), mailer=smtp.mailer)
    assert (result.emailed, result.failed) == (1, 0)
    [message] = smtp.inbox.to(address(officer))
    assert message["From"] == "cadreflow@test.example" and message["To"] == address(officer)
    assert message["Subject"].startswith("[Cadreflow] 步骤办理时限") and "Step time limit" not in message["Subject"]
    body = message.get_content()
    assert f"案件：{case.reference}" in body and "“推荐提名”环节应于2026年4月1日前推进到下一步" in body
    assert "可在“我的账户”中关闭提醒邮件" in body
    assert rows("stale_step")[0].message.startswith(f"步骤办理时限（逾期未推进即为滞留） — {case.reference}：")
    reminder = rows("stale_step")[0]
    assert reminder.email_status == "sent" and reminder.email_attempts == 1 and reminder.email_error == ""
    assert reminder.email_sent_at == at(date(2026, 4, 1))


def test_without_smtp_configured_reminders_stay_in_the_app(org, travel, smtp):
    assert mailer_from_config({"SMTP_HOST": ""}) is None
    give_email(org.users["case_officer"])
    org.open_case()
    result = run_once(db.session, now=at(date(2026, 4, 1)), mailer=mailer_from_config({}))
    assert result.emailed == 0 and count_rows() == 1
    assert [r.email_status for r in rows()] == ["unconfigured"]
    run_once(db.session, now=at(date(2026, 4, 2)), mailer=smtp.mailer)
    assert smtp.inbox.messages == [], "a reminder created without SMTP is not e-mailed later"


def test_each_user_chooses_email_on_or_off(org, travel, smtp):
    officer, officer_b, officer_c = org.users["case_officer"], org.officer_b, new_user("officer_c")
    give_email(officer, officer_b)  # officer_c has no address
    accounts.set_email_reminders(db.session, officer_b, False)
    row = sanction(org.cadre(unit=org.unit_b, name="吴十"), date(2026, 3, 20))
    result = run_once(db.session, now=at(date(2026, 3, 2)), mailer=smtp.mailer)
    statuses = {r.recipient.username: r.email_status for r in rows(subject=f"sanction:{row.id}")}
    assert statuses == {"case_officer": "sent", "officer_b": "off", officer_c.username: "no_address"}
    assert result.emailed == 1
    assert [rcpt for rcpt, _ in smtp.inbox.messages] == [address(officer)]
    # Turned on again: the next reminder is e-mailed.
    accounts.set_email_reminders(db.session, officer_b, True)
    sanction(org.cadre(unit=org.unit_b, name="郑十一"), date(2026, 3, 25))
    run_once(db.session, now=at(date(2026, 3, 3)), mailer=smtp.mailer)
    assert len(smtp.inbox.to(address(officer_b))) == 1


def test_a_failed_email_is_not_retried_after_the_user_turned_email_off(org, travel, smtp):
    """Regression: a failed e-mail used to be retried after the user had turned e-mail off."""
    officer = org.users["case_officer"]
    give_email(officer)
    org.open_case()
    run_once(db.session, now=at(date(2026, 4, 1)), mailer=Refusing())
    assert rows()[0].email_status == "failed"
    accounts.set_email_reminders(db.session, officer, False)
    run_once(db.session, now=at(date(2026, 4, 2)), mailer=smtp.mailer)
    assert smtp.inbox.messages == [] and rows()[0].email_status != "sent"


# --- exactly once -----------------------------------------------------------------------------

class Refusing:
    """An SMTP server that refuses everything: nothing was delivered."""

    def __init__(self):
        self.calls = 0

    def send(self, to, subject, body):
        self.calls += 1
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def some_due_items(org):
    """Due on 2026-03-02: two sanctions in unit B (two officers each) and, on 04-01, one stale case."""
    give_email(org.users["case_officer"], org.officer_b)
    first = sanction(org.cadre(unit=org.unit_b, name="冯一"), date(2026, 3, 20))
    second = sanction(org.cadre(unit=org.unit_b, name="陈二"), date(2026, 3, 15), "admonishment")
    case = org.open_case()
    return first, second, case


def test_a_second_pass_at_the_same_moment_sends_nothing(org, travel, smtp):
    some_due_items(org)
    now = at(date(2026, 3, 2))
    first = run_once(db.session, now=now, mailer=smtp.mailer)
    assert (count_rows(), first.emailed) == (4, 4)
    second = run_once(db.session, now=now, mailer=smtp.mailer)
    assert (second.failed, second.emailed) == (0, 0)
    assert count_rows() == 4 and len(smtp.inbox.messages) == 4


def test_a_restart_and_later_passes_send_nothing_twice(org, travel, smtp):
    some_due_items(org)
    run_once(db.session, now=at(date(2026, 3, 2)), mailer=smtp.mailer)
    before = keys()
    for day in range(1, 15):  # a new process every day, the items still due
        db.session.remove()
        result = run_once(db.session, now=at(date(2026, 3, 2) + timedelta(days=day)), mailer=smtp.mailer)
        assert result.emailed == 0 and count_rows() == 4, day
    assert keys() == before
    assert all(n == 1 for n in smtp.inbox.per_recipient_subject().values())
    assert len(smtp.inbox.messages) == 4


def test_after_days_off_the_first_pass_sends_what_was_missed(org, travel, smtp):
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    give_email(org.users["case_officer"])
    case = org.open_case()  # stale on 04-01, escalated on 04-04
    cadre = org.cadre(name="褚三")
    admonished = sanction(cadre, date(2026, 4, 10), "admonishment")  # reminded from 03-27
    warned = sanction(cadre, date(2026, 4, 20), "gov_warning")  # reminded from 03-21
    run_once(db.session, now=at(date(2026, 3, 20)), mailer=smtp.mailer)
    assert count_rows() == 0
    # The scheduler is off from 03-20 to 04-06; its first pass catches up on everything.
    result = run_once(db.session, now=at(date(2026, 4, 6)), mailer=smtp.mailer)
    assert keys() == sorted([
        ("admonishment_ending", f"sanction:{admonished.id}", date(2026, 4, 10), "case_officer"),
        ("influence_period_ending", f"sanction:{warned.id}", date(2026, 4, 20), "case_officer"),
        ("stale_step", f"case:{case.id}", date(2026, 4, 1), "case_officer"),
        ("stale_step.escalated", f"case:{case.id}", date(2026, 4, 1), "chief_a"),
    ])
    assert result.emailed == 3  # chief_a has no address
    run_once(db.session, now=at(date(2026, 4, 7)), mailer=smtp.mailer)
    assert count_rows() == 4
    assert len(smtp.inbox.messages) == 3


def test_catch_up_on_informational_dates_is_bounded_by_the_lookback_rule(org, travel):
    cadre = org.cadre(name="卫四")
    recent, old = sanction(cadre, date(2026, 2, 1), "admonishment"), sanction(cadre, date(2025, 12, 1), "admonishment")
    run_once(db.session, now=at(date(2026, 3, 2)))  # lookback 60 days: from 2026-01-01
    assert [r.subject for r in rows()] == [f"sanction:{recent.id}"], f"sanction:{old.id} ended before the lookback"


class CrashAfterFirst:
    """A process that dies (not an SMTP error) in the middle of sending the second e-mail."""

    def __init__(self, mailer):
        self.mailer, self.calls = mailer, []

    def send(self, to, subject, body):
        self.calls.append(to)
        if len(self.calls) == 2:
            raise KeyboardInterrupt
        self.mailer.send(to, subject, body)


def test_a_crash_while_emailing_never_sends_twice_and_the_rest_go_after_restart(org, travel, smtp):
    officer_c = new_user("officer_c")
    give_email(org.users["case_officer"], org.officer_b, officer_c)
    subject = f"sanction:{sanction(org.cadre(unit=org.unit_b, name='蒋五'), date(2026, 3, 20)).id}"
    crashing = CrashAfterFirst(smtp.mailer)
    with pytest.raises(KeyboardInterrupt):
        run_once(db.session, now=at(date(2026, 3, 2)), mailer=crashing)
    db.session.rollback()
    db.session.remove()  # the process is gone; a new one starts
    first, crashed, waiting = rows(subject=subject)
    assert [first.email_status, crashed.email_status, waiting.email_status] == ["sent", "sending", "pending"]
    assert crashing.calls == [first.recipient.email, crashed.recipient.email]

    result = run_once(db.session, now=at(date(2026, 3, 2), minute=5), mailer=smtp.mailer)
    assert (result.sent, result.skipped, result.emailed) == (0, 3, 1)
    first, crashed, waiting = rows(subject=subject)
    assert len(smtp.inbox.to(first.recipient.email)) == 1
    assert smtp.inbox.to(crashed.recipient.email) == [] and crashed.email_status == "sending", "at most once"
    assert len(smtp.inbox.to(waiting.recipient.email)) == 1 and waiting.email_status == "sent"
    run_once(db.session, now=at(date(2026, 3, 3)), mailer=smtp.mailer)
    assert len(smtp.inbox.messages) == 2


def test_a_crash_while_creating_reminders_leaves_no_duplicate_after_restart(org, travel, smtp, monkeypatch):
    import workflow.reminders as reminders_module

    some_due_items(org)
    real_insert, calls = reminders_module._insert, []

    def dying_insert(*args):
        calls.append(args)
        if len(calls) == 3:  # the first target of the second item
            raise KeyboardInterrupt
        return real_insert(*args)

    monkeypatch.setattr(reminders_module, "_insert", dying_insert)
    with pytest.raises(KeyboardInterrupt):
        run_once(db.session, now=at(date(2026, 3, 2)), mailer=smtp.mailer)
    db.session.rollback()
    db.session.remove()
    assert count_rows() == 2 and smtp.inbox.messages == []
    monkeypatch.setattr(reminders_module, "_insert", real_insert)
    result = run_once(db.session, now=at(date(2026, 3, 2)), mailer=smtp.mailer)
    assert result.emailed == 4
    assert count_rows() == 4 and len(smtp.inbox.messages) == 4
    assert all(n == 1 for n in smtp.inbox.per_recipient_subject().values())


def test_an_smtp_failure_is_retried_on_later_passes_at_most_three_attempts(org, travel, smtp):
    assert MAX_EMAIL_ATTEMPTS == 3
    give_email(org.users["case_officer"])
    org.open_case()
    refusing = Refusing()
    day = date(2026, 4, 1)
    for attempt in (1, 2, 3):
        result = run_once(db.session, now=at(day + timedelta(days=attempt - 1)), mailer=refusing)
        assert (result.failed, result.emailed) == (1, 0), attempt
        [reminder] = rows()
        assert reminder.email_status == "failed" and reminder.email_attempts == attempt
        assert reminder.email_error.startswith("SMTPServerDisconnected")
    # Three attempts made: no fourth, not even with a working server.
    result = run_once(db.session, now=at(day + timedelta(days=3)), mailer=smtp.mailer)
    assert (result.failed, result.emailed) == (0, 0) and refusing.calls == 3
    assert smtp.inbox.messages == [] and rows()[0].email_attempts == 3


def test_an_smtp_failure_then_success_sends_exactly_once(org, travel, smtp):
    give_email(org.users["case_officer"])
    org.open_case()
    assert run_once(db.session, now=at(date(2026, 4, 1)), mailer=Refusing()).failed == 1
    result = run_once(db.session, now=at(date(2026, 4, 1), hour=10), mailer=smtp.mailer)
    assert (result.failed, result.emailed) == (0, 1)
    [reminder] = rows()
    assert (reminder.email_status, reminder.email_attempts, reminder.email_error) == ("sent", 2, "")
    run_once(db.session, now=at(date(2026, 4, 2)), mailer=smtp.mailer)
    assert len(smtp.inbox.messages) == 1


def test_a_recipient_refused_by_the_server_fails_alone(org, travel, smtp):
    officer, officer_b = org.users["case_officer"], org.officer_b
    give_email(officer, officer_b)
    smtp.inbox.refuse.add(address(officer_b))
    sanction(org.cadre(unit=org.unit_b, name="沈六"), date(2026, 3, 20))
    result = run_once(db.session, now=at(date(2026, 3, 2)), mailer=smtp.mailer)
    assert (result.emailed, result.failed) == (1, 1)
    statuses = {r.recipient.username: (r.email_status, r.email_error.split(":")[0]) for r in rows()}
    assert statuses == {"case_officer": ("sent", ""), "officer_b": ("failed", "SMTPRecipientsRefused")}
    assert [rcpt for rcpt, _ in smtp.inbox.messages] == [address(officer)]


def test_an_unreachable_smtp_server_is_a_failure_not_a_crash(org, travel):
    give_email(org.users["case_officer"])
    org.open_case()
    nobody = SmtpMailer("127.0.0.1", free_port(), timeout=5)
    result = run_once(db.session, now=at(date(2026, 4, 1)), mailer=nobody)
    assert (count_rows(), result.failed, result.emailed) == (1, 1, 0)
    assert rows()[0].email_status == "failed"


def test_a_second_scheduler_during_the_first_ones_send_sends_nothing_twice(app, org, travel, smtp):
    """Deterministic interleaving: scheduler 2 runs a whole pass while scheduler 1 is inside its first SMTP call."""
    some_due_items(org)
    now = at(date(2026, 3, 2))
    second = {}

    class Interleaved:
        calls = 0

        def send(self, to, subject, body):
            Interleaved.calls += 1
            if Interleaved.calls == 1:
                with app.app_context():  # another process: its own session
                    second["result"] = run_once(db.session, now=now, mailer=smtp.mailer)
            smtp.mailer.send(to, subject, body)

    first = run_once(db.session, now=now, mailer=Interleaved())
    assert first.emailed == 1
    assert (second["result"].sent, second["result"].skipped, second["result"].emailed) == (0, 4, 3)
    assert Interleaved.calls == 1
    assert [r.email_status for r in rows()] == ["sent"] * 4
    assert len(smtp.inbox.messages) == 4
    assert all(n == 1 for n in smtp.inbox.per_recipient_subject().values())


def many_due_items(org):
    """Ten sanctions in unit B told to its four officers, three stale cases told to their opener."""
    officers = [org.users["case_officer"], org.officer_b, new_user("officer_c"), new_user("officer_d")]
    give_email(*officers)
    names = "甲乙丙丁戊己庚辛壬癸"
    for i, name in enumerate(names):
        sanction(org.cadre(unit=org.unit_b, name=f"干部{name}"), date(2026, 3, 10) + timedelta(days=i))
    for _ in range(3):
        org.open_case(cadre=org.cadre(unit=org.unit_b, name="案件"), post=org.post_b, officer=org.officer_b)
    return len(names) * len(officers) + 3


def two_schedulers(app, now, mailer):
    """Two scheduler threads, each with its own app context and session, released at the same moment."""
    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def scheduler(index):
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results[index] = run_once(db.session, now=now, mailer=mailer)
        except BaseException as exc:  # reported by the test (a KeyboardInterrupt too)
            errors.append(repr(exc))

    threads = [threading.Thread(target=scheduler, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_schedulers_at_the_same_moment_send_each_reminder_once(app, org, travel, smtp, round_):
    expected = many_due_items(org)
    results = two_schedulers(app, at(date(2026, 4, 1), minute=round_), smtp.mailer)
    all_rows = rows()
    assert len(all_rows) == expected
    assert len({(r.kind, r.subject, r.due_on, r.recipient_id) for r in all_rows}) == expected
    assert sum(r.emailed for r in results) == expected and sum(r.failed for r in results) == 0
    assert all(r.email_status == "sent" and r.email_attempts == 1 for r in all_rows)
    assert len(smtp.inbox.messages) == expected
    assert all(n == 1 for n in smtp.inbox.per_recipient_subject().values())
    # A third pass, later, by either of them: nothing more.
    run_once(db.session, now=at(date(2026, 4, 1), hour=12), mailer=smtp.mailer)
    assert count_rows() == expected and len(smtp.inbox.messages) == expected


# --- what a pass reports ------------------------------------------------------------------------

def test_a_pass_counts_new_reminders_as_sent_and_existing_ones_as_skipped(org, travel, smtp):
    some_due_items(org)
    now = at(date(2026, 3, 2))
    first = run_once(db.session, now=now, mailer=smtp.mailer)
    second = run_once(db.session, now=now, mailer=smtp.mailer)
    assert (first.sent, first.skipped, first.failed, first.emailed) == (4, 0, 0, 4)
    assert (second.sent, second.skipped, second.failed, second.emailed) == (0, 4, 0, 0)
    assert first.line() == "sent: 4, skipped (already sent): 0, failed: 0, e-mailed: 4"


def test_two_schedulers_counts_add_up(app, org, travel, smtp):
    expected = many_due_items(org)
    results = two_schedulers(app, at(date(2026, 4, 1)), smtp.mailer)
    assert count_rows() == expected
    assert sum(r.sent for r in results) == expected
    assert sum(r.skipped for r in results) == expected, "each pass saw every reminder: created it or found it"


# --- escalation -------------------------------------------------------------------------------

def test_an_overdue_item_not_acted_on_is_escalated_to_the_units_supervisor(org, travel, smtp):
    chief = new_user("chief_a", "committee_secretary", ["A"])
    supervise(org.unit_a, chief)
    give_email(chief)
    case = org.open_case()  # stale on 04-01
    run_once(db.session, now=at(date(2026, 4, 3)), mailer=smtp.mailer)
    assert rows("stale_step.escalated") == [], "two days overdue: not yet"
    run_once(db.session, now=at(date(2026, 4, 4)), mailer=smtp.mailer)
    [escalated] = rows("stale_step.escalated")
    assert (escalated.recipient_id, escalated.subject, escalated.due_on, escalated.escalation) == (
        chief.id, f"case:{case.id}", date(2026, 4, 1), True)
    assert escalated.message.startswith("Escalation: Step time limit") and case.reference in escalated.message
    [message] = smtp.inbox.to(address(chief))
    assert message["Subject"].startswith("[Cadreflow] Escalation: ")
    assert f"Case: {case.reference}" in message.get_content()
    for day in (5, 6, 20):
        run_once(db.session, now=at(date(2026, 4, day)), mailer=smtp.mailer)
    assert count_rows() == 2
    assert len(smtp.inbox.to(address(chief))) == 1
    assert [r.recipient.username for r in rows("stale_step")] == ["case_officer"], "the officer's reminder is not repeated"


def test_escalation_goes_to_the_nearest_ancestors_supervisor(org, travel):
    chief = new_user("chief_root", "committee_secretary", ["R"])
    supervise(org.root, chief)  # unit A has none
    case = org.case_in("probation")
    end = case.probation_end
    run_once(db.session, now=at(end + timedelta(days=2)))
    assert rows("probation_ending.escalated") == []
    run_once(db.session, now=at(end + timedelta(days=3)))
    assert keys("probation_ending.escalated") == [("probation_ending.escalated", f"case:{case.id}", end, "chief_root")]


def test_the_units_own_supervisor_comes_before_the_ancestors(org, travel):
    supervise(org.root, new_user("chief_root", "committee_secretary", ["R"]))
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    org.open_case()
    run_once(db.session, now=at(date(2026, 4, 4)))
    assert [r.recipient.username for r in rows("stale_step.escalated")] == ["chief_a"]


def test_an_item_acted_on_in_time_is_not_escalated(org, travel):
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    case = org.open_case()
    run_once(db.session, now=at(date(2026, 4, 1)))
    travel.to(date(2026, 4, 3))
    advance(org, case, "select_for_inspection", "case_officer",
            {"team": ["李建国", "赵敏"], "notice_on": "2026-04-03", "plan": "考察方案"})
    for day in (4, 5, 10):
        run_once(db.session, now=at(date(2026, 4, day)))
    assert rows("stale_step.escalated") == []


def test_informational_items_are_never_escalated(org, travel):
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    case = org.case_in("publicity")
    sanction(org.cadre(name="韩七"), date(2026, 5, 1), "admonishment")
    run_once(db.session, now=at(date(2026, 5, 20)))
    assert {r.kind for r in rows()} == {"publicity_ending", "admonishment_ending"}
    assert not [r for r in rows() if r.escalation], [r.kind for r in rows() if r.escalation]
    assert case.publicity_end < date(2026, 5, 17)


def test_escalation_days_come_from_the_rule_set(org, travel):
    new_rule_set(escalation_days=5)
    supervise(org.unit_a, new_user("chief_a", "committee_secretary", ["A"]))
    org.open_case()
    run_once(db.session, now=at(date(2026, 4, 5)))
    assert rows("stale_step.escalated") == []
    run_once(db.session, now=at(date(2026, 4, 6)))
    assert len(rows("stale_step.escalated")) == 1


def test_no_supervisor_anywhere_means_no_escalation(org, travel):
    org.open_case()
    run_once(db.session, now=at(date(2026, 4, 10)))
    assert len(rows("stale_step")) == 1 and rows("stale_step.escalated") == []


def test_run_once_defaults_to_the_process_clock(org, travel):
    org.open_case()
    travel.to(date(2026, 3, 31))
    run_once(db.session)
    assert count_rows() == 0
    travel.to(date(2026, 4, 1))
    run_once(db.session)
    assert count_rows() == 1
    assert rows()[0].created_at == clock.now()


def test_only_case_officers_receive_reminders(org, travel):
    """Administrators, auditors, inspectors... of the root unit see everything but are not reminded."""
    org.open_case()
    sanction(org.cadre(name="杨八"), date(2026, 3, 20))
    run_once(db.session, now=at(date(2026, 4, 1)))
    assert {r.recipient.username for r in rows()} == {"case_officer"}
