"""Fuzzing through the pages (issue #8 item 4): the same random sequences as tests/test_fuzz_door.py
— any trigger of either track, any user (each role, own and other unit), demo and spec data with
random mutations, clock moves — but posted as the browser posts them, with the test client, and
mixed with page views carrying random query strings.

Properties: never a 5xx and never an unhandled exception; a response that is not a redirect
(a refusal: 400/403/404/409/422) changed nothing; a page view changed nothing; and after every step
the invariants of the door fuzzer hold (state = last state event, chain intact, one state each, no
deadline lost).
"""
from urllib.parse import quote

import pytest
from flask import g, got_request_exception
from hypothesis import strategies as st
from hypothesis.stateful import rule

from models import db
from workflow.registry import WORKFLOWS, open_fields

from .factories import PASSWORD
from .test_fuzz_door import (
    JUNK,
    Fuzz,
    draw_step_data,
    draw_trigger,
    draw_user,
    draw_version,
    ids_of,
    run_machine,
    snapshot,
    spec_value,
)

REFUSALS = {400, 403, 404, 405, 409, 422}
QUERY_JUNK = ["", "1", "0", "-1", "2", "99999999999999999999", "abc", "1e3", "%00", "%ED%A0%80", "%FF%FE", "<script>",
              "x" * 3000, "2026-02-30", "0001-01-01", "9999-12-31", "updated", "due", "reference", "cadre", "name",
              "promotion", "adjustment", "publicity", "nomination", "intake", "new", "accepted", "case.transition"]
PAGES = ["/cases", "/cases/{case}", "/cases/{case}/record", "/cadres", "/cadres/{cadre}", "/notifications", "/deadlines",
         "/intake", "/audit", "/audit/verify", "/dashboard", "/account", "/admin/calendar", "/admin/units", "/admin/rules",
         "/report/status", "/cases/new", "/cases/new?track=adjustment", "/cadres/{cadre}/edit"]
QUERY_KEYS = ["page", "sort", "q", "track", "state", "unit", "status", "since", "until", "case", "cadre", "actor", "kind",
              "unread", "code", "format", "reuse", "cadre"]


def encode(fields: dict) -> str:
    """An application/x-www-form-urlencoded body; strings with lone surrogates go out as the raw
    (invalid UTF-8) bytes a broken client would send: %ED%A0%80."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in fields.items())


def form_fields(trigger, fields, data, prefix):
    """The browser's view of step data: one input per field, the votes as numbered rows."""
    out = {}
    specs = {f.name: f for f in fields}
    for name, value in data.items():
        key = f"{prefix}-{name}" if prefix else name
        spec = specs.get(name)
        if value is None:
            continue
        if spec is not None and spec.kind == "votes" and isinstance(value, list):
            for i, row in enumerate(value):
                if isinstance(row, dict):
                    out[f"{key}-{i}-name"] = str(row.get("name", ""))
                    out[f"{key}-{i}-vote"] = str(row.get("vote", ""))
            continue
        if spec is not None and spec.kind == "bool":
            if value is True:
                out[key] = "y"
            elif value not in (False, "", None):
                out[key] = str(value)
            continue
        if isinstance(value, list):
            out[key] = "\n".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def fresh_g():
    """The test client's requests run in the test's app context (pushed by the conftest), so ``g``
    would carry one user's sign-in and CSRF token into the next user's request: start each clean."""
    for key in list(vars(g)):
        delattr(g, key)


class ViewFuzz(Fuzz):
    def __init__(self):
        super().__init__()
        self.clients, self.tokens = {}, {}
        self.crashes = []
        got_request_exception.connect(self._crashed, self.app)

    def _crashed(self, sender, exception, **_):
        self.crashes.append(repr(exception))

    def teardown(self):
        got_request_exception.disconnect(self._crashed, self.app)

    def client_for(self, name):
        """A signed-in test client per user (signing in is an audit event: done before any snapshot)."""
        if name not in self.clients:
            client = self.app.test_client()
            fresh_g()
            response = client.post("/login", data={"username": self.org.users[name].username, "password": PASSWORD,
                                                   "csrf_token": self._token(client)})
            assert response.status_code == 302, response.status_code
            self.clients[name], self.tokens[name] = client, self._token(client)
        return self.clients[name], self.tokens[name]

    @staticmethod
    def _token(client):
        import re

        fresh_g()
        page = client.get("/login").get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def request(self, method, name, url, body=None):
        client, token = self.client_for(name)
        db.session.rollback()  # the test's own session holds nothing open while the app works
        before = snapshot()
        fresh_g()
        if method == "GET":
            response = client.get(url)
        else:
            body = dict(body or {})
            response = client.post(url, data=encode(body), content_type="application/x-www-form-urlencoded")
        status = response.status_code
        assert status < 500, (method, url, status, response.get_data(as_text=True)[:2000])
        assert self.crashes == [], self.crashes
        if method == "GET" or status in REFUSALS:
            assert snapshot() == before, f"{method} {url} answered {status} and changed something"
        else:
            assert status in (302, 303), (method, url, status)
            STATS[f"{method} ok"] = STATS.get(f"{method} ok", 0) + 1
        STATS[status] = STATS.get(status, 0) + 1
        db.session.rollback()
        return response

    @rule(data=st.data())
    def act(self, data):
        case = self.pick_case(data)
        trigger = draw_trigger(data.draw, case)
        user = draw_user(data.draw, self.org, trigger)
        name = next(k for k, u in self.org.users.items() if u is user)
        fields = next((wf.fields_for(trigger) for wf in WORKFLOWS.values() if trigger in wf.triggers()), ())
        payload = draw_step_data(data.draw, trigger, case, self.travel.today, ids_of(self.org))
        body = form_fields(trigger, fields, payload, trigger)
        version = draw_version(data.draw, case)
        if version is not None:
            body[f"{trigger}-version"] = str(version)
        body[f"{trigger}-csrf_token"] = self.client_for(name)[1]
        if data.draw(st.integers(0, 19), label="drop csrf") == 0:
            body.pop(f"{trigger}-csrf_token")
        self.request("POST", name, f"/cases/{case.id}/act/{quote(trigger)}", body)

    @rule(data=st.data())
    def act_again(self, data):
        self.act(data)

    @rule(data=st.data())
    def open_case(self, data):
        track = data.draw(st.sampled_from(sorted(WORKFLOWS)), label="track")
        name = data.draw(st.sampled_from(sorted(self.org.users)), label="user")
        ids = ids_of(self.org)
        fields = open_fields(track)
        payload = {spec.name: spec_value(data.draw, spec, self.travel.today, ids) for spec in fields}
        if data.draw(st.booleans()):
            payload[data.draw(st.sampled_from([f.name for f in fields]))] = data.draw(JUNK)
        payload["cadre_id"] = data.draw(st.sampled_from(ids["cadres"] + ["999999", "x", ""]), label="cadre")
        if track == "promotion":
            payload["target_position_id"] = data.draw(st.sampled_from(ids["positions"] + ["999999", ""]), label="post")
        body = form_fields(None, fields, payload, None)
        body["csrf_token"] = self.client_for(name)[1]
        self.request("POST", name, f"/cases/new?track={track}", body)

    @rule(data=st.data())
    def view(self, data):
        name = data.draw(st.sampled_from(sorted(self.org.users)), label="user")
        ids = ids_of(self.org)
        case = self.pick_case(data)
        url = data.draw(st.sampled_from(PAGES), label="page").format(case=case.id, cadre=data.draw(st.sampled_from(ids["cadres"])))
        params = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), st.sampled_from(QUERY_JUNK)), max_size=4), label="query")
        if params:
            url += ("&" if "?" in url else "?") + "&".join(f"{k}={v if v.startswith('%') else quote(v)}" for k, v in params)
        self.request("GET", name, url)


STATS = {}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fuzz_the_pages(app, travel):
    STATS.clear()
    run_machine(ViewFuzz, app, travel, max_examples=12, stateful_step_count=30)
    assert STATS.get("POST ok", 0) >= 10 and sum(n for k, n in STATS.items() if k in REFUSALS) >= 20, STATS
