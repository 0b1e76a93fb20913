"""Chinese and English: the catalogue is complete, templates hold no untranslated text, the
browser's language is honoured, the switcher works, dates and numbers follow the locale."""
import re
from datetime import UTC, date, datetime

import pytest

from web.catalogue import problems, raw_template_text
from workflow import terms
from workflow.audit import EVENT_KINDS
from workflow.clock import LOCAL_TZ
from workflow.registry import WORKFLOWS

from .reading import reading

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_has_its_chinese():
    """Fails when a visible string of the code or the templates is missing from the Chinese
    catalogue (translations/zh/parts/*.po), or its Chinese lost a %(placeholder)s."""
    assert problems() == []


def test_templates_hold_no_untranslated_text():
    """Every visible word of a template goes through _() or {% trans %}."""
    assert raw_template_text() == []


def test_the_completeness_check_catches_a_missing_message(tmp_path):
    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text('<p>{{ _("A sentence nobody translated") }}</p>\n<p>Loose words</p>\n', encoding="utf-8")
    found = problems([page])
    assert len(found) == 1 and found[0].startswith("no Chinese for 'A sentence nobody translated'")
    raw = raw_template_text([page])
    assert len(raw) == 1 and raw[0].endswith(":2: Loose words")


def vocabularies():
    for name in dir(terms):
        value = getattr(terms, name)
        if name.isupper() and isinstance(value, dict) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value.values()):
            yield name, value


@pytest.mark.parametrize("name,vocabulary", list(vocabularies()))
def test_every_term_has_both_names(name, vocabulary):
    for code, (en, zh) in vocabulary.items():
        assert en.strip() and not CJK.search(en), (name, code)
        assert CJK.search(zh), (name, code)


@pytest.mark.parametrize("track", list(WORKFLOWS))
def test_every_state_step_and_field_has_both_names(track):
    workflow = WORKFLOWS[track]
    for thing in [*workflow.states, *workflow.transitions, *(f for t in workflow.transitions for f in t.fields)]:
        assert thing.en.strip() and CJK.search(thing.zh), thing


def test_a_browser_asking_for_chinese_gets_chinese(web):
    page = web.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "工作人员登录" in page and "Staff sign in" not in page


def test_a_browser_asking_for_english_gets_english(web):
    page = web.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Staff sign in" in page and "工作人员登录" not in page


def test_without_a_preference_the_configured_language(app, web):
    assert '<html lang="en">' in web.get("/login").get_data(as_text=True)
    app.config["DEFAULT_LANGUAGE"] = "zh"
    try:
        assert '<html lang="zh-CN">' in web.get("/login").get_data(as_text=True)
    finally:
        app.config["DEFAULT_LANGUAGE"] = "en"


def test_the_switcher_remembers_the_choice_over_the_browser(web):
    response = web.post("/language", data={"lang": "zh", "next": "/intake/report"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake/report")
    page = web.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "工作人员登录" in page
    web.post("/language", data={"lang": "en", "next": "/login"})
    assert "Staff sign in" in web.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_the_switcher_needs_its_csrf_token_and_stays_on_this_site(web):
    assert web.client.post("/language", data={"lang": "zh"}).status_code == 400
    response = web.post("/language", data={"lang": "zh", "next": "https://evil.example/x"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    response = web.post("/language", data={"lang": "klingon", "next": "/login"})
    assert response.status_code == 302 and "lang=" not in response.headers.get("Set-Cookie", "")


def test_the_switcher_is_in_every_header_and_marks_the_current_language(web):
    page = web.speak("zh").get("/login").get_data(as_text=True)
    assert re.search(r'value="zh"[^>]*aria-current="true"', page)
    assert 'action="/language"' in page and ">English<" in page


def test_dates_and_numbers_follow_the_locale(app):
    from web.i18n import local_date, local_datetime, local_number

    moment = datetime(2026, 11, 21, 9, 30, tzinfo=LOCAL_TZ)
    with reading(app, "zh-CN"):
        assert local_date(date(2026, 11, 21)) == "2026年11月21日"
        assert "2026年11月21日" in local_datetime(moment) and "09:30" in local_datetime(moment)
        assert local_number(1234567) == "1,234,567"
    with reading(app, "en-US"):
        assert local_date(date(2026, 11, 21)) == "Nov 21, 2026"
        assert "9:30" in local_datetime(moment)
        assert local_number(1234.5, 1) == "1,234.5"


def test_a_kept_date_text_is_what_flask_babel_gives_in_each_language(app):
    """Dates are formatted once per date, style and language (web/i18n.py): the same text as
    Flask-Babel's own, whichever language asked first."""
    from flask_babel import format_date

    from web.i18n import local_date

    days = [date(2026, 1, 1), date(2026, 11, 21), date(2031, 12, 31)]
    for accept in ("zh-CN", "en-US", "zh-CN"):
        with reading(app, accept):
            for day in days:
                for style in ("short", "medium", "long"):
                    assert local_date(day, style) == format_date(day, style)
            assert local_date(datetime(2026, 11, 21, 23, 30, tzinfo=UTC)) == format_date(date(2026, 11, 22))


def test_domain_labels_follow_the_language(app):
    workflow = WORKFLOWS["promotion"]
    with reading(app, "zh-CN"):
        assert workflow.state("publicity").label == "任前公示"
        assert terms.label(terms.ROLES, "case_officer") == "干部工作人员"
    with reading(app, "en"):
        assert workflow.state("publicity").label == "Publicity"
        assert str(terms.choices(terms.ROLES)[0][1]) == "Case officer"


def test_a_lazy_message_with_user_data_is_escaped_in_a_page(app):
    from flask import render_template_string

    from workflow.i18n import _l

    with reading(app, "en"):
        html = render_template_string("{{ m }}", m=_l("Choose %(name)s.", name="<script>x</script>"))
    assert html == "Choose &lt;script&gt;x&lt;/script&gt;."


def test_the_case_pages_audit_list_names_event_kinds_in_the_readers_language(web, org):
    case = org.case_in("inspection")
    web.login("auditor")
    audit_list = web.speak("zh").get(f"/cases/{case.id}").get_data(as_text=True).split('class="audit"')[1].split("</ul>")[0]
    assert terms.label(EVENT_KINDS, "case.opened", "zh") in audit_list
    assert "case.opened" not in audit_list and "case.transition" not in audit_list


def test_a_requests_language_is_looked_up_once_and_ends_with_the_request(app, web):
    """workflow/i18n.py keeps the request's catalogue and language for the request only: the next
    request, in the other language, speaks its own; after it, Flask-Babel answers again."""
    from flask import template_rendered

    from workflow import i18n

    seen = []

    def rendered(sender, template, context, **extra):
        seen.append((i18n._REQUEST.get(), i18n._("Cases"), i18n.language()))

    with template_rendered.connected_to(rendered, app):
        zh = web.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        en = web.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "工作人员登录" in zh and "Staff sign in" in en
    assert [(text, lang) for _held, text, lang in seen] == [("案件", "zh"), ("Cases", "en")]
    assert all(isinstance(held, tuple) and held is not i18n._PENDING for held, _t, _l in seen)  # the fast path
    assert i18n._REQUEST.get() is None
