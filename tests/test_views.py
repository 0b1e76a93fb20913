"""The web layer through Flask's test client: sign-in, lists, the case page and its actions,
cadre records, the admin calendar, escaping and the health check.

Forms are read from the rendered HTML and posted back as a browser would (hidden version,
CSRF token, defaults), so what is tested is what a person can actually do with the pages.
"""
import re
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from alembic.script import ScriptDirectory
from babel.dates import format_date
from sqlalchemy import func, select

from models import AuditEvent, Cadre, CalendarOverride, CalendarYear, Case, Objection, StepRecord, db
from workflow import door
from workflow.registry import workflow_for

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- reading pages and forms as a browser does ----------------------------------------------

class _FormParser(HTMLParser):
    """Collects every <form> with the values a browser would submit (no submit buttons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._textarea, self._select = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value") or "on"
            elif kind not in ("submit", "button", "image", "reset"):
                fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = value

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea:
            value = self._form["fields"][self._textarea]
            self._form["fields"][self._textarea] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"] if self._select["chosen"] is not None else self._select["first"]
            if self._form is not None and chosen is not None:
                self._form["fields"][self._select["name"]] = chosen
            self._select = None


def forms_of(html):
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html, field=None, action_ends=None):
    for form in forms_of(html):
        if field is not None and field not in form["fields"]:
            continue
        if action_ends is not None and not (form["action"] or "").endswith(action_ends):
            continue
        return form
    raise AssertionError(f"no form with field={field!r} action={action_ends!r} on the page")


def text(response):
    return response.get_data(as_text=True)


def shown_date(day, lang="en"):
    """A date as the pages show it to a reader of that language: Mar 9, 2026 / 2026年3月9日."""
    return format_date(day, "medium", locale="zh_Hans_CN" if lang == "zh" else "en")


def get_ok(web, url):
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code, text(response)[:2000])
    return text(response)


def section(html, element_id):
    match = re.search(rf'<(section|details)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no #{element_id} on the page"
    return match.group(2)


def offered_actions(html):
    return set(re.findall(r'/cases/\d+/act/([a-z_]+)"', html))


def listed_case_ids(html):
    return [int(i) for i in re.findall(r'<td><a href="/cases/(\d+)">', html)]


def listed_cadre_ids(html):
    return [int(i) for i in re.findall(r'<td><a href="/cadres/(\d+)">', html)]


def act(web, case_id, trigger, values, version=None):
    """Open the case page, fill the action's form like a person, submit it."""
    html = get_ok(web, f"/cases/{case_id}")
    form = form_with(html, action_ends=f"/cases/{case_id}/act/{trigger}")
    data = dict(form["fields"])
    data.update({f"{trigger}-{key}": value for key, value in values.items()})
    if version is not None:
        data[f"{trigger}-version"] = str(version)
    return web.client.post(form["action"], data=data)


def assert_recorded(response, case_id):
    assert response.status_code == 302, (response.status_code, text(response)[:3000])
    assert response.headers["Location"].endswith(f"/cases/{case_id}#timeline")


# --- what is in the database, seen from a connection of its own -------------------------------

def snapshot():
    """Committed rows, as another user would see them, and nothing left pending in the request's session
    (a later commit would write it). Used to prove that a refused request wrote nothing."""
    pending = (len(db.session.new), sum(db.session.is_modified(o) for o in db.session.dirty), len(db.session.deleted))
    with db.engine.connect() as conn:
        counts = {m.__name__: conn.scalar(select(func.count()).select_from(m))
                  for m in (Case, StepRecord, AuditEvent, Objection, Cadre, CalendarOverride, CalendarYear)}
        cases = conn.execute(select(Case.id, Case.state, Case.version).order_by(Case.id)).all()
        cadres = conn.execute(select(Cadre.id, Cadre.name, Cadre.version).order_by(Cadre.id)).all()
    return counts, [tuple(r) for r in cases], [tuple(r) for r in cadres], pending


def case_row(case_id):
    with db.engine.connect() as conn:
        return conn.execute(select(Case.state, Case.version).where(Case.id == case_id)).one()


def audit_events(kind):
    with db.engine.connect() as conn:
        return conn.execute(select(AuditEvent.before, AuditEvent.after, AuditEvent.actor_id)
                            .where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()


# --- signing in and out -------------------------------------------------------------------------

def test_login_page_has_labelled_fields(web):
    html = get_ok(web, "/login")
    assert '<label for="username">' in html and '<label for="password">' in html
    assert 'type="password"' in html


def test_login_success_redirects_to_the_cases(web, org):
    response = web.login("case_officer")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert urlsplit(web.get("/").headers["Location"]).path == "/cases"
    html = get_ok(web, "/cases")
    assert "case officer" in html and "Sign out" in html
    assert len(audit_events("login.success")) == 1


@pytest.mark.parametrize("username,password", [("case_officer", "wrong-password"), ("nobody", "test-pass-123")])
def test_login_failure_is_401_with_a_readable_message(web, org, username, password):
    response = web.login(username, password)
    assert response.status_code == 401
    html = text(response)
    assert "Wrong username or password" in html
    assert form_with(html, field="username")["fields"]["username"] == username  # the form is shown again, filled
    assert "test-pass-123" not in html and "wrong-password" not in html  # the password is never echoed
    assert len(audit_events("login.failure")) == 1
    assert urlsplit(web.get("/cases").headers["Location"]).path == "/login"  # still signed out


def test_login_with_empty_fields_names_what_is_missing(web, org):
    response = web.post("/login", {"username": "", "password": ""})
    assert response.status_code in (200, 400, 401, 422)
    html = text(response)
    assert "Enter your username" in html and "Enter your password" in html


def test_login_follows_a_local_next(web, org):
    response = web.post("/login?next=/cadres%3Fq%3Dx", {"username": "auditor", "password": "test-pass-123"})
    assert response.headers["Location"] == "/cadres?q=x"


@pytest.mark.parametrize("target", ["//evil.example/x", "/%5Cevil.example/x", "/%09/evil.example/x",
                                    "https://evil.example/x", "javascript:alert(1)", "/%0D%0A/evil.example"])
def test_login_never_redirects_off_site(web, org, target):
    response = web.post(f"/login?next={target}", {"username": "auditor", "password": "test-pass-123"})
    assert response.status_code == 302
    # What a browser makes of the Location header (WHATWG URL parsing: '\\' is '/', tabs and newlines dropped).
    location = re.sub(r"[\t\r\n]", "", response.headers["Location"]).replace("\\", "/")
    assert not location.startswith("//"), response.headers["Location"]
    assert urlsplit(location).scheme in ("", "http") and urlsplit(location).netloc in ("", "localhost")


def test_logout_is_a_post(web, org):
    web.login("inspector")
    assert web.get("/logout").status_code == 405
    assert web.get("/cases").status_code == 200  # a GET did not sign out
    response = web.post("/logout")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert "signed out" in get_ok(web, "/login")
    assert urlsplit(web.get("/cases").headers["Location"]).path == "/login"


def test_logout_without_token_is_refused_and_keeps_the_session(web, org):
    web.login("inspector")
    assert web.client.post("/logout").status_code == 400
    assert web.get("/cases").status_code == 200


@pytest.mark.parametrize("url", ["/", "/cases", "/cases/1", "/cases/new", "/cadres", "/cadres/1", "/cadres/1/edit",
                                 "/admin/calendar", "/admin/rules"])
def test_anonymous_user_is_sent_to_login(web, org, url):
    response = web.get(url)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [url]
    assert "Please sign in" in get_ok(web, "/login")


def test_anonymous_post_of_an_action_writes_nothing(web, org):
    case = org.open_case()
    before = snapshot()
    response = web.post(f"/cases/{case.id}/act/withdraw", {"withdraw-reason": "x"}, prefix="withdraw")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert snapshot() == before


# --- the case list ------------------------------------------------------------------------------

@pytest.fixture
def three_cases(org, travel):
    """Alpha (A, nomination), Bravo (A, inspection), Charlie (B, nomination): updated in that order."""
    alpha = org.open_case(cadre=org.cadre(name="Alpha Zhang"))
    travel.days(1)
    bravo = org.drive(org.open_case(cadre=org.cadre(name="Bravo Li")), "inspection")
    travel.days(5)
    charlie = org.open_case(cadre=org.cadre(name="Charlie Wang", unit=org.unit_b), post=org.post_b)
    return alpha, bravo, charlie


def test_case_list_shows_every_case_in_scope(web, three_cases):
    alpha, bravo, charlie = three_cases
    web.login("auditor")
    html = get_ok(web, "/cases")
    assert sorted(listed_case_ids(html)) == sorted([alpha.id, bravo.id, charlie.id])
    assert alpha.reference in html and "Bravo Li" in html and "Bureau B" in html


@pytest.mark.parametrize("query,expected", [
    ("track=promotion", {"alpha", "bravo", "charlie"}),
    ("track=adjustment", set()),
    ("state=inspection", {"bravo"}),
    ("state=nomination", {"alpha", "charlie"}),
    ("unit=B", {"charlie"}),
    ("unit=A&state=nomination", {"alpha"}),
    ("q=Bravo", {"bravo"}),
    ("q=Wang", {"charlie"}),
    ("q=Nobody", set()),
    ("q=Alpha&state=inspection", set()),
])
def test_case_list_filters(web, org, three_cases, query, expected):
    ids = dict(zip(("alpha", "bravo", "charlie"), (c.id for c in three_cases), strict=True))
    query = query.replace("unit=A", f"unit={org.unit_a.id}").replace("unit=B", f"unit={org.unit_b.id}")
    web.login("case_officer")
    html = get_ok(web, f"/cases?{query}")
    assert set(listed_case_ids(html)) == {ids[name] for name in expected}
    if not expected:
        assert "No cases match these filters" in html


def test_case_list_filter_form_keeps_the_chosen_values(web, org, three_cases):
    web.login("case_officer")
    html = get_ok(web, f"/cases?state=inspection&unit={org.unit_a.id}&q=Bra")
    form = form_with(html, field="state")
    assert form["fields"]["state"] == "inspection"
    assert form["fields"]["unit"] == str(org.unit_a.id)
    assert form["fields"]["q"] == "Bra"


def test_case_list_of_an_officer_of_unit_b_shows_only_unit_b(web, org, three_cases):
    charlie = three_cases[2]
    web.login("officer_b")
    html = get_ok(web, "/cases")
    assert listed_case_ids(html) == [charlie.id]
    # Asking for unit A by its id gives nothing rather than unit A's cases.
    assert listed_case_ids(get_ok(web, f"/cases?unit={org.unit_a.id}")) == []
    unit_choices = re.search(r'<select[^>]*name="unit".*?</select>', html, re.S).group(0)
    assert "Bureau B" in unit_choices and "Bureau A" not in unit_choices and "Root City" not in unit_choices


def test_case_list_sorting(web, three_cases):
    alpha, bravo, charlie = three_cases
    web.login("case_officer")
    html = get_ok(web, "/cases")
    for key in ("reference", "cadre", "due", "updated"):
        assert f"sort={key}" in html
    assert listed_case_ids(html) == [charlie.id, bravo.id, alpha.id]  # default: last updated first
    by_name = get_ok(web, "/cases?sort=cadre")
    assert listed_case_ids(by_name) == [alpha.id, bravo.id, charlie.id]
    by_reference = get_ok(web, "/cases?sort=reference")
    assert listed_case_ids(by_reference) == [alpha.id, bravo.id, charlie.id]
    # The sort links keep the filters; the filter form keeps the sort.
    filtered = get_ok(web, "/cases?state=nomination&sort=cadre")
    assert listed_case_ids(filtered) == [alpha.id, charlie.id]
    link = re.search(r'href="([^"]*sort=reference[^"]*)"', filtered).group(1)
    assert "state=nomination" in link.replace("&amp;", "&")
    assert form_with(filtered, field="state")["fields"]["sort"] == "cadre"


def test_case_list_sorted_by_due_date_puts_cases_without_one_last(web, org, travel):
    early = org.open_case(cadre=org.cadre(name="Early"))
    closed = org.case_in("withdrawn", name="Closed")  # no deadline
    in_publicity = org.case_in("publicity", name="Publicised")
    travel.days(3)
    late = org.open_case(cadre=org.cadre(name="Late"))
    with db.engine.connect() as conn:
        due = dict(conn.execute(select(Case.id, Case.due_on)).all())
    assert due[closed.id] is None and len({due[c.id] for c in (early, in_publicity, late)}) == 3
    expected = sorted(due, key=lambda i: (due[i] is None, due[i] or date.max, -i))
    web.login("case_officer")
    html = get_ok(web, "/cases?sort=due")
    assert listed_case_ids(html) == expected
    assert listed_case_ids(html)[-1] == closed.id
    overdue_now = sum(1 for d in due.values() if d and d < travel.today)
    assert overdue_now < 3 and html.count('class="due overdue"') == overdue_now
    travel.to(max(d for d in due.values() if d) + timedelta(days=1))
    assert get_ok(web, "/cases?sort=due").count('class="due overdue"') == 3  # every open case is now late


def test_case_list_pagination(web, org, app, monkeypatch, travel):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    cases = []
    for i in range(5):
        cases.append(org.open_case(cadre=org.cadre(name=f"Cadre {i}")))
        travel.days(1)
    web.login("case_officer")
    seen, pages = [], []
    for page in (1, 2, 3):
        html = get_ok(web, f"/cases?page={page}")
        pages.append(html)
        seen += listed_case_ids(html)
        assert f"5 in all · page {page} of 3" in html
    assert seen == [c.id for c in reversed(cases)]  # no case twice, none missing
    html = get_ok(web.speak("zh"), "/cases?page=2")
    assert "共 5 条 · 第 2/3 页" in html and "上一页" in html and "下一页" in html
    assert 'rel="next"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'rel="next"' in pages[1] and 'rel="prev"' in pages[1]
    assert 'rel="next"' not in pages[2] and 'rel="prev"' in pages[2]
    # Out-of-range and nonsense page numbers are not errors.
    assert listed_case_ids(get_ok(web, "/cases?page=99")) == []
    assert listed_case_ids(get_ok(web, "/cases?page=abc")) == [cases[4].id, cases[3].id]


def test_case_list_pagination_links_keep_filters_and_sort(web, org, app, monkeypatch, travel):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    for i in range(3):
        org.open_case(cadre=org.cadre(name=f"Nominee {i}"))
    org.case_in("inspection", name="Inspected one")
    web.login("case_officer")
    html = get_ok(web, "/cases?state=nomination&sort=cadre")
    href = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    args = parse_qs(urlsplit(href).query)
    assert args["state"] == ["nomination"] and args["sort"] == ["cadre"] and args["page"] == ["2"]
    second = get_ok(web, href)
    assert len(listed_case_ids(second)) == 1 and "Nominee 2" in second and "Inspected one" not in second


def test_name_search_treats_wildcards_literally(web, org):
    org.open_case(cadre=org.cadre(name="Plain Name"))
    web.login("case_officer")
    assert listed_case_ids(get_ok(web, "/cases?q=%25")) == []
    assert listed_case_ids(get_ok(web, "/cases?q=_")) == []
    assert listed_cadre_ids(get_ok(web, "/cadres?q=%25")) == []


# --- the case page ------------------------------------------------------------------------------

def test_case_page_shows_profile_step_deadline_and_timeline(web, org):
    case = org.case_in("publicity", name="Profile Person")
    web.login("auditor")
    html = get_ok(web, f"/cases/{case.id}")
    cadre = html.split('id="actions"')[0]
    assert "Profile Person" in cadre and "Section chief" in cadre and "Bachelor" in cadre
    assert "Section chief · since Jan 1, 2019" in cadre and "Jul 1, 2008" in cadre
    assert '<span class="state s-publicity">Publicity</span>' in html  # current step
    assert case.due_on is not None and case.due_on == case.publicity_end
    assert f'<span class="due"><time datetime="{case.due_on.isoformat()}">{shown_date(case.due_on)}</time></span>' in html
    assert "(publicity ends)" in html
    assert f"{shown_date(case.publicity_start)} – {shown_date(case.publicity_end)}" in html
    timeline = section(html, "timeline")
    titles = re.findall(r"<strong>([^<]+)</strong>:", timeline)
    assert titles == ["Case opened", "Select for inspection", *["Record a mandatory check"] * 4,
                      "Conclude inspection", "Record collective decision", "Start publicity"]
    # Each entry is signed by its actor and shows what was recorded, with labels.
    assert "discipline liaison (Discipline liaison)" in timeline
    assert "committee secretary (Committee secretary)" in timeline
    assert "Inspection team (one name per line)" in timeline and "李建国; 赵敏" in timeline
    assert "单位公示栏及市委组织部网站" in timeline
    assert "张伟: Agree" in timeline
    assert "Audit events (9)" in timeline

    # The same page in Chinese: labels, terms, dates and steps in Chinese, the data as it was typed.
    html = get_ok(web.speak("zh"), f"/cases/{case.id}")
    assert '<html lang="zh-CN">' in html
    cadre = html.split('id="actions"')[0]
    assert "正科级 · 2019年1月1日起" in cadre and "大学本科" in cadre and "2008年7月1日" in cadre
    assert '<span class="state s-publicity">任前公示</span>' in html
    assert f'<time datetime="{case.due_on.isoformat()}">{shown_date(case.due_on, "zh")}</time>' in html
    assert "（公示截止）" in html
    assert f"{shown_date(case.publicity_start, 'zh')}至{shown_date(case.publicity_end, 'zh')}" in html
    timeline = section(html, "timeline")
    titles = re.findall(r"<strong>([^<]+)</strong>：", timeline)
    assert titles == ["发起案件", "确定考察对象", *["录入必查事项"] * 4, "完成考察", "记录集体讨论决定", "开始任前公示"]
    assert "discipline liaison（纪检联络人）" in timeline and "考察组成员（每行一人）" in timeline
    assert "审计事件（9）" in timeline and "Audit events" not in html
    assert "全程纪实" in html and "可办理事项" in html and "Timeline" not in html


def test_case_page_of_a_closed_case_says_so(web, org):
    case = org.case_in("withdrawn")
    web.login("case_officer")
    html = get_ok(web, f"/cases/{case.id}")
    assert offered_actions(html) == set()
    assert "This case is closed." in html
    assert "案件已办结。" in get_ok(web.speak("zh"), f"/cases/{case.id}")


def test_inspector_sees_only_inspection_actions(web, org):
    case = org.case_in("inspection")
    web.login("inspector")
    html = get_ok(web, f"/cases/{case.id}")
    actions = section(html, "actions")
    assert "Record a mandatory check" in actions
    assert "Select for inspection" not in actions  # it is in the timeline, not among the actions
    assert "Select for inspection" in section(html, "timeline")
    assert offered_actions(html) == {"record_check", "conclude_inspection"}
    # Concluding is the inspector's, but not possible yet: the page says why.
    conclude = section(html, "act-conclude_inspection")
    assert "not possible yet" in conclude and "These mandatory checks are not recorded yet" in conclude
    assert 'title="Not possible yet: see the reasons above."' in conclude
    conclude = section(get_ok(web.speak("zh"), f"/cases/{case.id}"), "act-conclude_inspection")
    assert "暂不可办理" in conclude and 'title="暂不可办理：原因见上方。"' in conclude


@pytest.mark.parametrize("role,expected", [
    ("case_officer", {"record_recommendation", "record_exception", "select_for_inspection", "put_on_hold", "withdraw"}),
    ("inspector", set()),
    ("discipline_liaison", {"put_on_hold"}),
    ("committee_secretary", {"withdraw"}),
    ("auditor", set()),
    ("administrator", set()),
])
def test_nomination_case_offers_each_role_only_its_actions(web, org, role, expected):
    case = org.open_case()
    web.login(role)
    html = get_ok(web, f"/cases/{case.id}")
    assert offered_actions(html) == expected
    if not expected:
        assert "Your role has no action at this step." in html
        assert "您的角色在此步骤没有可办理事项。" in get_ok(web.speak("zh"), f"/cases/{case.id}")


def test_every_state_renders_for_every_role_with_exactly_its_actions(web, org):
    from demo.paths import PATHS

    cases = {state: org.case_in(state, post=org.post_a_plain if state == "appointed" else org.post_a) for state in PATHS}
    workflow = workflow_for("promotion")
    for role in ("case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"):
        web.login(role)
        for state, case in cases.items():
            html = get_ok(web, f"/cases/{case.id}")
            expected = {t.trigger for t in workflow.from_state(state) if role in t.roles}
            assert offered_actions(html) == expected, (role, state)


def test_decision_page_for_the_secretary_has_vote_rows(web, org):
    case = org.case_in("decision")
    web.login("committee_secretary")
    html = get_ok(web, f"/cases/{case.id}")
    assert offered_actions(html) == {"record_decision", "withdraw"}
    form = form_with(html, action_ends="/act/record_decision")
    assert "record_decision-votes-0-name" in form["fields"] and "record_decision-votes-14-vote" in form["fields"]
    assert form["fields"]["record_decision-meeting_on"] == org.travel.today.isoformat()  # default from the step


# --- refusals of actions ------------------------------------------------------------------------

def test_guard_failure_shows_the_sentence_next_to_the_action_and_keeps_the_input(web, org):
    case = org.open_case()
    web.login("case_officer")
    before = snapshot()
    response = act(web, case.id, "select_for_inspection",
                   {"team": "Only Onemember", "plan": "Plan typed by hand 7731", "notice_on": org.travel.today.isoformat()})
    assert response.status_code == 422
    assert snapshot() == before
    html = text(response)
    action = section(html, "act-select_for_inspection")
    assert "An inspection team needs at least 2 people" in action
    assert "Only Onemember" in action and "Plan typed by hand 7731" in action
    assert re.search(r'<details class="action" id="act-select_for_inspection" open>', html)  # opened for the user
    form = form_with(html, action_ends="/act/select_for_inspection")
    assert form["fields"]["select_for_inspection-team"] == "Only Onemember"
    assert form["fields"]["select_for_inspection-version"] == str(case_row(case.id).version)
    # The other actions are rendered fresh, without the sentence.
    assert "An inspection team needs" not in section(html, "act-withdraw")


def test_unparseable_input_is_422_with_the_input_kept(web, org):
    case = org.case_in("inspection")
    web.login("inspector")
    before = snapshot()
    response = act(web, case.id, "conclude_inspection", {"interviews": "twenty", "findings": "Kept findings 5521"})
    assert response.status_code == 422
    assert snapshot() == before
    action = section(text(response), "act-conclude_inspection")
    assert "Please correct the marked fields." in action and "see below, correct and try again" in action
    assert 'value="twenty"' in action and "Kept findings 5521" in action
    web.speak("zh")
    action = section(text(act(web, case.id, "conclude_inspection", {"interviews": "twenty"})), "act-conclude_inspection")
    assert "请修改标出的内容。" in action and "请按下方提示修改后重试" in action


def test_missing_required_field_is_named_next_to_the_action(web, org):
    case = org.case_in("approved")
    web.login("case_officer")
    before = snapshot()
    response = act(web, case.id, "start_publicity", {"text": ""})
    assert response.status_code == 422
    assert snapshot() == before
    assert "Please fill in: Publicity text." in section(text(response), "act-start_publicity")
    response = act(web.speak("zh"), case.id, "start_publicity", {"text": ""})
    assert "请填写：公示内容。" in section(text(response), "act-start_publicity")


def votes_data(rows):
    data = {}
    for i, (name, vote) in enumerate(rows):
        data[f"votes-{i}-name"], data[f"votes-{i}-vote"] = name, vote
    return data


@pytest.mark.parametrize("rows,sentence", [
    ([("M1", "agree"), ("M1", "agree"), ("M2", "agree")], "M1 is listed twice."),
    ([("M1", "agree"), ("M2", "")], "Choose a vote or attendance for M2."),
    ([("", "agree")], "Every vote needs the member&#39;s name."),
    ([("M1", "agree"), ("M2", "absent"), ("M3", "absent")], "No quorum: 1 of 3"),
    ([], "Please fill in: Members and votes."),
])
def test_decision_input_problems_are_shown_on_the_vote_table(web, org, rows, sentence):
    case = org.case_in("decision")
    web.login("committee_secretary")
    before = snapshot()
    response = act(web, case.id, "record_decision", votes_data(rows))
    assert response.status_code == 422
    assert snapshot() == before
    action = section(text(response), "act-record_decision")
    assert sentence in action
    fields = form_with(text(response), action_ends="/act/record_decision")["fields"]
    for i, (name, vote) in enumerate(rows):  # the vote table comes back as typed
        assert (fields[f"record_decision-votes-{i}-name"], fields[f"record_decision-votes-{i}-vote"]) == (name, vote)


def test_decision_input_problems_are_said_in_chinese(web, org):
    case = org.case_in("decision")
    web.login("committee_secretary")
    web.speak("zh")
    action = section(text(act(web, case.id, "record_decision", votes_data([("M1", "agree"), ("M1", "agree")]))), "act-record_decision")
    assert "M1被重复列出。" in action
    action = section(text(act(web, case.id, "record_decision", votes_data([("M1", "agree"), ("M2", "")]))), "act-record_decision")
    assert "请为M2选择表决意见或出席情况。" in action
    assert "成员" in action and "表决/出席" in action and 'aria-label="成员 1"' in action and 'aria-label="表决 1"' in action


def test_decision_that_fails_the_majority_ends_rejected(web, org):
    case = org.case_in("decision")
    web.login("committee_secretary")
    rows = [(f"M{i}", "agree") for i in range(4)] + [(f"N{i}", "disagree") for i in range(3)] + [("X", "defer")]
    assert_recorded(act(web, case.id, "record_decision", votes_data(rows)), case.id)
    assert case_row(case.id).state == "rejected"


def test_post_without_csrf_token_is_refused_and_writes_nothing(web, org):
    case = org.open_case()
    web.login("case_officer")
    html = get_ok(web, f"/cases/{case.id}")
    data = form_with(html, action_ends="/act/withdraw")["fields"]
    data["withdraw-reason"] = "No token here"
    del data["withdraw-csrf_token"]
    before = snapshot()
    response = web.client.post(f"/cases/{case.id}/act/withdraw", data=data)
    assert response.status_code == 400
    assert "security token was missing" in text(response) and "Nothing was saved" in text(response)
    assert snapshot() == before
    data["withdraw-csrf_token"] = "forged-token"
    assert web.client.post(f"/cases/{case.id}/act/withdraw", data=data).status_code == 400
    assert snapshot() == before


def test_action_on_another_units_case_is_404_and_writes_nothing(web, org):
    case = org.open_case()  # unit A
    web.login("officer_b")
    assert web.get(f"/cases/{case.id}").status_code == 404
    before = snapshot()
    response = web.post(f"/cases/{case.id}/act/withdraw",
                        {"withdraw-reason": "Not mine", "withdraw-version": str(case.version)}, prefix="withdraw")
    assert response.status_code == 404
    assert "no such case in your units" in text(response)
    assert snapshot() == before
    assert web.get("/cases/999999").status_code == 404


def test_unknown_action_is_404(web, org):
    case = org.open_case()
    web.login("case_officer")
    before = snapshot()
    response = web.post(f"/cases/{case.id}/act/promote_at_once", {}, prefix="promote_at_once")
    assert response.status_code == 404
    assert snapshot() == before


def test_stale_version_is_409_and_writes_nothing(web, org, travel):
    case = org.case_in("inspection")
    web.login("inspector")
    html = get_ok(web, f"/cases/{case.id}")
    old_version = form_with(html, action_ends="/act/record_check")["fields"]["record_check-version"]
    # Someone else records a check after the inspector opened the page.
    travel.clock.advance(minutes=5)
    door.advance(case.id, "record_check", org.users["discipline_liaison"],
                 {"check": "integrity_opinion", "outcome": "No problems found."}, session=db.session)
    assert str(case_row(case.id).version) != old_version
    before = snapshot()
    travel.clock.advance(minutes=5)
    response = act(web, case.id, "record_check", {"check": "personnel_file", "outcome": "File reviewed."}, version=old_version)
    assert response.status_code == 409
    assert "changed by someone else" in section(text(response), "act-record_check")
    assert snapshot() == before
    stale = act(web.speak("zh"), case.id, "record_check", {"check": "personnel_file", "outcome": "File reviewed."}, version=old_version)
    assert stale.status_code == 409 and "案件已被他人更新，本次未保存" in section(text(stale), "act-record_check")
    web.speak("en")
    # With the current page the same input goes through.
    assert_recorded(act(web, case.id, "record_check", {"check": "personnel_file", "outcome": "File reviewed."}), case.id)


def test_double_submit_of_the_same_form_records_once(web, org, travel):
    case = org.case_in("inspection")
    web.login("inspector")
    html = get_ok(web, f"/cases/{case.id}")
    data = form_with(html, action_ends="/act/record_check")["fields"]
    data.update({"record_check-check": "complaints", "record_check-outcome": "No complaints."})
    url = f"/cases/{case.id}/act/record_check"
    travel.clock.advance(seconds=30)  # the page was read, then submitted twice
    assert_recorded(web.client.post(url, data=data), case.id)
    travel.clock.advance(seconds=1)
    before = snapshot()
    response = web.client.post(url, data=data)
    assert response.status_code == 409 and "changed by someone else" in text(response)
    assert snapshot() == before


@pytest.mark.parametrize("scenario", ["stale_form_after_withdrawal", "action_of_another_state"])
def test_refusal_of_an_action_not_offered_now_is_explained(web, org, travel, scenario):
    case = org.open_case()
    web.login("case_officer")
    if scenario == "stale_form_after_withdrawal":
        form = form_with(get_ok(web, f"/cases/{case.id}"), action_ends="/act/select_for_inspection")
        data = dict(form["fields"], **{"select_for_inspection-team": "A\nB"})
        travel.clock.advance(minutes=5)
        door.advance(case.id, "withdraw", org.users["committee_secretary"], {"reason": "Post filled otherwise."},
                     session=db.session)
        url, expected = form["action"], "changed by someone else"
    else:
        data = {"appoint-document_no": "X-1", "appoint-csrf_token": web.token()}
        url, expected = f"/cases/{case.id}/act/appoint", "possible only in"
    before = snapshot()
    response = web.client.post(url, data=data)
    assert response.status_code == 409
    assert snapshot() == before
    assert expected in text(response)


def test_non_numeric_version_is_a_client_error(web, org):
    case = org.open_case()
    web.login("case_officer")
    before = snapshot()
    response = act(web, case.id, "withdraw", {"reason": "tampered"}, version="abc")
    assert 400 <= response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize("role,trigger,values", [
    ("auditor", "select_for_inspection", {"team": "A\nB"}),
    ("inspector", "select_for_inspection", {"team": "A\nB"}),
    ("administrator", "withdraw", {"reason": "admin"}),
])
def test_forbidden_role_posting_an_action_gets_403(web, org, role, trigger, values):
    case = org.open_case()
    web.login(role)
    before = snapshot()
    data = {f"{trigger}-{k}": v for k, v in values.items()}
    data[f"{trigger}-version"] = str(case_row(case.id).version)
    response = web.post(f"/cases/{case.id}/act/{trigger}", data, prefix=trigger)
    assert response.status_code == 403
    assert "may not do this" in text(response)
    assert snapshot() == before
    web.speak("zh")
    assert "无权进行此操作" in text(web.post(f"/cases/{case.id}/act/{trigger}", data, prefix=trigger))


def test_action_in_the_wrong_state_is_refused_with_the_states_where_it_is_possible(web, org):
    case = org.open_case()
    web.login("case_officer")
    before = snapshot()
    data = {"appoint-document_no": "X-1", "appoint-version": str(case_row(case.id).version)}
    response = web.post(f"/cases/{case.id}/act/appoint", data, prefix="appoint")
    assert response.status_code == 409
    assert "This case is now 'Nomination'; this action is possible only in: Publicity." in unescape(text(response))
    assert snapshot() == before
    response = web.speak("zh").post(f"/cases/{case.id}/act/appoint", data, prefix="appoint")
    assert "本案件当前处于“推荐提名”环节；此操作仅可在以下环节进行：任前公示。" in text(response)


# --- a whole promotion through the pages ----------------------------------------------------------

def open_through_the_form(web, cadre, post, **values):
    html = get_ok(web, "/cases/new")
    data = form_with(html, field="cadre_id")["fields"]
    data.update({"cadre_id": str(cadre.id), "target_position_id": str(post.id), "source": "organization",
                 "work_plan": "Fill the post."})
    data.update(values)
    return web.client.post("/cases/new", data=data)


def test_full_promotion_through_the_pages(web, org, travel):
    cadre = org.cadre(name="Path Walker")
    web.login("case_officer")
    response = open_through_the_form(web, cadre, org.post_a)
    assert response.status_code == 302
    case_id = int(re.search(r"/cases/(\d+)$", response.headers["Location"]).group(1))
    assert f"Case {db.session.get(Case, case_id).reference} opened." in get_ok(web, f"/cases/{case_id}")
    assert case_row(case_id).state == "nomination"

    travel.days(1)
    assert_recorded(act(web, case_id, "select_for_inspection",
                        {"team": "李建国\r\n赵敏", "plan": "Inspection plan."}), case_id)
    assert case_row(case_id).state == "inspection"

    travel.days(2)
    web.login("inspector")
    for check in ("personnel_file", "personal_matters", "complaints"):
        assert_recorded(act(web, case_id, "record_check", {"check": check, "outcome": f"{check} done."}), case_id)
    refused = act(web, case_id, "conclude_inspection", {})
    assert refused.status_code == 422 and "Integrity opinion received" in text(refused)
    web.login("discipline_liaison")
    assert_recorded(act(web, case_id, "record_check", {"check": "integrity_opinion", "outcome": "Clean."}), case_id)
    web.login("inspector")
    assert_recorded(act(web, case_id, "conclude_inspection", {
        "interviews": "25", "rating_excellent": "20", "rating_competent": "5", "rating_basic": "0",
        "rating_incompetent": "0", "findings": "Good work.", "integrity_conclusion": "Honest."}), case_id)
    assert case_row(case_id).state == "decision"

    travel.days(3)
    web.login("committee_secretary")
    votes = {}
    for i, (name, vote) in enumerate([("M1", "agree"), ("M2", "agree"), ("M3", "agree"), ("M4", "agree"),
                                      ("M5", "agree"), ("M6", "disagree"), ("M7", "absent")]):
        votes[f"votes-{i}-name"], votes[f"votes-{i}-vote"] = name, vote
    assert_recorded(act(web, case_id, "record_decision", votes), case_id)
    assert case_row(case_id).state == "approved"

    travel.to(date(2026, 3, 9))  # a Monday
    web.login("case_officer")
    assert_recorded(act(web, case_id, "start_publicity", {"text": "Publicity of the appointment."}), case_id)
    assert case_row(case_id).state == "publicity"
    html = get_ok(web, f"/cases/{case_id}")
    assert "Mar 9, 2026 – Mar 13, 2026" in html  # five working days, the start day counting

    appoint = {"document_no": "Doc-2026-7", "talk_by": "Wang Xiaomei"}
    early = act(web, case_id, "appoint", appoint)
    assert early.status_code == 422 and "Publicity runs until 2026-03-13" in section(text(early), "act-appoint")
    assert case_row(case_id).state == "publicity"

    travel.to(date(2026, 3, 16))
    assert_recorded(act(web, case_id, "appoint", appoint), case_id)
    assert case_row(case_id).state in ("appointed", "probation")
    assert case_row(case_id).state == "probation"  # post A has probation
    html = get_ok(web, f"/cases/{case_id}")
    assert '<span class="state s-probation">Probation</span>' in html and "Doc-2026-7" in html
    titles = re.findall(r"<strong>([^<]+)</strong>:", section(html, "timeline"))
    assert titles[0] == "Case opened" and titles[-1] == "Appoint" and len(titles) == 10
    with db.engine.connect() as conn:
        kinds = conn.execute(select(AuditEvent.kind).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id)).scalars().all()
    assert kinds == ["case.opened"] + ["case.transition"] * 9


def test_appointment_to_a_post_without_probation_ends_appointed(web, org, travel):
    case = org.case_in("publicity", post=org.post_a_plain)
    travel.days(10)
    web.login("case_officer")
    assert_recorded(act(web, case.id, "appoint", {"document_no": "Doc-1", "talk_by": "Li"}), case.id)
    assert case_row(case.id).state == "appointed"
    assert "This case is closed." in get_ok(web, f"/cases/{case.id}")


# --- opening a case ---------------------------------------------------------------------------------

def test_new_case_form_lists_only_cadres_and_posts_of_the_officers_units(web, org):
    mine = org.cadre(name="Unit B Person", unit=org.unit_b)
    other = org.cadre(name="Unit A Person")
    web.login("officer_b")
    html = get_ok(web, "/cases/new")
    assert "Unit B Person" in html and "Unit A Person" not in html
    posts = re.search(r'<select[^>]*name="target_position_id".*?</select>', html, re.S).group(0)
    assert f'value="{org.post_b.id}"' in posts and f'value="{org.post_a.id}"' not in posts
    before = snapshot()
    response = open_through_the_form(web, other, org.post_b)
    assert response.status_code == 422
    assert snapshot() == before
    assert open_through_the_form(web, mine, org.post_b).status_code == 302


def test_new_case_preselects_the_cadre_from_the_profile_link(web, org):
    cadre = org.cadre(name="Linked Cadre")
    web.login("case_officer")
    assert f"/cases/new?cadre={cadre.id}" in get_ok(web, f"/cadres/{cadre.id}")
    form = form_with(get_ok(web, f"/cases/new?cadre={cadre.id}"), field="cadre_id")
    assert form["fields"]["cadre_id"] == str(cadre.id)


def test_new_case_with_missing_choices_names_the_fields(web, org):
    web.login("case_officer")
    before = snapshot()
    response = web.post("/cases/new", {"cadre_id": "", "target_position_id": "", "source": "", "work_plan": ""})
    assert response.status_code == 422
    assert "Choose a cadre of your units." in text(response)
    assert snapshot() == before
    response = web.speak("zh").post("/cases/new", {"cadre_id": "", "target_position_id": "", "source": "", "work_plan": ""})
    assert response.status_code == 422 and "请选择您所辖单位的干部。" in text(response)


def test_self_recommendation_needs_evidence(web, org):
    cadre = org.cadre(name="Self Applicant")
    web.login("case_officer")
    before = snapshot()
    response = open_through_the_form(web, cadre, org.post_a, source="self", work_plan="Typed plan 4411", evidence="")
    assert response.status_code == 422
    html = text(response)
    assert "A self-recommendation needs evidence of results." in html
    form = form_with(html, field="cadre_id")["fields"]
    assert form["work_plan"] == "Typed plan 4411" and form["source"] == "self" and form["cadre_id"] == str(cadre.id)
    assert snapshot() == before

    response = open_through_the_form(web, cadre, org.post_a, source="self", evidence="Led the flood relief.")
    assert response.status_code == 302
    with db.engine.connect() as conn:
        case = conn.execute(select(Case.id, Case.source, Case.state).where(Case.cadre_id == cadre.id)).one()
        record = conn.execute(select(StepRecord.data).where(StepRecord.case_id == case.id)).scalar_one()
    assert (case.source, case.state) == ("self", "nomination")
    assert record["evidence"] == "Led the flood relief."
    assert "Led the flood relief." in get_ok(web, f"/cases/{case.id}")


def test_second_open_case_for_the_same_cadre_is_refused(web, org):
    case = org.open_case()
    web.login("case_officer")
    before = snapshot()
    response = open_through_the_form(web, case.cadre, org.post_a_plain)
    assert response.status_code == 422
    assert f"{case.cadre.name} already has the open case {case.reference}; finish or withdraw it first." in text(response)
    assert snapshot() == before
    web.speak("zh")
    assert f"{case.cadre.name}已有在办案件{case.reference}" in text(open_through_the_form(web, case.cadre, org.post_a_plain))


def test_only_a_case_officer_opens_cases(web, org):
    cadre = org.cadre()
    web.login("inspector")
    before = snapshot()
    response = web.post("/cases/new", {"cadre_id": str(cadre.id), "target_position_id": str(org.post_a.id),
                                       "source": "organization", "work_plan": "x"})
    assert response.status_code == 403
    assert "may open a promotion case" in text(response)
    assert snapshot() == before


# --- cadres -------------------------------------------------------------------------------------------

def test_cadre_list_search_and_scope(web, org):
    wang1, wang2 = org.cadre(name="王一"), org.cadre(name="王二")
    li = org.cadre(name="李三")
    b = org.cadre(name="王乙", unit=org.unit_b)
    web.login("case_officer")
    assert sorted(listed_cadre_ids(get_ok(web, "/cadres"))) == sorted([wang1.id, wang2.id, li.id, b.id])
    html = get_ok(web, "/cadres?q=王")
    assert sorted(listed_cadre_ids(html)) == sorted([wang1.id, wang2.id, b.id])
    assert form_with(html, field="q")["fields"]["q"] == "王"
    assert "No cadres found" in get_ok(web, "/cadres?q=赵")
    web.login("officer_b")
    assert listed_cadre_ids(get_ok(web, "/cadres")) == [b.id]


def test_cadre_list_pagination_and_sort(web, org, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    names = ["Echo", "Alpha", "Delta", "Bravo", "Charlie"]
    ids = {name: org.cadre(name=name).id for name in names}
    web.login("auditor")
    seen = []
    for page in (1, 2, 3):
        html = get_ok(web, f"/cadres?page={page}")
        assert f"5 in all · page {page} of 3" in html
        seen += listed_cadre_ids(html)
    assert seen == [ids[n] for n in sorted(names)]  # sorted by name by default
    for key in ("name", "unit", "rank", "since"):
        assert f"sort={key}" in html
    html = get_ok(web, "/cadres?q=a&page=1")  # pages of a search keep the search
    href = re.search(r'href="([^"]+)" rel="next"', html)
    if href:
        assert parse_qs(urlsplit(href.group(1).replace("&amp;", "&")).query)["q"] == ["a"]
    assert "Add cadre" not in get_ok(web, "/cadres")  # the auditor reads only


def cadre_form_data(web, url):
    html = get_ok(web, url)
    return dict(form_with(html, field="name")["fields"])


def test_create_cadre_writes_the_record_and_its_audit_event(web, org):
    web.login("case_officer")
    assert "Add cadre" in get_ok(web, "/cadres")
    data = cadre_form_data(web, "/cadres/new")
    data.update({"name": "New Person", "gender": "female", "birth_date": "1985-04-03", "education": "master",
                 "unit_id": str(org.unit_a.id), "rank": "section_deputy", "rank_since": "2021-06-01",
                 "work_start": "2008-07-01", "grassroots_years": "4", "notes": "Created through the form."})
    response = web.client.post("/cadres/new", data=data)
    assert response.status_code == 302
    cadre_id = int(re.search(r"/cadres/(\d+)$", response.headers["Location"]).group(1))
    with db.engine.connect() as conn:
        cadre = conn.execute(select(Cadre).where(Cadre.id == cadre_id)).one()
    assert (cadre.name, cadre.education, cadre.rank, cadre.birth_date) == ("New Person", "master", "section_deputy", date(1985, 4, 3))
    [(before, after, actor_id)] = audit_events("cadre.created")
    assert before is None and after["name"] == "New Person" and actor_id == org.users["case_officer"].id
    html = get_ok(web, f"/cadres/{cadre_id}")
    assert "New Person" in html and "Created through the form." in html and "Cadre New Person created" in html


def test_create_cadre_with_invalid_input_is_422_and_names_the_fields(web, org):
    web.login("case_officer")
    data = cadre_form_data(web, "/cadres/new")
    data.update({"name": "", "rank_since": "not a date", "work_start": "2001-09-01", "grassroots_years": "99"})
    before = snapshot()
    response = web.client.post("/cadres/new", data=data)
    assert response.status_code == 422
    html = text(response)
    assert html.count("This field is required") == 1 and "Between 0 and 60" in html  # name
    assert "Not a valid date value" in html  # rank_since: the real problem, not "required"
    assert form_with(html, field="name")["fields"]["rank_since"] == "not a date"  # the input is kept
    assert snapshot() == before


def test_work_start_before_birth_is_a_field_error(web, org):
    cadre = org.cadre(name="Born Late")
    web.login("case_officer")
    data = cadre_form_data(web, f"/cadres/{cadre.id}/edit")
    data.update({"birth_date": "1990-01-01", "work_start": "1980-01-01"})
    before = snapshot()
    response = web.client.post(f"/cadres/{cadre.id}/edit", data=data)
    assert response.status_code == 422
    assert "Work cannot start before birth" in text(response)
    assert snapshot() == before


def test_edit_cadre_audits_before_and_after_of_the_changed_fields_only(web, org):
    cadre = org.cadre(name="Old Name", notes="old notes")
    web.login("case_officer")
    data = cadre_form_data(web, f"/cadres/{cadre.id}/edit")
    assert data["version"] == "1" and data["name"] == "Old Name"
    data.update({"name": "New Name", "notes": "new notes"})
    response = web.client.post(f"/cadres/{cadre.id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cadres/{cadre.id}")
    [(before, after, actor_id)] = audit_events("cadre.updated")
    assert before == {"name": "Old Name", "notes": "old notes"}
    assert after == {"name": "New Name", "notes": "new notes"}
    assert actor_id == org.users["case_officer"].id
    with db.engine.connect() as conn:
        assert conn.execute(select(Cadre.name, Cadre.version).where(Cadre.id == cadre.id)).one() == ("New Name", 2)
    assert "Saved" in get_ok(web, f"/cadres/{cadre.id}")


def test_saving_an_unchanged_cadre_writes_no_audit_event(web, org):
    cadre = org.cadre(name="Unchanged", gender="male", birth_date=date(1980, 1, 2), post_since=date(2020, 1, 1))
    web.login("case_officer")
    data = cadre_form_data(web, f"/cadres/{cadre.id}/edit")
    before = snapshot()
    assert web.client.post(f"/cadres/{cadre.id}/edit", data=data).status_code == 302
    assert snapshot() == before
    assert audit_events("cadre.updated") == []


def test_stale_cadre_edit_is_refused_with_a_message(web, org):
    cadre = org.cadre(name="Contested")
    web.login("case_officer")
    first = cadre_form_data(web, f"/cadres/{cadre.id}/edit")
    second = dict(first)
    first["name"] = "First Writer"
    assert web.client.post(f"/cadres/{cadre.id}/edit", data=first).status_code == 302
    before = snapshot()
    second["name"] = "Second Writer"
    response = web.client.post(f"/cadres/{cadre.id}/edit", data=second)
    assert response.status_code == 409
    assert "changed by someone else" in text(response) and "Nothing was saved" in text(response)
    assert snapshot() == before
    assert len(audit_events("cadre.updated")) == 1


def test_other_units_cadre_is_404(web, org):
    cadre = org.cadre(name="Unit A Only")
    web.login("officer_b")
    assert web.get(f"/cadres/{cadre.id}").status_code == 404
    assert web.get(f"/cadres/{cadre.id}/edit").status_code == 404
    before = snapshot()
    response = web.post(f"/cadres/{cadre.id}/edit", {"name": "Hijacked", "version": "1"})
    assert response.status_code == 404
    assert "no such cadre in your units" in text(response)
    assert web.post(f"/cadres/{cadre.id}/assessments", {"year": "2025", "result": "excellent"}).status_code == 404
    assert snapshot() == before


def test_auditor_cannot_create_or_edit_cadres(web, org):
    cadre = org.cadre(name="Read Only")
    web.login("auditor")
    html = get_ok(web, f"/cadres/{cadre.id}")
    assert f"/cadres/{cadre.id}/edit" not in html
    assert web.get(f"/cadres/{cadre.id}/edit").status_code == 403
    assert web.get("/cadres/new").status_code == 403
    before = snapshot()
    response = web.post(f"/cadres/{cadre.id}/edit", {"name": "Changed", "version": "1"})
    assert response.status_code == 403
    assert "Only case officers and administrators manage cadre records" in text(response)
    assert web.post("/cadres/new", {"name": "Someone"}).status_code == 403
    assert snapshot() == before


def test_assessment_is_recorded_once_per_year(web, org):
    cadre = org.cadre(name="Assessed")
    web.login("case_officer")
    response = web.post(f"/cadres/{cadre.id}/assessments", {"year": "2018", "result": "excellent"})
    assert response.status_code in (302, 303)
    assert "<td>2018</td><td>Excellent</td>" in get_ok(web, f"/cadres/{cadre.id}")
    assert len(audit_events("cadre.assessment")) == 1
    before = snapshot()
    again = web.post(f"/cadres/{cadre.id}/assessments", {"year": "2018", "result": "competent"})
    assert again.status_code in (303, 302, 409, 422)
    assert "already recorded" in get_ok(web, f"/cadres/{cadre.id}")
    assert snapshot() == before


# --- escaping -------------------------------------------------------------------------------------------

def test_cadre_name_is_escaped_everywhere(web, org):
    web.login("case_officer")
    data = cadre_form_data(web, "/cadres/new")
    data.update({"name": SCRIPT, "unit_id": str(org.unit_a.id), "rank": "section_chief", "rank_since": "2019-01-01",
                 "work_start": "2008-07-01", "education": "bachelor", "notes": SCRIPT})
    response = web.client.post("/cadres/new", data=data)
    assert response.status_code == 302
    cadre_id = int(response.headers["Location"].rsplit("/", 1)[1])
    cadre = db.session.get(Cadre, cadre_id)
    case = org.open_case(cadre=cadre)
    for url in ("/cadres", f"/cadres/{cadre_id}", f"/cadres/{cadre_id}/edit", "/cases", f"/cases/{case.id}",
                "/cases/new", f"/cases?q={SCRIPT}", f"/cadres?q={SCRIPT}"):
        html = get_ok(web, url)
        assert SCRIPT not in html, url
        assert SCRIPT_ESCAPED in html, url


def test_objection_text_is_escaped(web, org):
    case = org.case_in("publicity")
    web.login("case_officer")
    response = act(web, case.id, "record_objection", {"content": SCRIPT, "channel": SCRIPT, "substantive": "y"})
    assert_recorded(response, case.id)
    assert case_row(case.id).state == "publicity_suspended"
    html = get_ok(web, f"/cases/{case.id}")
    assert SCRIPT not in html
    assert html.count(SCRIPT_ESCAPED) >= 3  # objections table, timeline, answer form's choice
    web.login("discipline_liaison")
    html = get_ok(web, f"/cases/{case.id}")
    assert SCRIPT not in html and SCRIPT_ESCAPED in html


def test_objection_is_answered_and_publicity_resumed_through_the_pages(web, org, travel):
    case = org.case_in("publicity")
    web.login("case_officer")
    travel.clock.advance(hours=1)
    assert_recorded(act(web, case.id, "record_objection", {"content": "Letter about the project.", "substantive": "y"}), case.id)
    blocked = section(get_ok(web, f"/cases/{case.id}"), "act-resume_publicity")
    assert "not possible yet" in blocked and "1 objection(s) are not answered yet" in blocked
    web.login("discipline_liaison")
    form = form_with(get_ok(web, f"/cases/{case.id}"), action_ends="/act/answer_objection")
    objection_id = db.session.scalars(select(Objection.id).where(Objection.case_id == case.id)).one()
    travel.clock.advance(hours=1)
    assert_recorded(act(web, case.id, "answer_objection", {
        "objection": str(objection_id), "finding": "Checked: procedure followed.", "answer": "Told the writer."}), case.id)
    assert form["fields"]["answer_objection-objection"] == ""  # nothing is preselected for the user
    # The answered objection is no longer offered for answering.
    html = get_ok(web, f"/cases/{case.id}")
    assert "Checked: procedure followed. — Told the writer." in html
    assert f'<option value="{objection_id}"' not in html
    web.login("case_officer")
    travel.clock.advance(hours=1)
    assert_recorded(act(web, case.id, "resume_publicity", {"note": "Resumed."}), case.id)
    assert case_row(case.id).state == "publicity"


def test_answering_an_already_answered_objection_is_refused(web, org, travel):
    case = org.case_in("publicity_suspended")
    objection_id = case.objections[-1].id
    door.advance(case.id, "answer_objection", org.users["discipline_liaison"],
                 {"objection": objection_id, "finding": "f", "answer": "a", "disqualifying": False}, session=db.session)
    web.login("discipline_liaison")
    travel.clock.advance(hours=1)
    before = snapshot()
    response = act(web, case.id, "answer_objection", {"objection": str(objection_id), "finding": "again", "answer": "again"})
    assert response.status_code == 422
    assert snapshot() == before
    assert "Not a valid choice" in section(text(response), "act-answer_objection")


def test_guard_failure_re_renders_typed_markup_escaped(web, org):
    case = org.open_case()
    web.login("case_officer")
    response = act(web, case.id, "select_for_inspection", {"team": SCRIPT, "plan": SCRIPT})
    assert response.status_code == 422
    assert SCRIPT not in text(response) and SCRIPT_ESCAPED in text(response)


# --- health, admin -----------------------------------------------------------------------------------------

def test_healthz_reports_backend_and_schema_revision(web, app):
    response = web.get("/healthz")  # no sign-in needed
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == db.engine.dialect.name
    assert body["database"] in ("sqlite", "postgresql")
    heads = ScriptDirectory(app.extensions["migrate"].directory).get_heads()
    assert [body["schema_revision"]] == heads  # migrated to the single head ('0001' when written)
    assert re.fullmatch(r"\d{4}", body["schema_revision"])


def test_administrator_adds_a_calendar_override_and_it_is_audited(web, org):
    web.login("administrator")
    html = get_ok(web, "/admin/calendar")
    data = form_with(html, field="day-day")["fields"]
    data.update({"day-day": "2026-10-10", "day-kind": "workday", "day-name": "National Day make-up"})
    response = web.client.post("/admin/calendar", data=data)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/admin/calendar"
    with db.engine.connect() as conn:
        row = conn.execute(select(CalendarOverride.is_workday, CalendarOverride.name)
                           .where(CalendarOverride.day == date(2026, 10, 10))).one()
    assert tuple(row) == (True, "National Day make-up")
    [(before, after, actor_id)] = audit_events("calendar.changed")
    assert before is None and after == {"day": "2026-10-10", "is_workday": True, "name": "National Day make-up"}
    assert actor_id == org.users["administrator"].id
    html = get_ok(web, "/admin/calendar")
    assert "2026-10-10" in html and "National Day make-up" in html and "Saved" in html
    # Removing it is audited too.
    remove = form_with(html, action_ends="/admin/calendar/2026-10-10/delete")
    assert web.client.post(remove["action"], data=remove["fields"]).status_code == 302
    assert len(audit_events("calendar.changed")) == 2
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_calendar_override_with_a_bad_date_is_422(web, org):
    web.login("administrator")
    data = form_with(get_ok(web, "/admin/calendar"), field="day-day")["fields"]
    data.update({"day-day": "2026-13-45", "day-kind": "holiday"})
    before = snapshot()
    response = web.client.post("/admin/calendar", data=data)
    assert response.status_code == 422
    assert snapshot() == before
    assert "2026-13-45" in text(response)  # the input is kept


def test_administrator_marks_a_year_entered(web, org):
    web.login("administrator")
    data = form_with(get_ok(web, "/admin/calendar"), field="year-year")["fields"]
    data.update({"year-year": "2030", "year-note": "State Council notice"})
    assert web.client.post("/admin/calendar", data=data).status_code == 302
    assert len(audit_events("calendar.changed")) == 1
    before = snapshot()
    again = web.client.post("/admin/calendar", data=data)
    assert again.status_code == 422 and "already marked" in text(again)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["case_officer", "inspector", "auditor", "officer_b"])
def test_non_admin_gets_403_on_the_calendar(web, org, role):
    web.login(role)
    assert web.get("/admin/calendar").status_code == 403
    assert 'href="/admin/calendar"' not in get_ok(web, "/cases")  # no menu entry either
    before = snapshot()
    response = web.post("/admin/calendar", {"day-day": "2026-10-10", "day-kind": "holiday", "day-name": "x"}, prefix="day")
    assert response.status_code == 403
    assert "for administrators" in text(response)
    assert web.post("/admin/calendar/2026-10-10/delete", {}).status_code == 403
    assert snapshot() == before
    assert get_ok(web, "/admin/rules")  # the rule set is readable by everyone signed in
