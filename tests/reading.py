"""A reader of a given language for tests that call the domain directly (no page in between)."""
from contextlib import contextmanager

import flask_babel


@contextmanager
def reading(app, accept_language):
    """A request context whose browser asks for ``accept_language``; the test's own app context
    (which would otherwise keep that locale cached) is refreshed on the way in and out."""
    with app.test_request_context(headers={"Accept-Language": accept_language}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


def in_chinese(app):
    """What the door says to a reader whose browser asks for Chinese."""
    return reading(app, "zh-CN,zh;q=0.9")
