"""The permission matrix: who may use every page and action, and over which objects.

One table, ``ENDPOINTS``, holds one entry per Flask endpoint (``"cases.show"``,
``"audit.export"``, …): who may use it (the public, anyone signed in, or named roles), the scope
rule for what it shows or changes, and the sentence a refused user reads. The description is data
in both languages (``Rule(en, zh)``, shown by ``.label`` in the reader's language); the refusal
sentences are English wrapped for translation (``_l``), their Chinese in the catalogue. The web layer applies it
in one ``before_request`` hook (``web/views/access.py``) before any view runs:

1. an endpoint not in the table is refused (deny by default);
2. public endpoints pass; anyone else must be signed in (otherwise: redirect to the sign-in page);
3. the user's role must be among the entry's roles, otherwise **403** with the entry's sentence;
4. when the entry names a ``subject`` (a case, cadre, submission or unit given in the URL or the
   posted form), the object must exist in the user's units (``unit_scope``), otherwise **404** —
   404, not 403, so that ids outside one's units cannot be probed. Views fetch the object with
   ``load_in_scope(Model, id)``, which answers the same way.

The steps of a case are not listed again here: their roles are those of the workflow definitions
(``workflow/promotion.py``, ``workflow/adjustment.py``; opening a case: ``registry.OPEN_ROLES``).
The ``cases.act`` and ``cases.new_case`` entries derive their roles from them per request, and the
door (``workflow/door.py``) checks the exact step again, so pages, commands and tests agree.

Command-line commands (``flask --app wsgi …``) are run by the server operator in a shell on the
server: they have no web role and no sign-in, and are listed in ``CLI_COMMANDS`` as operator-only.

Adding a page
-------------
Add one line to ``ENDPOINTS`` with the blueprint's endpoint name, for example::

    "dashboard.index": signed_in("Dashboard of the user's units", "工作台", scope=UNIT_LISTS),
    "imports.upload": by_roles(CADRE_MANAGERS, "Import cadres", "导入干部", scope=UNIT_LISTS,
                               refusal=IMPORTS_ONLY),  # a sentence: _l("…"), its Chinese in the catalogue
    "bulk.withdraw": by_roles({"case_officer"}, "Withdraw several cases", "批量撤回", subject="case"),

``tests/test_permission_matrix.py`` fails for a route of ``app.url_map`` without an entry (and for
an entry without a route), and requests every route as every role; a missing entry is also
refused at request time and logged. A URL argument the test has not seen before needs a sample
value in its ``SAMPLES``. A new ``flask`` command group (or command) goes into ``CLI_COMMANDS``.
Administrators (and auditors) see the matrix at ``/admin/permissions``.
"""
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from models import Cadre, Case, StepRecord, Submission, Unit

from .access import ADMINISTRATORS, ALL_ROLES, AUDIT_ROLES, CADRE_MANAGERS, READ_ALL_ROLES, unit_scope
from .errors import NotFound
from .i18n import _, _l, listing, pick
from .intake import HANDLERS as INTAKE_HANDLERS
from .registry import OPEN_ROLES, WORKFLOWS
from .terms import ROLES, label

# Who may use an endpoint.
PUBLIC, SIGNED_IN, BY_ROLES, OPERATOR = "public", "signed_in", "roles", "operator"
WHO = {
    PUBLIC: ("Anyone, without signing in", "公众，无需登录"),
    SIGNED_IN: ("Anyone signed in", "所有登录用户"),
    BY_ROLES: ("The roles listed", "限定角色"),
    OPERATOR: ("The server operator, in a shell on the server (no web role)", "服务器运维人员（命令行，无网页角色）"),
}

# What the endpoint may show or change.
NO_UNITS, UNIT_LISTS, OWN_UNITS, OWN_ROWS, BY_RECEIPT = "none", "unit_lists", "own_units", "own_rows", "by_receipt"
SCOPES = {
    NO_UNITS: ("Nothing tied to a unit", "不涉及单位数据"),
    UNIT_LISTS: ("Lists and choices only of the user's units", "仅列出所辖单位的数据"),
    OWN_UNITS: ("The object must be in the user's units (otherwise 404)", "对象须属所辖单位（否则404）"),
    OWN_ROWS: ("Only the user's own items", "仅限本人的数据"),
    BY_RECEIPT: ("Only the submission the receipt code names", "凭回执编号查询"),
}


@dataclass(frozen=True)
class Subject:
    """An object of a unit named in the URL (or the posted form) by ``arg``."""

    arg: str
    model: type
    unit_attr: str
    en: str
    zh: str
    # What the pages of this object show with it, read in the same query as the object itself.
    page_options: Callable[[], list] = lambda: []

    @property
    def label(self):
        return pick(self.en, self.zh)

    def not_found(self):
        return NotFound(_("There is no such %(thing)s in your units.", thing=self.label))


SUBJECTS = {
    "case": Subject("case_id", Case, "unit_id", "case", "案件", page_options=lambda: [
        joinedload(Case.cadre), joinedload(Case.unit), joinedload(Case.target_position), joinedload(Case.rule_set),
        joinedload(Case.officer), selectinload(Case.records).joinedload(StepRecord.actor)]),
    "cadre": Subject("cadre_id", Cadre, "unit_id", "cadre", "干部"),
    "submission": Subject("submission_id", Submission, "unit_id", "submission", "事项"),
    "unit": Subject("unit_id", Unit, "id", "unit", "单位"),
}
_SUBJECT_OF_MODEL = {s.model: s for s in SUBJECTS.values()}


@dataclass(frozen=True)
class Rule:
    who: str
    en: str
    zh: str
    roles: frozenset | Callable = ALL_ROLES  # or (view_args, args) -> roles, derived per request
    scope: str = NO_UNITS
    subject: str | None = None  # a key of SUBJECTS: checked against the user's units before the view
    refusal: str | Callable | None = None  # the 403 sentence; default: names the roles allowed
    derived_from: str = ""  # where derived roles come from, shown on the matrix page
    case_action: bool = False  # acts on a case: administrators are told why they may not
    listed_roles: frozenset = field(default=frozenset())  # the roles shown on the page for derived roles

    @property
    def label(self):
        """The description in the reader's language."""
        return pick(self.en, self.zh)

    def roles_for(self, view_args=None, args=None) -> frozenset:
        if self.who in (PUBLIC, SIGNED_IN):
            return ALL_ROLES
        if self.who == OPERATOR:
            return frozenset()
        return frozenset(self.roles(view_args or {}, args or {}) if callable(self.roles) else self.roles)

    @property
    def shown_roles(self) -> frozenset:
        return self.listed_roles if callable(self.roles) else self.roles_for()


def public(en, zh, scope=NO_UNITS):
    return Rule(PUBLIC, en, zh, scope=scope)


def signed_in(en, zh, scope=NO_UNITS, subject=None):
    return Rule(SIGNED_IN, en, zh, scope=OWN_UNITS if subject else scope, subject=subject)


def by_roles(roles, en, zh, scope=NO_UNITS, subject=None, refusal=None, **more):
    if not callable(roles):
        roles = frozenset(roles)
    return Rule(BY_ROLES, en, zh, roles=roles, scope=OWN_UNITS if subject else scope, subject=subject,
                refusal=refusal, **more)


# --- roles derived from the workflow definitions ----------------------------------------------

def step_roles(trigger) -> frozenset:
    """The roles that may take ``trigger`` on either track, as the workflow definitions say."""
    return frozenset(r for wf in WORKFLOWS.values() for t in wf.transitions if t.trigger == trigger for r in t.roles)


ANY_STEP_ROLES = frozenset(r for wf in WORKFLOWS.values() for t in wf.transitions for r in t.roles)
ANY_OPEN_ROLES = frozenset().union(*OPEN_ROLES.values())


def _act_roles(view_args, args):
    # An unknown trigger: let the step roles through so the page can say there is no such action.
    return step_roles(view_args.get("trigger")) or ANY_STEP_ROLES


def _open_roles(view_args, args):
    return OPEN_ROLES.get(args.get("track", "promotion"), ANY_OPEN_ROLES)


def open_refusal(track, role) -> str:
    """The sentence for a role that may not open a case on ``track`` (also said by the door)."""
    allowed = OPEN_ROLES.get(track, ANY_OPEN_ROLES)
    names = pick(" or ", "或").join(label(ROLES, r) for r in sorted(allowed))
    if track == "promotion":
        return _("Only a %(roles)s may open a promotion case; your role is %(role)s.", roles=names, role=label(ROLES, role))
    if track == "adjustment":
        return _("Only a %(roles)s may open an adjustment case; your role is %(role)s.", roles=names, role=label(ROLES, role))
    return _("Only a %(roles)s may open a case of this kind; your role is %(role)s.", roles=names, role=label(ROLES, role))


def _new_case_refusal(user, view_args, args):
    track = args.get("track", "promotion")
    return open_refusal(track if track in OPEN_ROLES else "promotion", user.role)


# The sentences a refused user reads: lazy, so they come out in the reader's language when shown
# (use str() where code joins or compares them).
ADMIN_NO_CASE_ACTIONS = _l("Administrators keep users, units, rules and the calendar; they do not act on cases, so every "
                           "step is recorded by the person responsible for it.")

ADMIN_ONLY = _l("This page is for administrators.")
AUDIT_ONLY = _l("The audit trail is for auditors and administrators.")
CADRES_ONLY = _l("Only case officers and administrators manage cadre records.")
ASSESSMENTS_ONLY = _l("Only case officers and administrators record assessments.")
BULK_ONLY = _l("Bulk work is for case officers and administrators.")
IMPORTS_ONLY = _l("Only case officers and administrators import cadres and assessments.")
INBOX_ONLY = _l("The intake inbox is for case officers and discipline liaisons.")
HANDLERS_ONLY = _l("Only case officers and discipline liaisons handle submissions.")
MATRIX_ONLY = _l("The permission matrix is shown to administrators and auditors.")
UNLISTED = _l("This page is not in the permission matrix yet, so it is closed to everyone.")

# --- the matrix: one entry per endpoint -------------------------------------------------------

ENDPOINTS: dict[str, Rule] = {
    # Public (no sign-in)
    "static": public("Style sheet and static files", "静态文件"),
    "health.healthz": public("Health check (status, database, schema revision)", "运行状态检查"),
    "auth.login": public("Sign in", "登录"),
    "language.choose": public("Choose the interface language (中文 / English)", "切换界面语言"),
    "intake.report": public("Report a problem (public clue, anonymous allowed)", "反映问题（可匿名）"),
    "intake.apply": public("Written self-recommendation", "书面自我推荐"),
    "intake.received": public("Receipt after submitting", "提交回执", scope=BY_RECEIPT),
    "intake.status": public("Progress by receipt code", "凭回执查询办理进度", scope=BY_RECEIPT),
    # Anyone signed in
    "auth.logout": signed_in("Sign out", "退出登录"),
    "cases.index": signed_in("Start page (goes to the case list)", "首页"),
    "dashboard.index": signed_in("Dashboard of the user's units", "工作台", scope=UNIT_LISTS),
    "cases.list_cases": signed_in("Case list", "案件列表", scope=UNIT_LISTS),
    "cases.show": signed_in("Case page with its timeline", "案件详情", subject="case"),
    "cases.full_record": signed_in("Full-process record for printing", "全程纪实（打印）", subject="case"),
    "cadres.list_cadres": signed_in("Cadre list", "干部列表", scope=UNIT_LISTS),
    "cadres.show": signed_in("Cadre profile", "干部信息", subject="cadre"),
    "admin.rules": signed_in("Rule sets in force (read only)", "规则集（只读）"),
    "reminders.notifications": signed_in("Notification centre", "通知中心", scope=OWN_ROWS),
    "reminders.mark_read": signed_in("Mark notifications read", "标记通知已读", scope=OWN_ROWS),
    "reminders.deadlines": signed_in("Deadlines in the next 30 days", "近期期限", scope=UNIT_LISTS),
    "reminders.account": signed_in("Own account: reminder e-mail", "本人账户：邮件提醒", scope=OWN_ROWS),
    # Case work: the roles come from the workflow definitions
    "cases.new_case": by_roles(
        _open_roles, "Open a case (promotion nomination or adjustment)", "发起案件", scope=UNIT_LISTS,
        refusal=_new_case_refusal, derived_from=_l("registry.OPEN_ROLES (per track)"), case_action=True,
        listed_roles=ANY_OPEN_ROLES),
    "cases.act": by_roles(
        _act_roles, "Take a step of a case", "办理案件步骤", subject="case",
        derived_from=_l("the workflow definitions (per step; the door checks the track)"), case_action=True,
        listed_roles=ANY_STEP_ROLES),
    # Cadre master data
    "cadres.create": by_roles(CADRE_MANAGERS, "Create a cadre record", "新建干部信息", scope=UNIT_LISTS, refusal=CADRES_ONLY),
    "cadres.edit": by_roles(CADRE_MANAGERS, "Edit a cadre record", "修改干部信息", subject="cadre", refusal=CADRES_ONLY),
    "cadres.add_assessment": by_roles(
        CADRE_MANAGERS, "Record an annual assessment (may propose an adjustment in the inbox)", "录入年度考核",
        subject="cadre",
        refusal=ASSESSMENTS_ONLY),
    # Bulk work and imports: every item goes through the door / workflow.cadres, which check each item's units
    "bulk.cases": by_roles(CADRE_MANAGERS, "Bulk work on the chosen cases: what to do", "批量办理：确认", scope=UNIT_LISTS,
                           refusal=BULK_ONLY),
    "bulk.assign": by_roles(CADRE_MANAGERS, "Assign the responsible officer of many cases", "批量指定承办人", scope=UNIT_LISTS,
                            refusal=BULK_ONLY),
    "bulk.remind": by_roles(CADRE_MANAGERS, "Remind the responsible officers of many cases", "批量发送提醒", scope=UNIT_LISTS,
                            refusal=BULK_ONLY),
    "bulk.assessments": by_roles(
        CADRE_MANAGERS, "Record many annual assessments (each may propose an adjustment)", "批量录入年度考核", scope=UNIT_LISTS,
        refusal=ASSESSMENTS_ONLY),
    "imports.index": by_roles(CADRE_MANAGERS, "Import cadres and assessments: upload", "导入干部及考核结果", scope=UNIT_LISTS,
                              refusal=IMPORTS_ONLY),
    "imports.upload": by_roles(CADRE_MANAGERS, "Import: the row-by-row check (nothing written)", "导入：逐行核对", scope=UNIT_LISTS,
                               refusal=IMPORTS_ONLY),
    "imports.confirm": by_roles(CADRE_MANAGERS, "Import: write the checked rows (one's own upload)", "导入：确认写入", scope=OWN_ROWS,
                                refusal=IMPORTS_ONLY),
    "imports.template": by_roles(CADRE_MANAGERS, "Import: template files (CSV, XLSX)", "导入模板", refusal=IMPORTS_ONLY),
    # Intake inbox
    "intake.inbox": by_roles(INTAKE_HANDLERS, "Intake inbox", "线索受理", scope=UNIT_LISTS, refusal=INBOX_ONLY),
    "intake.handle": by_roles(
        INTAKE_HANDLERS, "Accept, dismiss or answer a submission", "受理、不予受理或反馈", subject="submission",
        refusal=HANDLERS_ONLY,
        case_action=True),
    # Audit trail
    "audit.events": by_roles(AUDIT_ROLES, "Audit events", "审计记录", scope=UNIT_LISTS, refusal=AUDIT_ONLY),
    "audit.verify_chain": by_roles(AUDIT_ROLES, "Verify the audit chain", "校验审计链", refusal=AUDIT_ONLY),
    "audit.export": by_roles(AUDIT_ROLES, "Export audit events (CSV, XLSX, JSON Lines)", "导出审计记录",
                             scope=UNIT_LISTS, refusal=AUDIT_ONLY),
    "audit.download": by_roles(AUDIT_ROLES, "Download one's own export and its manifest", "下载本人导出的文件",
                               scope=OWN_ROWS, refusal=AUDIT_ONLY),
    # Administration
    "admin.calendar": by_roles(ADMINISTRATORS, "Working-day calendar", "工作日历", refusal=ADMIN_ONLY),
    "admin.delete_override": by_roles(ADMINISTRATORS, "Remove a calendar entry", "删除日历调整", refusal=ADMIN_ONLY),
    "admin.units": by_roles(ADMINISTRATORS, "Units and their supervising officers", "单位及督办人", subject="unit",
                            refusal=ADMIN_ONLY),
    "admin.permissions": by_roles(
        READ_ALL_ROLES, "This permission matrix", "权限表",
        refusal=MATRIX_ONLY),
}

# Commands of ``flask --app wsgi``: run by the server operator in a shell on the server. They do
# not sign in and have no web role; whoever can run them can also read the database directly, so
# they are guarded by the server's own accounts, not by this matrix.
CLI_COMMANDS = {
    "db": ("Create or migrate the schema (Flask-Migrate)", "建库、迁移", ("upgrade", "downgrade", "current", "history")),
    "demo": ("Load the demo organization, print the demo logins, build a province-sized data set", "演示数据",
             ("load", "logins", "scale")),
    "users": ("Add a user, lift a sign-in lockout", "添加用户、解除登录锁定", ("create", "unlock")),
    "rules": ("Create rule set v1, print the active rules", "规则集", ("init", "show")),
    "audit": ("Verify the chain, export, archive old events", "审计链校验、导出、归档", ("verify", "export", "archive")),
    "scheduler": ("The scheduler process", "定时任务进程", ("run",)),
    "reminders": ("One reminder pass", "执行一次提醒", ("run-once",)),
    "backup": ("Back up the whole database, restore a backup", "数据库备份与恢复", ("create", "restore")),
}


def rule_for(endpoint) -> Rule | None:
    return ENDPOINTS.get(endpoint)


def allows(endpoint, user, view_args=None, args=None) -> bool:
    """May ``user`` (None or anonymous: nobody signed in) use ``endpoint``? Units are not judged here."""
    rule = rule_for(endpoint)
    if rule is None:
        return False
    if rule.who == PUBLIC:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role in rule.roles_for(view_args, args)


def refusal(rule, user, view_args=None, args=None) -> str:
    """The sentence a refused user reads, in the reader's language."""
    view_args, args = view_args or {}, args or {}
    if callable(rule.refusal):
        text = str(rule.refusal(user, view_args, args))
    elif rule.refusal:
        text = str(rule.refusal)
    else:
        allowed = rule.roles_for(view_args, args)
        names = listing(label(ROLES, r) for r in sorted(allowed)) or _("nobody")
        text = _("Your role (%(role)s) may not do this; it is for: %(roles)s.", role=label(ROLES, user.role), roles=names)
    if rule.case_action and user.role in ADMINISTRATORS:
        text = f"{text}{pick(' ', '')}{ADMIN_NO_CASE_ACTIONS}"
    return text


def subject_id(rule, view_args, form):
    """The raw id of the rule's subject in this request, or None when the request names none."""
    if not rule.subject:
        return None
    arg = SUBJECTS[rule.subject].arg
    value = (view_args or {}).get(arg)
    if value is None:
        value = (form or {}).get(arg)
    return None if value in (None, "") else value


def load_in_scope(session, user, what, object_id, lock=False, scope=None):
    """The object (a Case, Cadre, Submission or Unit, or a SUBJECTS key) if it exists in the user's
    units; otherwise NotFound (404) — the same answer for "elsewhere" and "nowhere"."""
    return _load_and_scope(session, user, what, object_id, lock, scope)[0]


def lock_in_scope(session, user, what, object_id):
    """(object, the user's scope): the object locked first, then the scope read, after any wait for
    the lock, so that what changed meanwhile (units, tokens) is seen; then checked as above."""
    return _load_and_scope(session, user, what, object_id, True, None)


def _load_and_scope(session, user, what, object_id, lock, scope):
    subject = SUBJECTS[what] if isinstance(what, str) else _SUBJECT_OF_MODEL[what]
    number = object_id if isinstance(object_id, int) else (int(object_id) if str(object_id).isdecimal() else None)
    if number is None or number > 2**62:
        raise subject.not_found()
    if lock:
        obj = session.scalars(_locked_select(subject.model), {"id": number}).one_or_none()
    else:  # the identity map first: the permission check before the view has usually loaded it
        obj = session.get(subject.model, number, options=subject.page_options())
    if obj is None:
        raise subject.not_found()
    scope = unit_scope(session, user) if scope is None else scope
    if getattr(obj, subject.unit_attr) not in scope:
        raise subject.not_found()
    return obj, scope


@functools.cache
def _locked_select(model):
    """The row by id, locked (FOR UPDATE) and read afresh; one statement per model, built once."""
    return (select(model).where(model.id == bindparam("id")).with_for_update()
            .execution_options(populate_existing=True))


def missing_endpoints(app) -> list[str]:
    """Routes of the app that have no entry in the matrix."""
    return sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ENDPOINTS))


def unrouted_endpoints(app) -> list[str]:
    """Entries of the matrix that name no route of the app."""
    return sorted(set(ENDPOINTS) - {r.endpoint for r in app.url_map.iter_rules()})


# --- the matrix as rows, for the page ---------------------------------------------------------

ROLE_ORDER = list(ROLES)


def endpoint_rows(app):
    """[(endpoint, rule, [(path, methods)], {role or 'anonymous': bool})] in the matrix's order."""
    routes = {}
    for r in app.url_map.iter_rules():
        routes.setdefault(r.endpoint, []).append((r.rule, sorted(m for m in r.methods if m not in ("HEAD", "OPTIONS"))))
    out = []
    for endpoint, rule in ENDPOINTS.items():
        cells = {"anonymous": rule.who == PUBLIC}
        for role in ROLE_ORDER:
            cells[role] = rule.who in (PUBLIC, SIGNED_IN) or role in rule.shown_roles
        out.append((endpoint, rule, sorted(routes.get(endpoint, [])), cells))
    return out


def step_rows():
    """Per track: [(label, trigger, from-states, {role: bool})], straight from the workflow definitions,
    with opening a case first."""
    out = {}
    for track, workflow in WORKFLOWS.items():
        rows = [(_("Open a case"), "open", "—", {r: r in OPEN_ROLES[track] for r in ROLE_ORDER})]
        for trigger in workflow.triggers():
            branches = [t for t in workflow.transitions if t.trigger == trigger]
            roles = frozenset(r for t in branches for r in t.roles)
            states = []
            for t in branches:
                for source in t.sources:
                    name = workflow.state(source).label
                    if name not in states:
                        states.append(name)
            rows.append((branches[0].label, trigger, listing(states), {r: r in roles for r in ROLE_ORDER}))
        out[track] = rows
    return out
