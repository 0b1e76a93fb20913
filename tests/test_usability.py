"""Usability over every page a role can open, in Chinese and in English: every form control has a
label, the page has one <h1>, a skip link and the language switcher; list pages paginate and sort;
the keyboard reaches every control (nothing takes itself out of the tab order)."""
from html.parser import HTMLParser

import pytest

from tests.factories import ROLES

PAGES = {  # what each role's menu offers, plus the pages of one case, one cadre
    "case_officer": ["/dashboard", "/cases", "/cases/new", "/cases/new?track=adjustment", "/deadlines", "/cadres",
                     "/cadres/new", "/imports", "/intake", "/notifications", "/account", "/bulk/assessments",
                     "{case}", "{case}/record", "{adjustment}", "{cadre}", "{cadre}/edit"],
    "inspector": ["/dashboard", "/cases", "/deadlines", "/cadres", "{case}", "{adjustment}"],
    "discipline_liaison": ["/dashboard", "/cases", "/intake", "{case}", "{adjustment}"],
    "committee_secretary": ["/dashboard", "/cases", "{case}", "{adjustment}"],
    "auditor": ["/dashboard", "/cases", "/audit", "/audit/verify", "{case}", "{case}/record", "{cadre}"],
    "administrator": ["/dashboard", "/cases", "/admin/calendar", "/admin/units", "/admin/rules", "/admin/permissions",
                      "/audit", "/imports", "/cadres"],
    None: ["/login", "/report", "/apply", "/report/status"],
}
PRINT_PAGES = {"{case}/record"}  # the printable record: no header, no menu
LISTS = ["/cases", "/cadres", "/audit", "/intake", "/notifications", "/deadlines"]


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls, self.labelled_ids, self.h1, self.links, self.forms = [], set(), 0, [], []
        self.open_labels, self.negative_tabindex, self.sort_links = 0, [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.labelled_ids.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button", "reset"):
            self.controls.append((tag, a, self.open_labels > 0))
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a":
            self.links.append(a)
            if "sort=" in (a.get("href") or ""):
                self.sort_links += 1
        if a.get("tabindex", "0").lstrip("-").isdigit() and int(a.get("tabindex", "0")) < 0 and tag != "main":
            self.negative_tabindex.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self):
        return [(tag, a.get("name") or a.get("id")) for tag, a, wrapped in self.controls
                if not (wrapped or a.get("id") in self.labelled_ids or a.get("aria-label") or a.get("aria-labelledby"))]


def parse(html):
    page = Page()
    page.feed(html)
    return page


@pytest.fixture
def places(org):
    case = org.case_in("publicity")
    adjustment = org.adjustment_in("verification")
    return {"case": f"/cases/{case.id}", "adjustment": f"/cases/{adjustment.id}", "cadre": f"/cadres/{case.cadre_id}"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "public"])
def test_every_control_is_labelled_and_every_page_has_its_landmarks(web, org, places, role, lang):
    web.speak(lang)
    if role:
        web.login(role)
    problems = []
    for pattern in PAGES[role]:
        url = pattern.format(**places)
        response = web.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        page = parse(html)
        if page.unlabelled():
            problems.append((url, "unlabelled", page.unlabelled()))
        if page.h1 != 1:
            problems.append((url, "h1 count", page.h1))
        if page.negative_tabindex:
            problems.append((url, "out of the tab order", page.negative_tabindex))
        if pattern not in PRINT_PAGES and not any(link.get("href") == "#main" for link in page.links):
            problems.append((url, "no skip link"))
        if pattern not in PRINT_PAGES and 'action="/language"' not in html:
            problems.append((url, "no language switcher"))
        if f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' not in html:
            problems.append((url, "page language not declared"))
    assert problems == []


@pytest.mark.parametrize("url", LISTS)
def test_list_pages_sort_and_paginate(web, org, places, url):
    web.login("case_officer" if url != "/audit" else "auditor")
    html = web.get(url).get_data(as_text=True)
    page = parse(html)
    assert page.sort_links >= 2, f"{url}: no sortable columns"
    assert 'class="pager"' in html, f"{url}: no pager"
