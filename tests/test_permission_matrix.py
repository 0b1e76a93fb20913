"""The permission matrix (workflow/permissions.py) as the application enforces it.

Every route of ``app.url_map`` (GET and POST) is requested by anonymous and by a user of every
role who works in unit B only, for an object of unit B (their own), of unit A (another unit) and
an id that does not exist. The outcome must be the one the matrix says:

* anonymous on a non-public page → redirect to the sign-in page;
* a role the matrix does not list → 403 with the entry's sentence;
* an object of another unit, or an id that exists nowhere → 404 (the same answer: ids cannot be probed);
* otherwise the page answers (GET 200 or a redirect; POST a redirect, or a 4xx about the form);
* never a 5xx; a refused POST changes nothing at all (every table compared before and after).

A new route needs one entry in ``ENDPOINTS`` and, when its URL has a new argument, a sample
value in ``SAMPLES`` below. The CLI commands are listed as operator-only and run here without
any user.
"""
import html
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from models import Unit, db
from workflow import accounts, door, intake, permissions
from workflow.errors import InvalidData, NotFound
from workflow.permissions import ENDPOINTS, PUBLIC, SUBJECTS
from workflow.registry import OPEN_ROLES, WORKFLOWS

from .factories import PASSWORD, ROLES

MISSING_ID = 999_999


# --- the world: users of unit B only, and objects in unit A and unit B ------------------------

@dataclass
class World:
    users: dict  # role -> user of unit B only
    objects: dict  # subject -> {"own": id, "other": id}
    receipt: str  # a receipt code (public pages)
    exports: dict  # user id -> the name of an export file that user cut
    folder: Path


@pytest.fixture
def world(app, org, travel):
    users = {"case_officer": org.officer_b}
    for role in ROLES:
        if role != "case_officer":
            users[role] = accounts.create_user(db.session, f"{role}_b", PASSWORD, role, ["B"], display_name=f"{role} b")
    case_a = org.open_case()  # unit A
    case_b = org.open_case(cadre=org.cadre(name="乙干部", unit=org.unit_b), post=org.post_b)
    sub_a = intake.receive(db.session, "clue", org.unit_a.id, "张三", "甲局线索。", address="192.0.2.1", secret="s")
    sub_b = intake.receive(db.session, "clue", org.unit_b.id, "乙干部", "乙局线索。", address="192.0.2.2", secret="s")
    db.session.commit()
    folder = Path(app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    exports = {}
    for user in [*users.values(), *org.users.values()]:
        name = f"audit-2026-03-02-u{user.id}-{uuid.uuid4().hex}.csv"
        (folder / name).write_text("id\n", encoding="utf-8")
        exports[user.id] = name
    objects = {
        "case": {"own": case_b.id, "other": case_a.id},
        "cadre": {"own": case_b.cadre_id, "other": case_a.cadre_id},
        "submission": {"own": sub_b.id, "other": sub_a.id},
        "unit": {"own": org.unit_b.id, "other": org.unit_a.id},
    }
    yield World(users, objects, sub_b.receipt_code, exports, folder)
    for name in exports.values():
        (folder / name).unlink(missing_ok=True)


# Sample values for the arguments of the URLs (a new argument needs one here).
SAMPLES = {
    "trigger": "withdraw",
    "action": "dismiss",
    "day": "2026-10-10",
    "filename": "app.css",
    "kind": "cadres",
    "fmt": "csv",
    "token": "t" * 32,  # an upload nobody made: 404 even for the roles allowed (one's own uploads only)
}
OPAQUE = {"token"}  # arguments naming one's own item that the test does not make: 404 counts as answered
QUERY = {"intake.received": lambda w: {"code": w.receipt}}
FORM = {
    "admin.units": {"supervisor_id": ""},
    "intake.handle": {"reason": ""},
    "admin.calendar": {},
}


@dataclass
class Probe:
    endpoint: str
    method: str
    variant: str  # own / other / missing / none
    url: str
    view_args: dict
    query: dict
    form: dict


def probes(app, world, user):
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        entry = ENDPOINTS[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            subject = SUBJECTS[entry.subject] if entry.subject else None
            in_url = subject is not None and subject.arg in rule.arguments
            in_form = subject is not None and not in_url and method == "POST"
            owned = in_url or in_form or "name" in rule.arguments
            for variant in (("own", "other", "missing") if owned else ("none",)):
                values = {}
                for arg in rule.arguments:
                    if subject is not None and arg == subject.arg:
                        values[arg] = _object_id(world, entry.subject, variant)
                    elif arg == "name":
                        values[arg] = _export_name(world, user, variant)
                    else:
                        assert arg in SAMPLES, f"add a sample value for the URL argument '{arg}' of {rule.endpoint}"
                        values[arg] = SAMPLES[arg]
                query = QUERY.get(rule.endpoint, lambda w: {})(world)
                form = dict(FORM.get(rule.endpoint, {}))
                if in_form:
                    form[subject.arg] = str(_object_id(world, entry.subject, variant))
                url = adapter.build(rule.endpoint, {**values, **query}, method=method)
                yield Probe(rule.endpoint, method, variant, url, values, query, form)


def _object_id(world, subject, variant):
    return MISSING_ID if variant == "missing" else world.objects[subject][variant]


def _export_name(world, user, variant):
    if variant == "missing":
        return f"audit-2026-03-02-u1-{'0' * 32}.csv"
    mine = world.exports[user.id] if user is not None else next(iter(world.exports.values()))
    if variant == "own":
        return mine
    return next(name for name in world.exports.values() if name != mine)


def fingerprint():
    """Every row of every table: a refused request must leave all of them as they were."""
    db.session.expire_all()
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables}


def body(response):
    return html.unescape(response.get_data(as_text=True))


def is_login_redirect(response):
    return response.status_code in (302, 303) and urlsplit(response.headers.get("Location", "")).path == "/login"


def send(web, probe, token):
    if probe.method == "GET":
        return web.get(probe.url)
    form = dict(probe.form)
    if probe.endpoint == "intake.handle":  # the inbox's forms are prefixed per submission
        form = {f"d{probe.view_args['submission_id']}-{k}": v for k, v in form.items()}
    form["csrf_token"] = token
    return web.post(probe.url, form)


ALLOWED_POST = {200, 302, 303, 400, 401, 409, 422}


@pytest.mark.parametrize("actor", ["anonymous", *ROLES])
def test_every_route_answers_as_the_matrix_says(app, web, world, actor):
    user = None if actor == "anonymous" else world.users[actor]
    token = _sign_in(web, user)
    seen = 0
    for probe in probes(app, world, user):
        rule = ENDPOINTS[probe.endpoint]
        allowed_roles = rule.roles_for(probe.view_args, probe.query)
        refused = user is None and rule.who != PUBLIC or user is not None and user.role not in allowed_roles \
            or probe.variant in ("other", "missing")
        before = fingerprint() if refused and probe.method == "POST" else None
        response = send(web, probe, token)
        what = (actor, probe.endpoint, probe.method, probe.variant, probe.url, response.status_code)
        seen += 1
        assert response.status_code < 500, what
        if user is None and rule.who != PUBLIC:
            assert is_login_redirect(response), what
        elif user is not None and user.role not in allowed_roles:
            assert response.status_code == 403, what
            text = body(response)
            assert "Not allowed" in text and permissions.refusal(rule, user, probe.view_args, probe.query) in text, what
        elif probe.variant in ("other", "missing"):
            assert response.status_code == 404, what
            text = body(response)
            if rule.subject:
                assert f"There is no such {SUBJECTS[rule.subject].en} in your units." in text, what
            else:
                assert "not available" in text, what
        elif OPAQUE & set(probe.view_args):
            assert response.status_code in (*ALLOWED_POST, 404), what
            assert not is_login_redirect(response), what
        elif probe.method == "GET":
            assert response.status_code in (200, 302), what
            assert not is_login_redirect(response), what
        else:
            assert response.status_code in ALLOWED_POST, what
            assert probe.endpoint == "auth.logout" or not is_login_redirect(response), what
        if before is not None:
            assert fingerprint() == before, what
        if probe.endpoint == "auth.logout" and user is not None and response.status_code == 302:
            token = _sign_in(web, user)  # signed out by the probe: sign in again for the next ones
    assert seen >= len(ENDPOINTS)


def _sign_in(web, user):
    if user is not None:
        response = web.login(user.username)
        assert response.status_code == 302, user.username
    return web.token()


# --- the matrix itself ---------------------------------------------------------------------------

def test_every_route_is_in_the_matrix_and_every_entry_is_a_route(app):
    assert permissions.missing_endpoints(app) == [], "add these endpoints to ENDPOINTS in workflow/permissions.py"
    assert permissions.unrouted_endpoints(app) == []


def test_an_endpoint_missing_from_the_matrix_is_refused(web, org, monkeypatch):
    web.login("case_officer")
    assert web.get("/admin/rules").status_code == 200
    monkeypatch.delitem(ENDPOINTS, "admin.rules")
    response = web.get("/admin/rules")
    assert response.status_code == 403
    assert "not in the permission matrix" in body(response)
    response = web.speak("zh").get("/admin/rules")
    assert response.status_code == 403
    assert "该页面尚未登记在权限表中，因此暂不对任何人开放。" in body(response)
    assert "not in the permission matrix" not in body(response)


ALL = set(ROLES)
# Today's permissions, written out by hand (not derived from the matrix): changing who may do what
# is a deliberate change of this table too.
TODAY = {
    "static": "public", "health.healthz": "public", "auth.login": "public", "intake.report": "public",
    "intake.apply": "public", "intake.received": "public", "intake.status": "public",
    "auth.logout": ALL, "cases.index": ALL, "cases.list_cases": ALL, "cases.show": ALL, "cases.full_record": ALL,
    "cadres.list_cadres": ALL, "cadres.show": ALL, "admin.rules": ALL, "reminders.notifications": ALL,
    "reminders.mark_read": ALL, "reminders.deadlines": ALL, "reminders.account": ALL,
    "cases.new_case": {"case_officer"},  # a promotion nomination; an adjustment: see below
    "cases.act": {"case_officer", "inspector", "discipline_liaison", "committee_secretary"},
    "cadres.create": {"case_officer", "administrator"}, "cadres.edit": {"case_officer", "administrator"},
    "cadres.add_assessment": {"case_officer", "administrator"},
    "intake.inbox": {"case_officer", "discipline_liaison"}, "intake.handle": {"case_officer", "discipline_liaison"},
    "audit.events": {"auditor", "administrator"}, "audit.verify_chain": {"auditor", "administrator"},
    "audit.export": {"auditor", "administrator"}, "audit.download": {"auditor", "administrator"},
    "admin.calendar": {"administrator"}, "admin.delete_override": {"administrator"}, "admin.units": {"administrator"},
    "admin.permissions": {"auditor", "administrator"},
}


@pytest.mark.parametrize("endpoint", sorted(TODAY))
def test_the_matrix_keeps_todays_permissions(endpoint):
    rule = ENDPOINTS[endpoint]
    if TODAY[endpoint] == "public":
        assert rule.who == PUBLIC
    else:
        assert rule.who != PUBLIC and set(rule.roles_for({"trigger": "-"}, {})) == TODAY[endpoint]


def test_signed_in_pages_outside_this_table_are_for_everyone_signed_in():
    """Pages added later (dashboard, imports, …) are in the matrix; any not pinned above is stated here."""
    for endpoint in set(ENDPOINTS) - set(TODAY):
        rule = ENDPOINTS[endpoint]
        assert rule.who in (PUBLIC, permissions.SIGNED_IN, permissions.BY_ROLES), endpoint


def test_case_roles_come_from_the_workflow_definitions():
    act, new = ENDPOINTS["cases.act"], ENDPOINTS["cases.new_case"]
    for workflow in WORKFLOWS.values():
        for transition in workflow.transitions:
            assert set(transition.roles) <= set(act.roles_for({"trigger": transition.trigger}, {})), transition.trigger
    for track, roles in OPEN_ROLES.items():
        assert new.roles_for({}, {"track": track}) == roles
    assert new.roles_for({}, {"track": "adjustment"}) == {"case_officer", "discipline_liaison"}


def test_administrators_and_auditors_act_on_no_case():
    """domain.md: administrators keep users, units, rules and the calendar; auditors read. Neither
    is in any step of either workflow, nor may open a case."""
    for workflow in WORKFLOWS.values():
        for transition in workflow.transitions:
            assert not {"administrator", "auditor"} & set(transition.roles), transition.trigger
    assert not {"administrator", "auditor"} & set().union(*OPEN_ROLES.values())


def test_load_in_scope_answers_404_for_elsewhere_nowhere_and_nonsense(org):
    case_a = org.open_case()
    officer_b = org.officer_b
    for raw in (case_a.id, str(case_a.id), MISSING_ID, "abc", "-1", "", 10**30):
        with pytest.raises(NotFound) as error:
            permissions.load_in_scope(db.session, officer_b, "case", raw)
        assert error.value.status == 404
        assert "There is no such case in your units." in error.value.message
    assert permissions.load_in_scope(db.session, org.users["case_officer"], "case", str(case_a.id)).id == case_a.id
    unit_b = db.session.scalars(select(Unit).where(Unit.code == "B")).one()
    assert permissions.load_in_scope(db.session, officer_b, Unit, unit_b.id) is unit_b


# --- the page ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["administrator", "auditor"])
def test_the_matrix_page_shows_every_endpoint_step_and_command(web, org, role):
    web.login(role)
    response = web.get("/admin/permissions")
    assert response.status_code == 200
    text = body(response)
    for endpoint, rule in ENDPOINTS.items():
        assert f"<code>{endpoint}</code>" in text and rule.label in text, endpoint
    for workflow in WORKFLOWS.values():
        for trigger in workflow.triggers():
            assert f"<code>{trigger}</code>" in text, trigger
    for group, (_, _, names) in permissions.CLI_COMMANDS.items():
        for name in names:
            assert f"<code>{group} {name}</code>" in text
    row = re.search(r'<tr id="ep-audit.export">(.*?)</tr>', text, re.S).group(1)
    cells = re.findall(r"<td>(✓|—)</td>", row)
    # anonymous, case officer, inspector, liaison, secretary, auditor, administrator
    assert cells == ["—", "—", "—", "—", "—", "✓", "✓"]


def test_the_matrix_page_in_chinese(web, org):
    """The descriptions are data in both languages (Rule(en, zh)): the page shows the reader's."""
    web.speak("zh").login("administrator")
    text = body(web.get("/admin/permissions"))
    assert "<h1>权限表</h1>" in text and "Permission matrix" not in text
    for endpoint, rule in ENDPOINTS.items():
        assert f"<code>{endpoint}</code>" in text and rule.zh in text, endpoint
    assert "干部工作人员" in text and "系统管理员" in text and "Case officer" not in text
    assert "对象须属所辖单位（否则404） · 案件" in text  # scope and subject of cases.show
    assert "角色来自：registry.OPEN_ROLES（按案件类型）" in text
    assert "发起案件" in text and "任前公示" in text  # the steps table: opening a case, a state
    assert "服务器运维人员（命令行，无网页角色）：" in text and "审计链校验、导出、归档" in text
    assert "Verify the chain, export, archive old events" not in text


@pytest.mark.parametrize("role", ["case_officer", "committee_secretary", "discipline_liaison", "inspector"])
def test_the_matrix_page_is_not_for_case_roles(web, org, role):
    web.login(role)
    response = web.get("/admin/permissions")
    assert response.status_code == 403
    assert "administrators and auditors" in body(response)


# --- refusals in the reader's language -------------------------------------------------------------

def test_refusals_are_in_the_readers_language(web, org):
    """The 403 sentence is made per request: the same refusal reads in Chinese or English."""
    web.login("inspector")
    english = body(web.get("/admin/calendar"))
    assert "Not allowed" in english and "This page is for administrators." in english
    chinese = body(web.speak("zh").get("/admin/calendar"))
    assert "此页面仅限系统管理员使用。" in chinese and "This page is for administrators." not in chinese
    assert "权限表仅向系统管理员和审计员显示。" in body(web.get("/admin/permissions"))
    assert "只有干部工作人员和系统管理员可以导入干部信息和年度考核结果。" in body(web.get("/imports"))


def test_the_default_refusal_names_the_roles_in_the_readers_language(web, org):
    """No sentence of its own: the roles allowed are named; an administrator is told why too."""
    case = org.open_case()
    web.login("administrator")
    response = web.post(f"/cases/{case.id}/act/withdraw", {"withdraw-reason": "x", "withdraw-version": "1"})
    assert response.status_code == 403
    english = body(response)
    assert "Your role (Administrator) may not do this; it is for: " in english
    assert str(permissions.ADMIN_NO_CASE_ACTIONS) in english
    assert "Administrators keep users, units, rules and the calendar; they do not act on cases" in english
    web.speak("zh")
    chinese = body(web.post(f"/cases/{case.id}/act/withdraw", {"withdraw-reason": "x", "withdraw-version": "1"}))
    assert "您的角色（系统管理员）无权进行此操作；此操作仅限：" in chinese and "干部工作人员" in chinese
    assert "系统管理员负责维护用户、单位、规则和工作日历，不办理案件" in chinese
    assert "may not do this" not in chinese


def test_opening_a_case_is_refused_in_the_readers_language(web, org):
    web.login("inspector")
    english = body(web.get("/cases/new?track=adjustment"))
    assert "Only a Case officer or Discipline liaison may open an adjustment case; your role is Inspection team member." \
        in english
    chinese = body(web.speak("zh").get("/cases/new"))
    assert "只有干部工作人员可以发起晋升（推荐提名）案件；您的角色是考察组成员。" in chinese


def test_an_object_outside_ones_units_is_not_found_in_the_readers_language(web, org):
    case_a = org.open_case()  # unit A; the officer of unit B does not see it
    web.login(org.officer_b.username)
    assert "There is no such case in your units." in body(web.get(f"/cases/{case_a.id}"))
    response = web.speak("zh").get(f"/cases/{case_a.id}")
    assert response.status_code == 404 and "您所辖单位中没有该案件。" in body(response)


# --- the command line: operator only, no web role ------------------------------------------------

def test_every_command_group_is_in_the_matrix_as_operator_only(app):
    groups = app.cli.commands
    assert set(groups) == set(permissions.CLI_COMMANDS)
    for name, group in groups.items():
        listed = permissions.CLI_COMMANDS[name][2]
        if name == "db":  # Flask-Migrate's group has many more; the matrix lists the ones this app documents
            assert set(listed) <= set(group.commands), name
        else:
            assert set(listed) == set(group.commands), name


@pytest.mark.parametrize("group", sorted(permissions.CLI_COMMANDS))
def test_each_command_group_runs_without_any_user(app, group):
    runner = app.test_cli_runner()
    result = runner.invoke(args=[group, "--help"])
    assert result.exit_code == 0, result.output
    for name in permissions.CLI_COMMANDS[group][2]:
        assert name in result.output


def test_commands_do_their_work_without_signing_in(app, org):
    """No session, no current user, no role: the operator's shell is the only gate."""
    runner = app.test_cli_runner()
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output.lower()
    shown = runner.invoke(args=["rules", "show"])
    assert shown.exit_code == 0 and "Rule set v1" in shown.output


def test_reusing_another_units_case_does_not_widen_the_scope(org, travel):
    """Opening a nomination "from" a reusable adjustment case links it only when that case is in
    the officer's own units; a case of another unit cannot carry its cadre into their scope."""
    reusable = org.adjustment_in("reusable")  # unit A
    before = _table_counts()
    with pytest.raises(InvalidData) as error:
        door.open_case("promotion", org.officer_b, reusable.cadre_id, {"source": "organization", "work_plan": "x"},
                       target_position_id=org.post_b.id, session=db.session, reuse_of=reusable.id)
    assert "cadre_id" in error.value.field_errors
    assert _table_counts() == before


def _table_counts():
    db.session.expire_all()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
