"""What a person does in the browser, shared by the end-to-end tests, and the language they read.

Tests are written once, with the English texts of the code (the msgids), and run in Chinese and in
English: ``Reader`` turns an English msgid into what the page shows in the language of the run
(the Chinese from the catalogue parts, translations/zh/parts/*.po), and domain vocabulary
(states, steps, fields, terms) into its name in that language.
"""
from functools import lru_cache

from babel.dates import format_date, format_datetime
from playwright.sync_api import expect

from workflow import clock, terms
from workflow.registry import WORKFLOWS

PASSWORD = "test-pass-123"
LANGUAGES = ("zh", "en")
BROWSER_LOCALES = {"zh": "zh-CN", "en": "en-US"}


@lru_cache(maxsize=1)
def _chinese():
    from web.catalogue import translations

    return translations()


class Reader:
    """The language a test reads the pages in: ``zh`` or ``en``."""

    def __init__(self, lang):
        assert lang in LANGUAGES, lang
        self.lang = lang

    @property
    def zh(self):
        return self.lang == "zh"

    def __repr__(self):
        return f"Reader({self.lang!r})"

    def t(self, msgid, **variables):
        """The page's text for an English message of the code (with its %(name)s placeholders filled).
        A message without Chinese is a failure here: the page would show English to a Chinese reader."""
        text = msgid
        if self.zh:
            text = _chinese().get(msgid)
            assert text is not None, f"no Chinese in translations/zh/parts for {msgid!r}"
        return text % variables if variables else text

    def pick(self, en, zh):
        return zh if self.zh else en

    def state(self, track, name):
        s = WORKFLOWS[track].state(name)
        return self.pick(s.en, s.zh)

    def step(self, track, trigger):
        if trigger == "open":
            return self.t("Case opened")
        t = next(t for t in WORKFLOWS[track].transitions if t.trigger == trigger)
        return self.pick(t.en, t.zh)

    def field(self, track, trigger, name):
        f = next(f for f in WORKFLOWS[track].fields_for(trigger) if f.name == name)
        return self.pick(f.en, f.zh)

    def term(self, vocabulary, code):
        """``term("ROLES", "inspector")`` or ``term(terms.ROLES, "inspector")``."""
        vocabulary = getattr(terms, vocabulary) if isinstance(vocabulary, str) else vocabulary
        return terms.label(vocabulary, code, self.lang)

    def join(self, items):
        """Lines and votes in a step record: "; " in English, "；" in Chinese."""
        return self.pick("; ", "；").join(items)

    def vote(self, name, code):
        return f"{name}{self.pick(': ', '：')}{self.term(terms.VOTES, code)}"

    def transition(self, track, source, dest):
        """A timeline entry's move: "Publicity → Appointed"."""
        return f"{self.state(track, source)} → {self.state(track, dest)}"

    def date(self, day):
        """A date as the pages show it (|date): 2026年3月16日 / Mar 16, 2026."""
        return format_date(day, "medium", locale=self.lang)

    def datetime(self, moment):
        return format_datetime(moment, "medium", tzinfo=clock.LOCAL_TZ, locale=self.lang)


# --- what a person does ---------------------------------------------------------------------

def sign_in(page, reader, username, landing="Cases"):
    """Sign in from the sign-in page; the header names the role, and the landing page is shown."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=reader.t("Sign in"), exact=True).click()
    expect(page.locator("header .who")).to_contain_text(reader.term(terms.ROLES, username))
    if landing:
        expect(page.get_by_role("heading", name=reader.t(landing), exact=True)).to_be_visible()


def sign_out(page, reader):
    page.get_by_role("button", name=reader.t("Sign out"), exact=True).click()
    expect(page.locator(".flash")).to_have_text(reader.t("You have signed out."))
    expect(page.get_by_role("heading", name=reader.t("Sign in"), exact=True)).to_be_visible()


def main_menu(page, reader):
    return page.get_by_role("navigation", name=reader.t("Main"), exact=True)


def open_case(page, reader, reference):
    """From the case list, follow the case's reference."""
    main_menu(page, reader).get_by_role("link", name=reader.t("Cases"), exact=True).click()
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.locator(".case-head h1")).to_contain_text(reference)


def card(page, heading):
    """The card (section.card) whose heading is ``heading`` (already in the reader's language)."""
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def case_facts(page, reader):
    """The "Case" card of the case page."""
    return card(page, reader.t("Case"))


def action(page, trigger):
    """The action's panel, unfolded (a click on its summary unless it is open already)."""
    panel = page.locator(f"#act-{trigger}")
    expect(panel).to_be_visible()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(panel).to_have_attribute("open", "")
    return panel


def submit(panel):
    panel.locator("form").get_by_role("button").click()


def expect_state(page, reader, track, name):
    expect(page.locator(".case-head .state")).to_have_text(reader.state(track, name))


def expect_recorded(page, reader, track, trigger):
    expect(page.locator(".flash.success")).to_have_text(reader.t("Recorded: %(step)s.", step=reader.step(track, trigger)))


def no_horizontal_scroll(page):
    """The page is not wider than the window (a pixel of rounding allowed)."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"the page scrolls sideways: {width}px in a {inner}px window ({page.url})"
