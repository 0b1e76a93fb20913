"""Fuzzing the one door (issue #8 item 4): random sequences of any trigger of either track, by
any user (each role, own and other unit), with data drawn from the demo paths, from the field
specs, and randomly mutated, while the clock moves.

Properties, checked after every step:
- the door raises nothing but the domain's own ``Refused`` family;
- a refused call changed nothing (cases, step records, audit events, objections, sanctions, cadres);
- every case's state is the ``to_state`` of its last state event (case.transition, or case.opened);
- the audit chain verifies;
- every case is in exactly one state, a state of its track, closed exactly when that state is final;
- no deadline is lost: a case in a non-final state carries the deadline ``door.plan_deadline``
  gives for that state (the state's own deadline or the rule set's step limit), recomputed from
  the case as it stands; only states whose definition yields no date (admonishment tracking,
  which the sanction's influence period tracks instead) may have none; a final case has none.

The helpers here (``Fuzz``, ``check_invariants``, ``snapshot``, data strategies) are reused by
tests/test_fuzz_views.py.
"""
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from demo import paths as demo_paths
from demo.paths import ADJUSTMENT_PATHS, PATHS, votes
from models import AuditEvent, Cadre, Case, Objection, Position, Sanction, StepRecord, Submission, db
from workflow import accounts, clock, door
from workflow.audit_verify import verify
from workflow.errors import Refused
from workflow.registry import WORKFLOWS, open_fields, workflow_for
from workflow.rules import rules_of
from workflow.terms import APPEAL_OUTCOMES

from .factories import PASSWORD, Org

FUZZ_SETTINGS = settings(
    max_examples=15, stateful_step_count=40, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ALL_TRIGGERS = sorted({t for wf in WORKFLOWS.values() for t in wf.triggers()} | {"no_such_trigger"})
START = date(2026, 3, 2)


# --- the organization and its users ------------------------------------------------------------

def build_org(travel):
    """Org of the factories, plus a user of every case role who works in unit B only."""
    org = Org.build(db.session, travel)
    for role in ("inspector", "discipline_liaison", "committee_secretary"):
        org.users[f"{role}_b"] = accounts.create_user(db.session, f"{role}_b", PASSWORD, role, ["B"])
    db.session.commit()
    return org


def reset_database():
    from .conftest import _empty_tables

    db.session.remove()
    _empty_tables()


# --- step data: valid examples, spec-generated values, mutations -------------------------------

def _demo_steps():
    out = {}
    for path in (*PATHS.values(), *ADJUSTMENT_PATHS.values()):
        for step in path:
            out.setdefault(step.trigger, [])
            if step.data not in out[step.trigger]:
                out[step.trigger].append(step.data)
    extra = {
        "record_recommendation": [
            lambda t: {"method": "meeting", "posts": 1, "participants": 30, "tallies": ["张三 25"], "shortlist": ["张三"]},
            lambda t: {"method": "interview", "posts": 1, "participants": 12, "tallies": ["张三 9", "李四 3"],
                       "shortlist": ["张三", "李四"]},
        ],
        "record_exception": [lambda t: {"grounds": "crisis", "reason": "抗洪抢险中实绩突出。", "approved_by": "上级组织部",
                                        "approval_ref": "组干〔2026〕3号", "approved_on": t.isoformat()}],
        "file_appeal": [lambda t: {"filed_on": t.isoformat(), "grounds": "对调整决定不服。"}],
        "decide_appeal": [lambda t, k=k: {"decided_on": t.isoformat(), "outcome": k, "reasoning": "经复核。"} for k in APPEAL_OUTCOMES],
        "dismiss_intake": [lambda t: {"reason": "线索内容不具体。"}],
        "close_case": [lambda t: {"reason": "情节轻微。"}],
        "end_tracking": [lambda t: {"evaluation": "跟踪期内表现良好。"}],
        "record_objection": [lambda t: {"received_on": t.isoformat(), "channel": "电话", "content": "反映作风问题。",
                                        "substantive": False, "refer": False},
                             lambda t: {"received_on": t.isoformat(), "channel": "来信", "content": "需核查。",
                                        "substantive": True, "refer": True}],
        "determine_fault_tolerance": [lambda t: {"determination": "rejected", "reasoning": "不符合容错情形。"}],
        "issue_warning": [lambda t: {"measure": "letter_inquiry", "measure_on": t.isoformat(), "record": "函询。",
                                     "explanation": "本人书面说明。"}],
        "expiry_evaluation": [lambda t: {"result": "not_reusable", "evaluation": "暂不使用。"}],
    }
    extra["release_hold"] = [demo_paths.RELEASE.data]
    for trigger, makers in extra.items():
        out.setdefault(trigger, []).extend(makers)
    return out


DEMO_DATA = _demo_steps()


def _fields(trigger):
    for wf in WORKFLOWS.values():
        if trigger in wf.triggers():
            return wf.fields_for(trigger)
    return ()


JUNK = st.sampled_from([
    "", None, "   ", "x" * 5000, "字" * 4001, "a\x00b", "\x00", "abc", "-1", "12.5", -1, 0, 10**12, 3.5, True, False,
    "2026-02-30", "0001-01-01", "9999-12-31", "31/12/2026", [], ["\x00"], ["x" * 300], [{"name": "a"}], {"a": 1},
    "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "\ud800", "LAST",
])


def spec_value(draw, spec, today, ids):
    """A plausible value for one field spec (valid most of the time)."""
    kind = spec.kind
    if kind in ("text", "textarea"):
        return draw(st.sampled_from(["核查", "王晓梅", "Unit board", "说明 " * 3, "<b>x</b>"]))
    if kind == "date":
        return (today + timedelta(days=draw(st.integers(-40, 40)))).isoformat()
    if kind == "int":
        return draw(st.integers(-3, 60))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "select":
        return draw(st.sampled_from(sorted(spec.choices)))
    if kind == "lines":
        return draw(st.lists(st.sampled_from(["李建国", "赵敏", "陈纪明", "王芳"]), max_size=4, unique=True))
    if kind == "votes":
        return draw(st.sampled_from([votes(7, 1, 1), votes(4, 3, 1), votes(3, 0, 6), votes(5, 4), votes(0), []]))
    if kind == "objection":
        return draw(st.sampled_from(ids["objections"] + [999999]))
    if kind == "position":
        return draw(st.sampled_from(ids["positions"] + [None, 999999]))
    return None


def draw_step_data(draw, trigger, case, today, ids):
    """Data for ``trigger`` on ``case``: a demo example, or generated from the specs; then mutated."""
    fields = _fields(trigger)
    examples = DEMO_DATA.get(trigger, [])
    if examples and draw(st.booleans()):
        data = dict(draw(st.sampled_from(examples))(today))
    else:
        data = {spec.name: spec_value(draw, spec, today, ids) for spec in fields}
    data = resolve(data, case, ids)
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2]))):
        if not fields:
            break
        name = draw(st.sampled_from([f.name for f in fields]))
        if draw(st.booleans()):
            data.pop(name, None)
        else:
            data[name] = draw(JUNK)
    return data


def resolve(data, case, ids):
    """The demo placeholders, resolved without assuming the case is where the demo path put it."""
    data = dict(data)
    if data.get("objection") == "LAST":
        objections = [o.id for o in case.objections] if case is not None else []
        data["objection"] = objections[-1] if objections else 999999
    if data.get("new_rank") == "SAME":
        data["new_rank"] = case.cadre.rank if case is not None else "section_chief"
    if data.get("new_position") == "OTHER_POST":
        data["new_position"] = ids["positions"][-1] if ids["positions"] else None
    return data


def draw_version(draw, case):
    if draw(st.integers(0, 19)) < 17:
        return draw(st.sampled_from([None, case.version, str(case.version)]))
    return draw(st.sampled_from([case.version - 1, case.version + 1, "x", f" {case.version} ", "", 10**30]))


def draw_trigger(draw, case):
    """Mostly an action of the case's state; sometimes any trigger of either track, or none at all."""
    offered = [t.trigger for t in workflow_for(case.track).from_state(case.state)]
    if offered and draw(st.integers(0, 19)) < 17:
        return draw(st.sampled_from(offered), label="trigger")
    return draw(st.sampled_from(ALL_TRIGGERS), label="trigger")


def draw_user(draw, org, trigger):
    """Mostly a user whose role may pull the trigger (own units); sometimes anyone, other units too."""
    allowed = sorted(name for name, user in org.users.items()
                     if any(user.role in t.roles for wf in WORKFLOWS.values() for t in wf.transitions if t.trigger == trigger)
                     and not name.endswith("_b"))
    if allowed and draw(st.integers(0, 19)) < 17:
        return org.users[draw(st.sampled_from(allowed), label="user")]
    return org.users[draw(st.sampled_from(sorted(org.users)), label="user")]


# --- snapshots and invariants ------------------------------------------------------------------

def snapshot():
    """Everything a step may write, as plain values."""
    db.session.expire_all()
    rows = lambda model, *cols: [tuple(r) for r in db.session.execute(  # noqa: E731
        select(*[getattr(model, c) for c in cols]).order_by(model.id)).all()]
    return {
        "cases": rows(Case, "id", "state", "version", "due_on", "due_kind", "closed_at", "held_from", "publicity_end",
                      "probation_end", "linked_case_id"),
        "steps": db.session.scalar(select(func.count()).select_from(StepRecord)),
        "events": db.session.scalar(select(func.count()).select_from(AuditEvent)),
        "objections": rows(Objection, "id", "answered", "disqualifying"),
        "sanctions": rows(Sanction, "id", "measure", "influence_ends_on"),
        "cadres": rows(Cadre, "id", "version", "rank", "position_id", "unit_id", "probation_until"),
        "submissions": rows(Submission, "id", "status", "false_accusation"),
    }


def expected_deadline(case):
    """What door.plan_deadline gives for the case as it stands: (due_on, due_kind)."""
    workflow = workflow_for(case.track)
    state = workflow.state(case.state)
    rules = rules_of(case.rule_set)
    if state.final:
        return None, ""
    if state.deadline is not None:
        return state.deadline(case, rules)
    days = rules.expected_days(case.state)
    return (clock.local_date(case.state_since) + timedelta(days=days) if days else None), "step_limit"


def check_invariants():
    db.session.expire_all()
    verdict = verify(db.session)
    assert verdict.intact, verdict.sentence()
    # Every case is in exactly one state of its track: counting the cases state by state gives each once.
    per_state = db.session.execute(select(Case.track, Case.state, func.count()).group_by(Case.track, Case.state)).all()
    assert all(state in workflow_for(track).states_by_name for track, state, _ in per_state), per_state
    assert sum(n for *_, n in per_state) == db.session.scalar(select(func.count()).select_from(Case))
    for case in db.session.scalars(select(Case).order_by(Case.id)):
        workflow = workflow_for(case.track)
        # Closed exactly when the state is final.
        assert (case.closed_at is not None) == workflow.state(case.state).final, (case.reference, case.state, case.closed_at)
        # The state is the one its last state event names.
        last = db.session.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.kind.in_(("case.opened", "case.transition")))
            .order_by(AuditEvent.id.desc())).first()
        assert last is not None, case.reference
        assert last.after["state"] == case.state, (case.reference, case.state, last.kind, last.after["state"])
        assert last.after["version"] <= case.version
        # The last step record agrees too.
        assert case.records and case.records[-1].to_state == case.state, case.reference
        # No deadline lost.
        due_on, due_kind = expected_deadline(case)
        assert (case.due_on, case.due_kind) == (due_on, due_kind), (case.reference, case.state, case.due_on, case.due_kind, due_on, due_kind)
        if not workflow.state(case.state).final and case.due_on is None:
            assert case.state == "admonishment_tracking", (case.reference, case.state, "no deadline")
            assert any(s.case_id == case.id and s.measure == "admonishment" for s in case.cadre.sanctions)


def ids_of(org):
    return {
        "positions": [p.id for p in db.session.scalars(select(Position).order_by(Position.id))],
        "objections": [o.id for o in db.session.scalars(select(Objection).order_by(Objection.id))],
        "cadres": [c.id for c in db.session.scalars(select(Cadre).order_by(Cadre.id))],
    }


# --- the state machine ---------------------------------------------------------------------------

class Fuzz(RuleBasedStateMachine):
    """Shared setup: a fresh database, the org, a promotion and an adjustment case driven along
    the demo paths to a drawn state. Subclasses act through the door or through the views."""

    app = None
    travel = None

    def __init__(self):
        super().__init__()
        reset_database()
        self.travel.to(START)
        self.org = build_org(self.travel)
        self.case_ids = []

    @initialize(promotion=st.sampled_from(sorted(PATHS)), adjustment=st.sampled_from(sorted(ADJUSTMENT_PATHS)))
    def start_cases(self, promotion, adjustment):
        self.case_ids.append(self.org.case_in(promotion).id)
        self.travel.to(START)
        self.case_ids.append(self.org.adjustment_in(adjustment).id)
        check_invariants()

    def pick_case(self, data):
        """Mostly an open case (where most actions are); sometimes any."""
        ids = list(db.session.scalars(select(Case.id).order_by(Case.id)))
        open_ids = list(db.session.scalars(select(Case.id).where(Case.closed_at.is_(None)).order_by(Case.id)))
        if open_ids and data.draw(st.integers(0, 9), label="prefer open") < 8:
            ids = open_ids
        return db.session.get(Case, data.draw(st.sampled_from(ids), label="case"))

    @rule(days=st.sampled_from([0, 1, 2, 3, 5, 8, 15, 31, 60, 200, 370]), hour=st.integers(0, 23))
    def move_clock(self, days, hour):
        self.travel.days(days)
        self.travel.clock.set(self.travel.clock.at.replace(hour=hour))

    @rule()
    def remind(self):
        from workflow.reminders import run_once

        before = snapshot()
        run_once(db.session)
        assert snapshot() == before, "a reminder pass changed a case"

    @invariant()
    def invariants_hold(self):
        if self.case_ids:
            check_invariants()


class DoorFuzz(Fuzz):
    @rule(data=st.data())
    def advance(self, data):
        case = self.pick_case(data)
        trigger = draw_trigger(data.draw, case)
        user = draw_user(data.draw, self.org, trigger)
        payload = draw_step_data(data.draw, trigger, case, self.travel.today, ids_of(self.org))
        version = draw_version(data.draw, case)
        before = snapshot()
        try:
            door.advance(case.id, trigger, user, payload, expected_version=version, session=db.session)
            STATS["ok:" + trigger] = STATS.get("ok:" + trigger, 0) + 1
        except Refused as exc:
            STATS[type(exc).__name__] = STATS.get(type(exc).__name__, 0) + 1
            assert exc.status in (403, 404, 409, 422), exc
            assert str(exc)
            assert snapshot() == before, f"refused {trigger} ({type(exc).__name__}) changed something"

    # Acting is what is fuzzed: drawn three times as often as moving the clock or opening a case.
    @rule(data=st.data())
    def advance_again(self, data):
        self.advance(data)

    @rule(data=st.data())
    def advance_once_more(self, data):
        self.advance(data)

    @rule(track=st.sampled_from(["promotion", "adjustment"]))
    def open_valid_case(self, track):
        """A new case for a new eligible cadre, so the run always has open cases to work on."""
        if track == "promotion":
            case = self.org.open_case(cadre=self.org.cadre(name="王五"))
        else:
            case = self.org.open_adjustment(cadre=self.org.cadre(name="赵六"))
        self.case_ids.append(case.id)

    @rule(data=st.data())
    def open_case(self, data):
        track = data.draw(st.sampled_from(["promotion", "adjustment"]), label="track")
        user = self.org.users[data.draw(st.sampled_from(sorted(self.org.users)), label="user")]
        ids = ids_of(self.org)
        cadre_id = data.draw(st.sampled_from(ids["cadres"] + [999999]), label="cadre")
        fields = open_fields(track)
        payload = {spec.name: spec_value(data.draw, spec, self.travel.today, ids) for spec in fields}
        if data.draw(st.booleans()):
            payload[data.draw(st.sampled_from([f.name for f in fields]))] = data.draw(JUNK)
        position = data.draw(st.sampled_from(ids["positions"] + [None, 999999]), label="position")
        before = snapshot()
        try:
            outcome = door.open_case(track, user, cadre_id, payload, target_position_id=position, session=db.session)
        except Refused as exc:
            assert exc.status in (403, 404, 409, 422), exc
            assert snapshot() == before, f"refused opening ({type(exc).__name__}) changed something"
        else:
            self.case_ids.append(outcome.case.id)


def run_machine(machine, app, travel, **overrides):
    machine.app, machine.travel = app, travel
    run_state_machine_as_test(machine, settings=settings(FUZZ_SETTINGS, **overrides))


STATS = {}  # outcome -> count, to show the fuzzer is not vacuous


def test_fuzz_the_door(app, travel):
    STATS.clear()
    run_machine(DoorFuzz, app, travel)
    taken = sum(n for k, n in STATS.items() if k.startswith("ok:"))
    refused = sum(n for k, n in STATS.items() if not k.startswith("ok:"))
    assert taken >= 20 and refused >= 20, STATS  # both sides were exercised


def test_demo_examples_cover_every_trigger():
    """The fuzzer draws valid data for every trigger of both tracks (not only random values)."""
    assert {t for wf in WORKFLOWS.values() for t in wf.triggers()} <= set(DEMO_DATA)
    assert demo_paths.MEMBERS
