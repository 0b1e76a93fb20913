"""Sorting and paging of the list pages (issue #7 item 6): the audit trail, the notification
centre, the deadlines page and the intake inbox, and the case and cadre lists both ways.

Each page is read sorted by each of its keys both ways, page after page (following its "next"
link, which must keep the sort), and the rows must come in the order the test works out itself from
the data, ties broken by the page's unique tie-breaker. An unknown sort key or direction falls back
to the default (never an error); the sorted column says so with aria-sort; filters keep the sort.
"""
import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import select

from models import AuditEvent, Reminder, Submission, Unit, User, db
from workflow import audit, clock
from workflow.calendar import WorkingDays
from workflow.deadlines import due_items
from workflow.rules import active_rule_set, rules_of
from workflow.terms import CLUE_CATEGORIES

from .test_reminders import sanction

PAGE = 4  # rows per page here, so that every list has several pages
BOGUS = [quote(v) for v in ["bogus", "id; DROP TABLE audit_event", "-time", "__class__", "", "summary", "名字"]]


@pytest.fixture
def small_pages(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", PAGE)


# --- helpers ---------------------------------------------------------------------------------------

def html_of(web, url):
    response = web.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def next_link(html):
    found = re.search(r'<a href="([^"]+)" rel="next">', html)
    return unescape(found.group(1)) if found else None


def every_page(web, url, rows_of):
    """The rows of every page of a list, following its "next" links from ``url``; each link keeps the sort."""
    sort = re.search(r"sort=(\w+)", url)
    seen, pages = [], 0
    while url:
        html = html_of(web, url)
        seen += rows_of(html)
        pages += 1
        url = next_link(html)
        if url and sort:
            assert f"sort={sort.group(1)}" in url and "dir=" in url, url
        assert pages < 50
    return seen, pages


def ordered(rows, key, descending, tiebreak, last=lambda row: False):
    """``rows`` sorted by ``key`` (either way), equal keys in ``tiebreak`` order, ``last`` ones at the end."""
    rows = sorted(rows, key=tiebreak)
    head = sorted((r for r in rows if not last(r)), key=key, reverse=descending)  # stable both ways
    return head + [r for r in rows if last(r)]


def sorted_headers(html):
    """(aria-sort value, header text) of every header that carries aria-sort."""
    return [(value, re.sub(r"<[^>]+>", "", inner).strip())
            for value, inner in re.findall(r'<th aria-sort="(\w+)"><a href="[^"]+">(.*?)</a></th>', html)]


# --- the audit trail -------------------------------------------------------------------------------

@pytest.fixture
def trail(org, travel):
    """Events of several actors, kinds and cases, a few of them without an actor or a case."""
    first, second = org.open_case(), org.open_case(cadre=org.cadre(name="李四"))
    users = org.users
    for n, (kind, actor, case) in enumerate([
        ("cadre.updated", users["administrator"], None), ("case.assigned", users["case_officer"], second),
        ("rules.created", None, None), ("case.assigned", users["inspector"], first),
        ("cadre.updated", users["auditor"], first), ("login.success", users["officer_b"], None),
        ("reminder.sent", users["committee_secretary"], second), ("login.failure", None, None),
        ("case.assigned", users["case_officer"], first), ("cadre.updated", users["administrator"], second),
    ]):
        travel.days(1)
        audit.append(db.session, kind=kind, actor=actor, case=case, at=clock.now(), summary=f"event {n}",
                     unit_id=None if case else org.unit_a.id)
    db.session.commit()
    return first, second


def audit_rows(html):
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    return [int(i) for i in re.findall(r"<tr>\s*<td>(\d+)</td>", tbody.group(1))] if tbody else []


def all_events(**where):
    names = dict(db.session.execute(select(User.id, User.username)).all())
    query = select(AuditEvent).where(*[getattr(AuditEvent, k) == v for k, v in where.items()])
    return [(e.id, names.get(e.actor_id), e.kind, e.case_id) for e in db.session.scalars(query)]


AUDIT_KEYS = {  # key: (the value sorted on, no value → last)
    "time": (lambda e: e[0], lambda e: False),
    "actor": (lambda e: e[1] or "", lambda e: e[1] is None),
    "kind": (lambda e: e[2], lambda e: False),
    "case": (lambda e: e[3] or 0, lambda e: e[3] is None),
}


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", list(AUDIT_KEYS))
def test_the_audit_trail_sorts_by_each_column_both_ways_page_after_page(web, trail, small_pages, key, direction):
    web.login("auditor")
    events = all_events()  # everything the auditor (root unit) may see; the sign-in above included
    value, last = AUDIT_KEYS[key]
    expected = [e[0] for e in ordered(events, value, direction == "desc", lambda e: -e[0], last)]
    shown, pages = every_page(web, f"/audit?sort={key}&dir={direction}", audit_rows)
    assert shown == expected
    assert pages == -(-len(expected) // PAGE) > 3
    html = html_of(web, f"/audit?sort={key}&dir={direction}")
    assert sorted_headers(html) == [("descending" if direction == "desc" else "ascending",
                                     {"time": "When", "actor": "Actor", "kind": "Kind", "case": "Case"}[key]
                                     + (" ▼" if direction == "desc" else " ▲"))]


def test_the_audit_trail_is_newest_first_by_default_and_falls_back_on_unknown_sorts(web, trail, small_pages):
    web.login("auditor")
    newest_first = sorted((e[0] for e in all_events()), reverse=True)
    assert audit_rows(html_of(web, "/audit")) == newest_first[:PAGE]
    for bogus in BOGUS:
        for direction in ("", "asc", "sideways"):
            html = html_of(web, f"/audit?sort={bogus}&dir={direction}")
            assert audit_rows(html) == newest_first[:PAGE], (bogus, direction)
            assert sorted_headers(html) == [("descending", "When ▼")]
    # A known key with a direction that is not one: the key's own first direction.
    assert audit_rows(html_of(web, "/audit?sort=time&dir=up")) == newest_first[:PAGE]
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == newest_first[0]
    for key in AUDIT_KEYS:  # beyond the last page: no rows, no error
        assert audit_rows(html_of(web, f"/audit?sort={key}&page=999999999999999")) == []


def test_audit_headers_toggle_and_keep_the_filters(web, trail, small_pages):
    web.login("auditor")
    html = html_of(web, "/audit?kind=case.assigned&sort=actor&dir=asc&page=2")
    links = {k: unescape(u) for u, k in re.findall(r'<a href="([^"]+sort=(\w+)[^"]*)">', html)}
    assert "kind=case.assigned" in links["actor"] and "dir=desc" in links["actor"] and "page=1" in links["actor"]
    assert "dir=desc" in links["time"], "a first click on the time column: newest first"
    assert "dir=asc" in links["kind"] and "dir=asc" in links["case"]
    # The filter form carries the sort through a new filtering.
    assert '<input type="hidden" name="sort" value="actor"><input type="hidden" name="dir" value="asc">' in html
    assigned = all_events(kind="case.assigned")
    expected = [e[0] for e in ordered(assigned, lambda e: e[1], True, lambda e: -e[0])]
    assert len(expected) == 3
    assert every_page(web, "/audit?kind=case.assigned&sort=actor&dir=desc", audit_rows)[0] == expected
    first, _ = trail
    of_case = [e[0] for e in ordered(all_events(case_id=first.id), lambda e: e[2], False, lambda e: -e[0])]
    assert every_page(web, f"/audit?case={first.id}&sort=kind&dir=asc", audit_rows)[0] == of_case


def test_the_audit_trail_links_each_events_case_by_its_reference(web, trail):
    first, second = trail
    web.login("auditor")
    html = html_of(web, f"/audit?case={second.id}")
    assert f'<a href="/cases/{second.id}">{second.reference}</a>' in html
    assert f'"/cases/{first.id}"' not in html


def test_an_empty_audit_page_still_sorts_and_pages(web, org):
    web.login("auditor")
    html = html_of(web, "/audit?actor=nobody")
    assert "No events match these filters." in html and audit_rows(html) == []
    assert 'class="pager"' in html and "0 in all" in html and len(sorted_headers(html)) == 1


def test_audit_sort_headers_in_chinese(web, trail):
    web.speak("zh").login("auditor")
    html = html_of(web, "/audit?sort=case&dir=desc")
    assert sorted_headers(html) == [("descending", "案件 ▼")]


# --- the notification centre -----------------------------------------------------------------------

@pytest.fixture
def inbox_of_reminders(org, travel):
    """Nine reminders of the root case officer (some read, some sharing a text or a date), one of someone else."""
    officer = org.users["case_officer"]
    now = clock.now()
    specs = [  # (text, due day offset, read)
        ("Influence period ends", 5, False), ("Step time limit", 2, True), ("Appeal to be decided", 9, False),
        ("Step time limit", 7, False), ("Influence period ends", 2, True), ("Publicity ends", 0, False),
        ("Appeal to be decided", 3, True), ("Step time limit", 5, False), ("Publicity ends", 9, True),
    ]
    for n, (text, offset, read) in enumerate(specs):
        db.session.add(Reminder(kind="stale_step", subject=f"case:{n}", due_on=travel.today + timedelta(days=offset),
                                recipient_id=officer.id, message=text, created_at=now, read_at=now if read else None,
                                email_status="off"))
    db.session.add(Reminder(kind="stale_step", subject="case:99", due_on=travel.today, recipient_id=org.officer_b.id,
                            message="Someone else's", created_at=now, email_status="off"))
    db.session.commit()
    return db.session.scalars(select(Reminder).where(Reminder.recipient_id == officer.id)).all()


def notification_rows(html):
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if not tbody:
        return []
    return [(re.sub(r"\s+", " ", unescape(text)).strip(), day) for day, text in re.findall(
        r'<time datetime="([\d-]+)">.*?</td>\s*<td>(.*?)</td>', tbody.group(1), re.S)]


NOTIFICATION_KEYS = {
    "read": lambda r: r.read_at is not None,
    "date": lambda r: r.due_on,
    "kind": lambda r: r.message,
}


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", list(NOTIFICATION_KEYS))
def test_notifications_sort_by_each_column_both_ways_page_after_page(web, inbox_of_reminders, small_pages, key, direction):
    web.login("case_officer")
    tiebreak = (lambda r: (r.due_on, -r.id)) if key == "read" else (lambda r: -r.id)
    expected = [(r.message, r.due_on.isoformat())
                for r in ordered(inbox_of_reminders, NOTIFICATION_KEYS[key], direction == "desc", tiebreak)]
    shown, pages = every_page(web, f"/notifications?sort={key}&dir={direction}", notification_rows)
    assert shown == expected and pages == 3
    assert "Someone else's" not in str(shown)
    label = {"read": "Read / unread", "date": "Due", "kind": "Reminder"}[key]
    assert sorted_headers(html_of(web, f"/notifications?sort={key}&dir={direction}")) == [
        ("descending" if direction == "desc" else "ascending", label + (" ▼" if direction == "desc" else " ▲"))]


def test_notifications_default_to_unread_first_and_fall_back_on_unknown_sorts(web, inbox_of_reminders, small_pages):
    web.login("case_officer")
    default = every_page(web, "/notifications", notification_rows)[0]
    assert default == every_page(web, "/notifications?sort=read&dir=asc", notification_rows)[0]
    assert [m for m, _ in default[:5]] == ["Publicity ends", "Step time limit", "Influence period ends",
                                           "Step time limit", "Appeal to be decided"], "unread first, by date, newest first"
    for bogus in BOGUS:
        assert notification_rows(html_of(web, f"/notifications?sort={bogus}&dir=up")) == default[:PAGE], bogus


def test_the_unread_filter_keeps_the_sort(web, inbox_of_reminders, small_pages):
    web.login("case_officer")
    html = html_of(web, "/notifications?sort=date&dir=desc")
    toggle = unescape(re.search(r'<a href="([^"]*unread=1[^"]*)">Unread only</a>', html).group(1))
    assert "sort=date" in toggle and "dir=desc" in toggle
    unread = [r for r in inbox_of_reminders if r.read_at is None]
    expected = [(r.message, r.due_on.isoformat()) for r in ordered(unread, lambda r: r.due_on, True, lambda r: -r.id)]
    assert every_page(web, toggle, notification_rows)[0] == expected
    # Marking one as read comes back to the same sorted page.
    form = re.search(r'name="next" value="([^"]+)"', html_of(web, toggle)).group(1)
    assert "sort=date" in unescape(form) and "unread=1" in unescape(form)


def test_an_empty_notification_centre_still_has_its_headers_and_pager(web, org):
    web.login("case_officer")
    html = html_of(web, "/notifications")
    assert "No notifications." in html and notification_rows(html) == []
    assert html.count("sort=") >= 3 and 'class="pager"' in html and "0 in all" in html


def test_notification_headers_in_chinese(web, inbox_of_reminders):
    web.speak("zh").login("case_officer")
    html = html_of(web, "/notifications")
    assert sorted_headers(html) == [("ascending", "已读/未读 ▲")]


# --- the deadlines page ----------------------------------------------------------------------------

@pytest.fixture
def due(org, travel):
    """Items of several kinds in the root unit and units A and B, seen on 2026-04-10 by the root officer."""
    org.open_case(cadre=org.cadre(name="甲一"))  # stale on 04-01 (A)
    org.open_case(cadre=org.cadre(name="甲二"))
    travel.to(date(2026, 3, 15))
    org.open_case(cadre=org.cadre(unit=org.unit_b, name="乙一"), post=org.post_b, officer=org.officer_b)  # 04-14 (B)
    for name, unit, ends, measure in [("丙", org.unit_a, date(2026, 4, 5), "admonishment"),
                                      ("丁", org.root, date(2026, 4, 10), "gov_demerit"),
                                      ("戊", org.unit_b, date(2026, 5, 10), "admonishment"),
                                      ("己", org.root, date(2026, 4, 20), "admonishment"),
                                      ("庚", org.unit_a, date(2026, 4, 20), "gov_demerit"),
                                      ("辛", org.root, date(2026, 4, 14), "gov_demerit")]:
        sanction(org.cadre(unit=unit, name=name), ends, measure)
    travel.to(date(2026, 4, 10))
    today = clock.today_local()
    items = due_items(db.session, today, rules_of(active_rule_set(db.session)), WorkingDays.from_db(db.session),
                      horizon_days=30)
    items = [i for i in items if i.due_on <= today + timedelta(days=30)]
    assert len(items) >= 9
    return items


def deadline_rows(html):
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if not tbody:
        return []
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S):
        cells = [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", c))).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        day = re.search(r'datetime="([\d-]+)"', row).group(1)
        out.append((day, cells[1], cells[2], cells[3]))
    return out


def deadline_key(item, units):
    return item.due_on.isoformat(), str(item.title), item.reference, units[item.unit_id]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", ["due", "kind", "case", "unit"])
def test_deadlines_sort_by_each_column_both_ways_page_after_page(web, due, small_pages, key, direction):
    web.login("case_officer")
    units = dict(db.session.execute(select(Unit.id, Unit.name)).all())
    today = clock.today_local()
    one = lambda i: (i.due_on, i.kind, i.subject)  # noqa: E731 - what names one item
    if key == "due" and direction == "asc":  # overdue actions, then what is coming, then dates passed
        expected = sorted(due, key=lambda i: (0 if i.due_on < today and i.expects_action else 2 if i.due_on < today else 1,
                                              *one(i)))
    elif key == "due":
        expected = sorted(due, key=one, reverse=True)
    else:
        value = {"kind": lambda i: str(i.title), "case": lambda i: i.reference, "unit": lambda i: units[i.unit_id]}[key]
        expected = ordered(due, value, direction == "desc", one)
    shown, pages = every_page(web, f"/deadlines?sort={key}&dir={direction}", deadline_rows)
    assert shown == [deadline_key(i, units) for i in expected]
    assert pages == -(-len(due) // PAGE) > 2
    label = {"due": "Due", "kind": "Item", "case": "Case / cadre", "unit": "Unit"}[key]
    assert sorted_headers(html_of(web, f"/deadlines?sort={key}&dir={direction}")) == [
        ("descending" if direction == "desc" else "ascending", label + (" ▼" if direction == "desc" else " ▲"))]


def test_deadlines_default_to_overdue_first_and_fall_back_on_unknown_sorts(web, due, small_pages):
    web.login("case_officer")
    default = every_page(web, "/deadlines", deadline_rows)[0]
    assert default == every_page(web, "/deadlines?sort=due&dir=asc", deadline_rows)[0]
    assert "overdue first" in html_of(web, "/deadlines")
    assert "overdue first" not in html_of(web, "/deadlines?sort=unit")
    for bogus in BOGUS:
        assert deadline_rows(html_of(web, f"/deadlines?sort={bogus}&dir=down")) == default[:PAGE], bogus
    assert deadline_rows(html_of(web, "/deadlines?page=999")) == []
    assert deadline_rows(html_of(web, "/deadlines?page=x")) == default[:PAGE]


def test_deadlines_of_one_unit_are_paged_too(web, due, small_pages):
    web.login("officer_b")
    shown, pages = every_page(web, "/deadlines?sort=case&dir=desc", deadline_rows)
    assert {row[3] for row in shown} == {"Bureau B 乙局"} and len(shown) == 2 and pages == 1


def test_deadline_headers_in_chinese(web, due):
    web.speak("zh").login("case_officer")
    html = html_of(web, "/deadlines?sort=unit&dir=asc")
    assert sorted_headers(html) == [("ascending", "单位 ▲")] and "所辖单位30天内到期的事项" in html


# --- the intake inbox ------------------------------------------------------------------------------

@pytest.fixture
def submissions(org, travel):
    """Ten submissions in units A and B: clues of several categories, self-recommendations without one, every status."""
    specs = [  # (kind, category, status, minutes after the first)
        ("clue", "passing_the_buck", "new", 0), ("self_recommendation", "", "new", 5), ("clue", "other", "accepted", 10),
        ("clue", "arbitrary_action", "dismissed", 10), ("clue", "passing_the_buck", "new", 30),
        ("self_recommendation", "", "dismissed", 40), ("clue", "unreachable", "accepted", 50),
        ("clue", "arbitrary_action", "new", 60), ("clue", "discipline", "new", 60), ("clue", "other", "dismissed", 90),
    ]
    start = clock.now()
    for n, (kind, category, status, minutes) in enumerate(specs):
        db.session.add(Submission(kind=kind, receipt_code=f"RC{n:04d}", unit_id=(org.unit_a if n % 2 else org.unit_b).id,
                                  cadre_name="张三", category=category, content=f"submission {n}", status=status,
                                  received_at=start + timedelta(minutes=minutes)))
    db.session.commit()
    return db.session.scalars(select(Submission)).all()


def intake_rows(html):
    return re.findall(r"· (RC\d{4}) <span", html)


STATUS_ORDER = {"new": 0, "accepted": 1, "dismissed": 2}


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize("key", ["received", "category", "status"])
def test_the_intake_inbox_sorts_by_each_key_both_ways_page_after_page(web, submissions, small_pages, key, direction):
    web.login("case_officer")
    newest = lambda s: (-s.received_at.timestamp(), -s.id)  # noqa: E731
    descending = direction == "desc"
    if key == "received":
        expected = sorted(submissions, key=lambda s: (s.received_at, s.id), reverse=descending)
    elif key == "category":
        expected = ordered(submissions, lambda s: CLUE_CATEGORIES[s.category][0], descending, newest,
                           last=lambda s: not s.category)
    else:
        expected = ordered(submissions, lambda s: STATUS_ORDER[s.status], descending, newest)
    shown, pages = every_page(web, f"/intake?status=all&sort={key}&dir={direction}", intake_rows)
    assert shown == [s.receipt_code for s in expected] and pages == 3
    html = html_of(web, f"/intake?status=all&sort={key}&dir={direction}")
    current = re.findall(r'<a href="[^"]*" aria-current="true">([^<]+?) <span aria-hidden="true">([▲▼])</span>', html)
    assert current == [({"received": "Received at", "category": "Category", "status": "Status"}[key],
                        "▼" if descending else "▲")]
    assert ("(descending)" if descending else "(ascending)") in html


def test_the_intake_inbox_defaults_to_newest_first_and_keeps_sort_and_status_together(web, submissions, small_pages):
    web.login("case_officer")
    new = sorted((s for s in submissions if s.status == "new"), key=lambda s: (s.received_at, s.id), reverse=True)
    assert every_page(web, "/intake", intake_rows)[0] == [s.receipt_code for s in new]
    for bogus in BOGUS:
        assert intake_rows(html_of(web, f"/intake?status=all&sort={bogus}&dir=x")) == \
            intake_rows(html_of(web, "/intake?status=all"))
    html = html_of(web, "/intake?status=accepted&sort=category&dir=desc")
    links = [unescape(u) for u in re.findall(r'<a href="(/intake\?[^"]*)"', html)]
    status_links = [u for u in links if "page=" not in u]
    assert len(status_links) == 4 and all("sort=category" in u and "dir=desc" in u for u in status_links)
    sort_links = [u for u in links if "page=1" in u]
    assert len(sort_links) == 3 and all("status=accepted" in u for u in sort_links)


def test_intake_sorting_in_chinese(web, submissions):
    web.speak("zh").login("case_officer")
    html = html_of(web, "/intake?status=all&sort=status&dir=asc")
    assert "排序：" in html and "（升序）" in html and "办理状态" in html


# --- the case list and the cadre list: both ways too ------------------------------------------------

@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_case_list_sorts_by_reference_both_ways_page_after_page(web, org, small_pages, direction):
    references = [org.open_case().reference for _ in range(6)]
    web.login("case_officer")
    rows, pages = every_page(web, f"/cases?sort=reference&dir={direction}",
                             lambda html: re.findall(r'<td><a href="/cases/\d+">([^<]+)</a></td>', html))
    assert rows == sorted(references, reverse=direction == "desc") and pages == 2
    html = html_of(web, f"/cases?sort=reference&dir={direction}")
    assert [(value, text.startswith("Reference")) for value, text in sorted_headers(html)] == [
        ("descending" if direction == "desc" else "ascending", True)]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_cadre_list_sorts_by_name_both_ways(web, org, small_pages, direction):
    names = [org.cadre(name=n).name for n in ("Ann", "Bo", "Cy", "Di", "Ed")]
    web.login("case_officer")
    rows, _pages = every_page(web, f"/cadres?sort=name&dir={direction}",
                              lambda html: re.findall(r'<td><a href="/cadres/\d+">([^<]+)</a></td>', html))
    assert rows == sorted(names, reverse=direction == "desc")
    for bogus in BOGUS:
        assert web.get(f"/cadres?sort={bogus}&dir={bogus}").status_code == 200


def bell(html):
    return re.search(r'<a href="/notifications" class="bell" aria-label="([^"]*)">(.*?)</a>', html, re.S).groups()


def test_the_bell_counts_unread_reminders_up_to_99_then_says_99_plus(web, org, inbox_of_reminders):
    officer = org.users["case_officer"]
    web.login("case_officer")
    label, text = bell(html_of(web, "/cases"))
    assert (unescape(label), re.sub(r"<[^>]+>", "", text).strip()) == ("Notifications: 5 unread", "Notifications 5")
    now = clock.now()
    for n in range(94):  # 5 + 94 = 99 unread
        db.session.add(Reminder(kind="stale_step", subject=f"case:{100 + n}", due_on=now.date(), recipient_id=officer.id,
                                message="More", created_at=now, email_status="off"))
    db.session.commit()
    assert bell(html_of(web, "/cases"))[1].endswith('<span class="badge">99</span>')
    db.session.add(Reminder(kind="stale_step", subject="case:999", due_on=now.date(), recipient_id=officer.id,
                            message="One more", created_at=now, email_status="off"))
    db.session.commit()
    label, text = bell(html_of(web, "/cases"))
    assert unescape(label) == "Notifications: 99+ unread" and text.endswith('<span class="badge">99+</span>')
