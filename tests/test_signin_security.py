"""Sign-in and the HTTP layer, hardened (issue #8, item 3):

* passwords are argon2 hashes and never stored in clear;
* repeated failed sign-ins lock the username (5 in 15 minutes → 15 minutes) and the client address
  (20 in 15 minutes), unknown usernames exactly like known ones; every failure, lockout and
  refused attempt is an audit event and the chain still verifies;
* session cookie flags, idle sign-out after IDLE_MINUTES and the absolute SESSION_HOURS limit,
  on the travelling clock;
* a CSRF failure gives the typed form back (escaped, multi-valued fields kept, never passwords or
  the old token) with a fresh token, and submitting it saves;
* security headers on every response, and no inline script, event handler or style attribute
  on any page an administrator or a case officer can reach.

The session ``app`` has idle and absolute sign-out off (other tests travel days while signed in);
the tests here switch them on with ``monkeypatch``.
"""
import re
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from flask import request_finished
from sqlalchemy import select, text
from werkzeug.datastructures import MultiDict

from models import AuditEvent, Case, SigninAttempt, User, db
from web.config import from_environment
from workflow import accounts, signin
from workflow.audit_verify import verify
from workflow.clock import LOCAL_TZ

from .factories import PASSWORD

WRONG = "not-the-password"
LOCKED = "Too many failed sign-ins"


# --- helpers -----------------------------------------------------------------------------------

def body(response):
    return response.get_data(as_text=True)


def flashes(response):
    return re.findall(r'<div class="flash [a-z]+" role="status">([^<]*)</div>', body(response))


def kinds():
    return db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()


def events(kind):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()


def signed_in(web):
    return web.get("/cases").status_code == 200


def attempt(web, username, password, address=None, url="/login"):
    kwargs = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return web.post(url, {"username": username, "password": password}, **kwargs)


def chain_intact():
    verdict = verify(db.session)
    assert verdict.intact, verdict.sentence()
    return verdict


class Page(HTMLParser):
    """Every form as (action, method, [(name, value), ...]) in document order, and every tag's
    attributes and every script, for the checks below."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.forms, self.tags, self.scripts, self._form, self._script = [], [], [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "script":
            self._script = {"src": a.get("src"), "body": ""}
            self.scripts.append(self._script)

    def handle_data(self, data):
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "script":
            self._script = None


def resubmit_form(html):
    forms = [f for f in Page(html).forms if f["method"] == "post" and f["action"] not in ("/logout", "/language")]
    assert len(forms) == 1, forms
    return forms[0]


# --- 1. password storage ------------------------------------------------------------------------

def test_password_is_an_argon2_hash_and_never_stored_in_clear(web, org):
    secret = "Correct-Horse-9"
    user = accounts.create_user(db.session, "hashcheck", secret, "case_officer", ["R"])
    db.session.commit()
    assert user.password_hash.startswith("$argon2id$") and secret not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, secret)  # a standard argon2 hash, any cost
    assert accounts.hash_password(secret) != accounts.hash_password(secret)  # salted
    # Sign in once right and once wrong: neither password appears anywhere in the database, not in
    # the users, the attempts or the audit trail.
    assert attempt(web, "hashcheck", secret).status_code == 302
    web.post("/logout")
    assert attempt(web, "hashcheck", "Wrong-" + secret).status_code == 401
    for table in ("app_user", "signin_attempt", "audit_event"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        assert rows and not any(secret in str(row) for row in rows), table


def test_the_production_hasher_is_argon2id_with_sound_parameters():
    hasher = PasswordHasher()  # what workflow.accounts uses outside the tests
    assert hasher.type.name == "ID" and hasher.memory_cost >= 19 * 1024 and hasher.time_cost >= 2
    assert "_hasher = PasswordHasher()\n" in open(accounts.__file__, encoding="utf-8").read()  # the defaults, not tuned down


# --- 2. rate limiting and lockout ---------------------------------------------------------------

def test_five_failures_lock_the_username_for_fifteen_minutes(web, org, travel):
    for _ in range(4):
        response = attempt(web, "case_officer", WRONG)
        assert response.status_code == 401 and flashes(response) == ["Wrong username or password."]
    fifth = attempt(web, "case_officer", WRONG)
    assert fifth.status_code == 429 and fifth.headers["Retry-After"] == str(15 * 60)
    assert flashes(fifth)[0].startswith("Wrong username or password.")
    assert flashes(fifth)[1] == "Too many failed sign-ins: signing in is paused until 10:15 (Beijing time). Please try again then."

    travel.clock.advance(minutes=14, seconds=59)
    refused = attempt(web, "case_officer", PASSWORD)  # the right password, still refused
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert flashes(refused) == [flashes(fifth)[1]]
    assert not signed_in(web)

    travel.clock.advance(seconds=1)  # 10:15: the lockout is over
    assert attempt(web, "case_officer", PASSWORD).status_code == 302
    assert signed_in(web)
    assert [k for k in kinds() if k.startswith("login.")] == ["login.failure"] * 5 + ["login.lockout", "login.refused", "login.success"]
    lockout = events("login.lockout")[0]
    assert lockout.after["scope"] == "username" and lockout.after["username"] == "case_officer"
    assert lockout.after["locked_until"].startswith("2026-03-02T02:15:00")  # UTC
    assert lockout.after["failures"] == 5 and lockout.after["window_minutes"] == 15
    assert "locked until" in events("login.refused")[0].summary
    chain_intact()


def test_a_chinese_reader_is_told_in_chinese(web, org, travel):
    web.speak("zh")
    for _ in range(4):
        response = attempt(web, "case_officer", WRONG)
        assert response.status_code == 401 and flashes(response) == ["用户名或密码错误。"]
    fifth = attempt(web, "case_officer", WRONG)
    assert fifth.status_code == 429
    assert flashes(fifth) == ["用户名或密码错误。", "登录失败次数过多：登录已暂停至 10:15（北京时间），请届时再试。"]
    travel.clock.set(datetime(2026, 3, 2, 23, 55, tzinfo=LOCAL_TZ))  # a lockout ending on another day names it
    for _ in range(5):
        response = attempt(web, "auditor", WRONG)
    assert "登录已暂停至 2026-03-03 00:10（北京时间）" in flashes(response)[1]
    assert "Too many" not in body(response) and "Wrong username" not in body(response)


def test_an_unknown_username_behaves_exactly_like_a_known_one(web, org, travel):
    def run(username):
        seen = []
        for password in [WRONG] * 6 + [PASSWORD]:
            response = attempt(web, username, password)
            seen.append((response.status_code, flashes(response), response.headers.get("Retry-After")))
        return seen

    known, unknown = run("auditor"), run("nobody-here")
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * 4 + [429] * 3
    assert kinds().count("login.lockout") == 2 and kinds().count("login.refused") == 4


def test_username_case_and_spaces_do_not_buy_more_guesses(web, org):
    for username in ["Auditor", "auditor ", " AUDITOR", "auditor", "AuDiToR"]:
        response = attempt(web, username, WRONG)
    assert response.status_code == 429
    assert attempt(web, "auditor", PASSWORD).status_code == 429


def test_a_successful_sign_in_resets_the_count(web, org):
    for _ in range(4):
        assert attempt(web, "inspector", WRONG).status_code == 401
    assert attempt(web, "inspector", PASSWORD).status_code == 302
    web.post("/logout")
    for _ in range(4):
        assert attempt(web, "inspector", WRONG).status_code == 401
    assert attempt(web, "inspector", WRONG).status_code == 429


def test_failures_older_than_the_window_do_not_count(web, org, travel):
    for _ in range(4):
        assert attempt(web, "inspector", WRONG).status_code == 401
    travel.clock.advance(minutes=15, seconds=1)
    for _ in range(4):
        assert attempt(web, "inspector", WRONG).status_code == 401
    assert attempt(web, "inspector", WRONG).status_code == 429


def test_after_a_lockout_the_count_starts_afresh(web, org, travel):
    for _ in range(5):
        attempt(web, "inspector", WRONG)
    travel.clock.advance(minutes=15)
    assert attempt(web, "inspector", WRONG).status_code == 401  # not locked again at once
    assert attempt(web, "inspector", PASSWORD).status_code == 302


def test_one_address_cannot_spray_many_usernames(web, org, travel):
    spray, elsewhere = "198.51.100.7", "203.0.113.5"
    for i in range(18):
        assert attempt(web, f"user{i}", WRONG, address=spray).status_code == 401
    # A success from the address does not reset its count: one's own account buys no more guesses.
    assert attempt(web, "auditor", PASSWORD, address=spray).status_code == 302
    web.post("/logout")
    assert attempt(web, "user18", WRONG, address=spray).status_code == 401
    twentieth = attempt(web, "user19", WRONG, address=spray)
    assert twentieth.status_code == 429 and LOCKED in body(twentieth)
    lockout = events("login.lockout")[-1]
    assert {k: v for k, v in lockout.after.items() if k != "locked_until"} == {
        "scope": "address", "username": "user19", "address": spray, "failures": 20, "window_minutes": 15}
    # Even a real user with the right password is refused from that address; from another it works.
    assert attempt(web, "inspector", PASSWORD, address=spray).status_code == 429
    assert attempt(web, "inspector", PASSWORD, address=elsewhere).status_code == 302
    web.post("/logout")
    travel.clock.advance(minutes=15)
    assert attempt(web, "inspector", PASSWORD, address=spray).status_code == 302
    chain_intact()


def test_the_limits_come_from_the_configuration(web, org, app, monkeypatch, travel):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES", 2)
    monkeypatch.setitem(app.config, "SIGNIN_LOCKOUT_MINUTES", 60)
    assert attempt(web, "auditor", WRONG).status_code == 401
    locked = attempt(web, "auditor", WRONG)
    assert locked.status_code == 429 and "paused until 11:00" in body(locked)
    travel.clock.advance(minutes=59)
    assert attempt(web, "auditor", PASSWORD).status_code == 429
    travel.clock.advance(minutes=1)
    assert attempt(web, "auditor", PASSWORD).status_code == 302


def test_the_configuration_defaults_and_a_bad_value(monkeypatch, tmp_path):
    for name in ("IDLE_MINUTES", "SIGNIN_MAX_FAILURES", "SIGNIN_ADDRESS_MAX_FAILURES", "SIGNIN_WINDOW_MINUTES",
                 "SIGNIN_LOCKOUT_MINUTES", "SESSION_COOKIE_SECURE", "SESSION_HOURS", "HSTS_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    config = from_environment(str(tmp_path))
    assert (config["IDLE_MINUTES"], config["SIGNIN_MAX_FAILURES"], config["SIGNIN_ADDRESS_MAX_FAILURES"],
            config["SIGNIN_WINDOW_MINUTES"], config["SIGNIN_LOCKOUT_MINUTES"]) == (30, 5, 20, 15, 15)
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert signin.Limits.from_config(config) == signin.Limits()
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax" and not config["SESSION_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_SAMESITE"] == "Lax" and not config["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("IDLE_MINUTES", "0")
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"] and config["IDLE_MINUTES"] == 0
    monkeypatch.setenv("SIGNIN_MAX_FAILURES", "five")
    with pytest.raises(ValueError, match="SIGNIN_MAX_FAILURES must be a whole number above 0, not 'five'"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("SIGNIN_MAX_FAILURES", "0")
    with pytest.raises(ValueError, match="SIGNIN_MAX_FAILURES"):
        from_environment(str(tmp_path))


def test_empty_or_overlong_input_is_a_4xx_and_counts_nothing(web, org):
    assert web.post("/login", {"username": "", "password": ""}).status_code == 422
    assert web.post("/login", {"username": "x" * 61, "password": WRONG}).status_code == 422
    assert web.post("/login", {"username": "auditor", "password": "p" * 201}).status_code == 422
    assert db.session.scalars(select(SigninAttempt)).all() == []


def test_old_attempt_rows_are_pruned_but_the_audit_trail_keeps_them(web, org, travel):
    for _ in range(3):
        attempt(web, "auditor", WRONG)
    travel.days(2)
    attempt(web, "inspector", WRONG)
    rows = db.session.scalars(select(SigninAttempt)).all()
    assert [(r.username, r.outcome) for r in rows] == [("inspector", "failure")]
    assert kinds().count("login.failure") == 4


def test_authenticate_keeps_its_old_contract(app, org):
    assert accounts.authenticate(db.session, "auditor", PASSWORD, "127.0.0.1").username == "auditor"
    assert accounts.authenticate(db.session, "auditor", WRONG, "127.0.0.1") is None
    inactive = db.session.scalars(select(User).where(User.username == "inspector")).one()
    inactive.active = False
    db.session.commit()
    assert accounts.authenticate(db.session, "inspector", PASSWORD) is None


# --- 3. cookies, idle and absolute sign-out -----------------------------------------------------

def test_session_cookie_flags(web, org, app, monkeypatch):
    cookie = attempt(web, "auditor", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in web.get("/login").headers
    web.post("/logout")
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    cookie = attempt(web, "auditor", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "; Secure" in cookie
    assert web.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_sign_in_rotates_the_csrf_token(web, org):
    before = web.token()
    attempt(web, "auditor", PASSWORD)
    assert web.token() != before


@pytest.fixture
def timeouts(app, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(hours=8))


def test_an_idle_session_is_signed_out_and_comes_back_to_the_page(web, org, travel, timeouts):
    attempt(web, "case_officer", PASSWORD)
    travel.clock.advance(minutes=29)
    assert web.get("/cadres?q=x").status_code == 200
    travel.clock.advance(minutes=30)  # 59 minutes since signing in, 30 since the last request
    assert web.get("/cadres?q=x").status_code == 200
    travel.clock.advance(minutes=30, seconds=1)
    response = web.get("/cadres?q=x")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/cadres?q=x"]
    login_page = web.get("/login")
    assert "You were signed out after 30 minutes without activity; please sign in again." in body(login_page)
    assert not signed_in(web)
    again = web.post(response.headers["Location"], {"username": "case_officer", "password": PASSWORD})
    assert again.status_code == 302 and again.headers["Location"] == "/cadres?q=x"
    assert web.get("/cadres?q=x").status_code == 200


def test_an_idle_post_is_signed_out_and_sent_back_to_the_form_page(web, org, travel, timeouts):
    attempt(web, "case_officer", PASSWORD)
    token = web.token()  # the form was loaded, then left alone
    travel.clock.advance(minutes=31)
    response = web.client.post("/account", data={"email": "a@example.org", "csrf_token": token},
                               headers={"Referer": "http://localhost/account?x=1"})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/account?x=1"]
    assert not signed_in(web)
    assert db.session.scalars(select(User).where(User.username == "case_officer")).one().email == ""  # nothing saved
    # A Referer from another site is never a place to come back to.
    attempt(web, "case_officer", PASSWORD)
    token = web.token()
    travel.clock.advance(minutes=31)
    response = web.client.post("/account", data={"email": "a@example.org", "csrf_token": token},
                               headers={"Referer": "http://evil.example/account"})
    assert response.status_code == 302 and "next" not in parse_qs(urlsplit(response.headers["Location"]).query)


def test_the_sign_out_reasons_in_chinese(web, org, travel, timeouts):
    web.speak("zh")
    attempt(web, "case_officer", PASSWORD)
    travel.clock.advance(minutes=31)
    assert web.get("/cases").status_code == 302
    assert "您已连续 30 分钟未操作，系统已自动退出登录，请重新登录。" in flashes(web.get("/login"))
    attempt(web, "case_officer", PASSWORD)
    for _ in range(8 * 3):
        travel.clock.advance(minutes=20)
        assert web.get("/cases").status_code == 200
    travel.clock.advance(seconds=1)
    assert web.get("/cases").status_code == 302
    assert flashes(web.get("/login")) == ["每次登录最长有效 8 小时，系统已自动退出登录，请重新登录。"]
    web.get("/login")
    attempt(web, "case_officer", PASSWORD)
    web.post("/logout")
    assert flashes(web.get("/login")) == ["您已退出登录。"]
    response = web.get("/cases")  # a page that needs signing in
    assert response.status_code == 302 and flashes(web.get("/login")) == ["请先登录再继续。"]


def test_an_idle_visit_to_the_sign_in_page_just_shows_it(web, org, travel, timeouts):
    attempt(web, "case_officer", PASSWORD)
    travel.clock.advance(minutes=31)
    response = web.get("/login")
    assert response.status_code == 200 and "You were signed out after 30 minutes" in body(response)
    assert not signed_in(web)


def test_the_absolute_session_lifetime_holds_however_busy(web, org, travel, timeouts):
    attempt(web, "auditor", PASSWORD)
    for _ in range(8 * 3):
        travel.clock.advance(minutes=20)
        assert web.get("/cases").status_code == 200
    travel.clock.advance(seconds=1)
    response = web.get("/cases")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert "a sign-in lasts at most 8 hours" in body(web.get("/login"))


def test_idle_sign_out_can_be_turned_off(web, org, travel, app, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_MINUTES", 0)
    attempt(web, "auditor", PASSWORD)
    travel.clock.advance(hours=5)
    assert signed_in(web)


def test_static_files_are_left_to_the_idle_check_of_the_next_page(web, org, travel, timeouts):
    attempt(web, "auditor", PASSWORD)
    travel.clock.advance(minutes=31)
    assert web.get("/static/app.css").status_code == 200
    response = web.get("/report")  # any page, public ones too, ends the idle session first
    assert response.status_code == 302 and parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/report"]


# --- 4. a CSRF failure keeps the typed form -----------------------------------------------------

TYPED = 'Fill the post <script>alert("x")</script> & \'quotes\'\r\n第二行 second line'


def test_a_csrf_failure_gives_the_typed_form_back_and_submitting_it_saves(web, org, app):
    cadre = org.cadre(name="王五")
    web.login("case_officer")
    data = MultiDict([("cadre_id", str(cadre.id)), ("target_position_id", str(org.post_a.id)), ("source", "organization"),
                      ("work_plan", TYPED), ("evidence", ""), ("tag", "一"), ("tag", "二 & <two>"), ("tag", "")])
    before = db.session.scalar(select(db.func.count()).select_from(Case))
    failed = web.client.post("/cases/new", data=data)  # no csrf_token: as after a lost session
    assert failed.status_code == 400
    html = body(failed)
    assert "The form's security token was missing or has expired. Nothing was saved yet." in unescape(html)
    assert "What you typed is kept below" in html and "What you typed (8)" in html
    assert "Submit again</button>" in html and "← Back" not in html  # no Referer, no back link
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;" in html
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == before

    form = resubmit_form(html)
    assert form["action"] == "/cases/new"
    fields = [(k, v) for k, v in form["fields"] if k != "csrf_token"]
    assert fields == list(data.items(multi=True))  # every value, in order, exactly (CR LF too)
    assert dict(form["fields"])["csrf_token"]  # a fresh token (it is valid: the save below works)

    seen = []

    def record(sender, response, **_):
        from flask import request

        seen.append(request.form.getlist("tag"))

    request_finished.connect(record, app)
    try:
        saved = web.client.post(form["action"], data=MultiDict(form["fields"]))
    finally:
        request_finished.disconnect(record, app)
    assert seen == [["一", "二 & <two>", ""]]
    assert saved.status_code == 302 and re.search(r"/cases/\d+$", saved.headers["Location"])
    case = db.session.get(Case, int(saved.headers["Location"].rsplit("/", 1)[1]))
    assert case.cadre_id == cadre.id and case.state == "nomination"
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == before + 1


def test_a_csrf_failure_never_echoes_passwords_or_the_old_token(web, org):
    web.login("case_officer")
    response = web.client.post("/account", data={"email": "me@example.org", "password": "Sup3r-Secret", "new_password": "Other-S3cret",
                                                 "csrf_token": "forged-token-value"},
                               headers={"Referer": "http://localhost/account"})
    assert response.status_code == 400
    html = body(response)
    assert "Sup3r-Secret" not in html and "Other-S3cret" not in html and "forged-token-value" not in html
    assert "Passwords are never carried over" in html
    assert '<a href="/account">← Back</a>' in html
    fields = resubmit_form(html)["fields"]
    assert [k for k, _ in fields] == ["csrf_token", "email"]


def test_a_csrf_failure_in_chinese_keeps_the_form_too(web, org):
    cadre = org.cadre(name="王五")
    web.login("case_officer")
    web.speak("zh")
    data = MultiDict([("cadre_id", str(cadre.id)), ("target_position_id", str(org.post_a.id)), ("source", "organization"),
                      ("work_plan", TYPED), ("evidence", ""), ("password", "Sup3r-Secret")])
    failed = web.client.post("/cases/new", data=data, headers={"Referer": "http://localhost/cases/new"})
    assert failed.status_code == 400
    html = body(failed)
    assert '<html lang="zh-CN">' in html and "<h1>请求无法处理</h1>" in html
    assert "表单安全校验失败：安全令牌缺失或已过期，本次尚未保存任何内容。" in html
    assert "您填写的内容已保留在下方：请核对后点击“重新提交”进行保存。" in html
    assert "密码从不会被保留，请重新输入。" in html and "Sup3r-Secret" not in html
    assert "重新提交</button>" in html and "您填写的内容（5 项）" in html
    assert '<a href="/cases/new">← 返回</a>' in html and "案件列表" in html
    assert "security token" not in html and "Submit again" not in html
    form = resubmit_form(html)
    saved = web.client.post(form["action"], data=MultiDict(form["fields"]))
    assert saved.status_code == 302 and re.search(r"/cases/\d+$", saved.headers["Location"])
    # Posted from another site: no form back, the plain advice in Chinese.
    foreign = web.client.post("/cases/new", data=data, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 400
    assert "表单安全校验失败：安全令牌缺失或已过期，本次尚未保存任何内容。请返回并刷新页面后重新提交；" in body(foreign)


def test_a_signed_out_person_is_told_in_chinese_how_to_keep_the_form(web, org):
    web.speak("zh")
    response = web.client.post("/cases/new", data={"work_plan": "typed while signed out"})
    assert response.status_code == 400
    assert "您当前未登录：请先在另一个标签页或窗口中登录，再回到此页点击“重新提交”" in body(response)


def test_a_prefixed_form_gets_its_token_back_under_its_own_name(web, org):
    case = org.open_case()
    web.login("case_officer")
    data = {"withdraw-reason": "Withdrawn by the committee.", "withdraw-version": str(case.version)}
    response = web.client.post(f"/cases/{case.id}/act/withdraw", data=data)
    assert response.status_code == 400
    form = resubmit_form(body(response))
    names = [k for k, _ in form["fields"]]
    assert names[:2] == ["csrf_token", "withdraw-csrf_token"]
    again = web.client.post(form["action"], data=MultiDict(form["fields"]))
    assert again.status_code == 302
    assert db.session.get(Case, case.id).state == "withdrawn"


def test_a_form_posted_from_another_site_gets_no_form_back(web, org):
    web.login("case_officer")
    data = {"work_plan": "forged", "source": "organization"}
    foreign = web.client.post("/cases/new", data=data, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 400 and "security token" in body(foreign)
    assert "Submit again" not in body(foreign) and "forged" not in body(foreign)
    referred = web.client.post("/cases/new", data=data, headers={"Referer": "http://evil.example/x"})
    assert referred.status_code == 400 and "Submit again" not in body(referred)
    own = web.client.post("/cases/new", data=data, headers={"Origin": "http://localhost"})
    assert own.status_code == 400 and "Submit again" in body(own)


def test_a_signed_out_person_is_told_how_to_keep_the_form(web, org):
    response = web.client.post("/cases/new", data={"work_plan": "typed while signed out"})
    assert response.status_code == 400
    assert "You are not signed in at the moment: sign in in another tab or window first" in body(response)
    assert ("work_plan", "typed while signed out") in resubmit_form(body(response))["fields"]


def test_the_sign_in_page_in_chinese_and_its_form_after_a_csrf_failure(web, org):
    web.speak("zh")
    page = body(web.get("/login"))
    assert "<h1>登录</h1>" in page and ">用户名</label>" in page and ">密码</label>" in page and "登录</button>" in page
    empty = web.post("/login", {"username": "", "password": ""})
    assert empty.status_code == 422 and "请输入用户名。" in body(empty) and "请输入密码。" in body(empty)
    response = web.client.post("/login", data={"username": "auditor", "password": "test-pass-123"})
    assert response.status_code == 400
    html = body(response)
    assert "表单安全校验失败：安全令牌缺失或已过期，本次尚未保存任何内容。请重新输入密码登录。" in html
    assert "test-pass-123" not in html and 'value="auditor"' in html and "Sign in" not in html


def test_the_sign_in_form_comes_back_without_the_password(web, org):
    response = web.client.post("/login?next=/cadres", data={"username": "auditor", "password": "test-pass-123"})
    assert response.status_code == 400
    html = body(response)
    assert "test-pass-123" not in html and 'value="auditor"' in html
    assert "The form's security token was missing or has expired. Nothing was saved yet. Please type your password again." in unescape(html)
    form = resubmit_form(html)
    assert form["action"] is None  # posts back to /login?next=/cadres
    token = dict(form["fields"])["csrf_token"]
    again = web.client.post("/login?next=/cadres", data={"csrf_token": token, "username": "auditor", "password": PASSWORD})
    assert again.status_code == 302 and again.headers["Location"] == "/cadres"


# --- 5. security headers, and nothing inline on any page ----------------------------------------

EXPECTED_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_hardened(url, response):
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, (url, name, response.headers.get(name))
    assert "camera=()" in response.headers["Permissions-Policy"], url
    if response.status_code == 200 and response.mimetype == "text/html":
        html = body(response)
        page = Page(html)
        assert [s for s in page.scripts if s["body"].strip() or not s["src"]] == [], (url, "inline <script>")
        for tag, attrs in page.tags:
            for name, value in attrs:
                assert not name.startswith("on"), (url, tag, name)
                assert name != "style", (url, tag, value)
                assert not (value or "").strip().lower().startswith("javascript:"), (url, tag, name)
            assert tag != "style", (url, "inline <style>")
        assert not re.search(r"<[a-z]+[^>]*\s(on[a-z]+|style)\s*=", html, re.I), url  # also what a parser might skip


def get_pages(app, org):
    case = org.case_in("publicity")
    adjustment = org.open_adjustment()
    cadre = case.cadre
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            urls.append(rule.rule)
    urls += [f"/cases/{case.id}", f"/cases/{case.id}/record", f"/cases/{adjustment.id}", f"/cadres/{cadre.id}",
             f"/cadres/{cadre.id}/edit", "/cases/new?track=adjustment", "/cases/999999", "/no/such/page", "/static/app.css"]
    return sorted(set(urls))


@pytest.mark.parametrize("role", ["administrator", "case_officer", None])
def test_every_page_has_the_security_headers_and_nothing_inline(web, org, app, role):
    urls = get_pages(app, org)
    assert {"/cases", "/cadres", "/deadlines", "/account", "/login", "/report", "/healthz"} <= set(urls)
    if role:
        web.login(role)
    statuses = {}
    for url in urls:
        response = web.get(url)
        statuses[url] = response.status_code
        assert_hardened(url, response)
        if url == "/static/app.css":
            assert "no-store" not in response.headers.get("Cache-Control", "")
        else:
            assert response.headers["Cache-Control"] == "no-store", url
    if role:
        assert statuses["/cases"] == 200 and statuses[[u for u in urls if u.startswith("/cases/") and u.endswith("/record")][0]] == 200
    ok = [u for u, s in statuses.items() if s == 200]
    assert len(ok) >= (12 if role else 5), statuses


def test_error_and_refusal_responses_are_hardened_too(web, org):
    assert_hardened("/login POST", web.post("/login", {"username": "x", "password": "y"}))
    assert_hardened("csrf", web.client.post("/login", data={}))
    assert_hardened("405", web.get("/logout"))


# --- 6. audit ------------------------------------------------------------------------------------

def test_lockouts_and_refusals_are_audited_with_who_where_and_until_when(web, org, travel):
    for _ in range(6):
        attempt(web, "secretary-typo", WRONG, address="192.0.2.10")
    failures, lockouts, refused = events("login.failure"), events("login.lockout"), events("login.refused")
    assert len(failures) == 5 and len(lockouts) == 1 and len(refused) == 1
    assert all(e.actor_id is None for e in failures + lockouts + refused)
    assert refused[0].after == {"username": "secretary-typo", "address": "192.0.2.10", "locked_until": lockouts[0].after["locked_until"]}
    assert "Sign-in locked for username 'secretary-typo'" in lockouts[0].summary and "192.0.2.10" in refused[0].summary
    assert WRONG not in str([(e.summary, e.before, e.after) for e in failures + lockouts + refused])
    verdict = chain_intact()
    assert verdict.checked == len(kinds())


def test_the_back_link_of_an_error_page_stays_on_this_site(web, org):
    web.login("auditor")
    own = body(web.get("/no/such/page", headers={"Referer": "http://localhost/cadres?q=%E5%BC%A0"}))
    assert '<a href="/cadres?q=%E5%BC%A0">← Back</a>' in own
    for referrer in ("http://evil.example/cases", "javascript:alert(1)", "//evil.example/x", "http://localhost.evil.example/x"):
        assert "← Back" not in body(web.get("/no/such/page", headers={"Referer": referrer})), referrer


def test_error_pages_speak_the_readers_language(web, org):
    web.login("auditor")
    english = body(web.get("/no/such/page"))
    assert "<h1>Not found</h1>" in english and "The requested URL was not found on the server." in english
    web.speak("zh")
    missing = web.get("/no/such/page", headers={"Referer": "http://localhost/cadres"})
    html = body(missing)
    assert missing.status_code == 404 and "<h1>未找到</h1>" in html
    assert "服务器上没有找到所请求的网址。" in html and '<a href="/cadres">← 返回</a>' in html
    assert "requested URL" not in html and "Not found" not in html
    wrong_method = web.get("/logout")
    assert wrong_method.status_code == 405 and "此处不支持该操作" in body(wrong_method)
    assert "所请求的网址不支持这种请求方式。" in body(wrong_method)


@pytest.mark.parametrize("username", ["a\x00b", "\x00", "auditor\x00", "tab\tname", "ünï码\u202e"])
def test_control_characters_in_the_username_are_a_plain_failure(web, org, username):
    response = attempt(web, username, WRONG + "\x00")
    assert response.status_code in (401, 422)
    assert "\x00" not in "".join(db.session.scalars(select(SigninAttempt.username)).all())
    chain_intact()


def test_pages_answered_before_any_view_follow_a_change_of_language_at_once(web, org):
    """The CSRF failure page and the input guard's 400 answer before Flask-Babel's own refresh: they
    must still be in this request's language, not the previous one's (tests keep one app context)."""
    assert "Staff sign in" in body(web.get("/login"))
    web.speak("zh")
    failed = web.client.post("/cases/new", data={"work_plan": "typed"})
    assert failed.status_code == 400 and "重新提交</button>" in body(failed) and "Submit again" not in body(failed)
    web.speak("en")
    refused = web.client.get("/cases?q=%00")
    assert refused.status_code == 400 and "cannot be stored" in body(refused) and "无法保存" not in body(refused)


# --- an operator lifts a lockout (flask users unlock) -------------------------------------------

def test_an_operator_lifts_a_username_lockout_and_the_count_starts_afresh(web, org, app, travel):
    for _ in range(5):
        attempt(web, "case_officer", WRONG)
    assert attempt(web, "case_officer", PASSWORD).status_code == 429
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "unlock", "Case_Officer", "--by", "Li Ming, identity checked by phone"])
    assert result.exit_code == 0, result.output
    assert result.output == "Lockout lifted for username 'case_officer' (it ran until 2026-03-02T02:15:00+00:00).\n"
    lifted = events("login.unlocked")
    assert len(lifted) == 1 and lifted[0].actor_id is None
    assert lifted[0].summary.endswith("by Li Ming, identity checked by phone")
    assert lifted[0].after["scope"] == "username" and lifted[0].after["by"] == "Li Ming, identity checked by phone"
    assert attempt(web, "case_officer", PASSWORD).status_code == 302, "signed in before the lockout ran out"
    web.post("/logout")
    for _ in range(4):  # the count started afresh: four failures lock nothing
        assert attempt(web, "case_officer", WRONG).status_code == 401
    again = runner.invoke(args=["users", "unlock", "case_officer"])
    assert again.exit_code == 0 and again.output == "No lockout is in force for username 'case_officer'.\n"
    assert len(events("login.unlocked")) == 1, "nothing lifted, nothing recorded"
    chain_intact()


def test_an_operator_lifts_an_address_lockout_and_must_name_something(web, org, app, travel):
    spray = "198.51.100.7"
    for i in range(20):
        attempt(web, f"user{i}", WRONG, address=spray)
    assert attempt(web, "inspector", PASSWORD, address=spray).status_code == 429
    runner = app.test_cli_runner()
    nothing = runner.invoke(args=["users", "unlock"])
    assert nothing.exit_code == 1 and "Name a username or a client address." in nothing.output
    result = runner.invoke(args=["users", "unlock", "--address", spray])
    assert result.exit_code == 0 and result.output.startswith(f"Lockout lifted for address {spray} ")
    assert attempt(web, "inspector", PASSWORD, address=spray).status_code == 302
    assert [e.after["address"] for e in events("login.unlocked")] == [spray]
    chain_intact()
