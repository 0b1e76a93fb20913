"""Browser tests: the session ``app`` served from a thread of this process, driven with Debian's Chromium.

Serving from the same process (not a subprocess) means the server sees the same frozen process
clock as the test, so ``travel`` moves time for the browser too, and no deadline needs a real
sleep. The server thread handles each request in its own Flask app context, so it has its own
Flask-SQLAlchemy scoped session: the test must *commit* what it creates before the browser asks
for it (the factories in ``tests/factories.py`` do), and must ``db.session.rollback()`` before
reading back what the browser changed.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``CHROMIUM`` to
override). On a failure the page is kept as ``test-artifacts/<test name>.png`` (and ``.html``).
Set ``BROWSER_SHOTS=/some/dir`` to also keep the screenshots a test takes along the way.

Every test that uses ``page`` runs twice, ``[zh]`` and ``[en]``: the browser context's locale
(zh-CN / en-US) sets Accept-Language, so the app shows Chinese when the browser asks for it and
English otherwise; ``reader`` (person.Reader) gives the texts a test expects in that language.
"""
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .person import BROWSER_LOCALES, LANGUAGES, Reader

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
               "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (``item.rep_setup``, ``item.rep_call``) for the fixtures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(app):
    """The session app on 127.0.0.1:<free port>, one thread per request; the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="cadreflow-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()  # returns once serve_forever has stopped
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def no_server_errors_in_the_browser(request):
    """A browser test fails on any 5xx or unhandled exception the live server answered with, even if
    the page that came back happened to satisfy the assertions."""
    if "live_server" not in request.fixturenames:
        yield
        return
    from flask import got_request_exception, request_finished

    app = request.getfixturevalue("app")
    failures = []

    def finished(sender, response, **_):
        if response.status_code >= 500:
            failures.append(f"HTTP {response.status_code}")

    def crashed(sender, exception, **_):
        failures.append(repr(exception))

    request_finished.connect(finished, app)
    got_request_exception.connect(crashed, app)
    try:
        yield
    finally:
        request_finished.disconnect(finished, app)
        got_request_exception.disconnect(crashed, app)
    assert failures == [], f"the server failed while the browser used it: {failures}"


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make system-deps` (make test does), or set CHROMIUM")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(params=LANGUAGES)
def lang(request):
    """The language the browser asks for: "zh" (zh-CN) or "en" (en-US)."""
    return request.param


@pytest.fixture
def reader(lang):
    return Reader(lang)


@pytest.fixture
def page(chromium, live_server, lang, request):
    """A fresh browser context and page on the live server, asking for ``lang``; a screenshot is kept
    if the test fails."""
    context = chromium.new_context(base_url=live_server, locale=BROWSER_LOCALES[lang], timezone_id="Asia/Shanghai",
                                   viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            _keep_failure(page, request.node.name)
        context.close()


def _keep_failure(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
    try:
        page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
        stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # never hide the test's own failure behind this one
        print(f"could not keep a screenshot of {name}: {exc}")


@pytest.fixture
def snap(request):
    """``snap(page, "label")``: a full-page screenshot into $BROWSER_SHOTS, when that is set."""
    folder = os.environ.get("BROWSER_SHOTS")

    def take(page, label):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{request.node.name}-{label}.png"), full_page=True)

    return take
