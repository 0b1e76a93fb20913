"""Track 1, promotion ("going up"): nomination → inspection → decision → publicity →
appointment → probation, with the exits withdrawn, rejected, cancelled and on hold."""
from datetime import date

from models import Objection

from . import decision, eligibility
from .clock import add_months, local_date
from .definition import Field, Guard, State, Transition, Workflow
from .i18n import _, series
from .step_dates import _data_date, _recorded_on, g_date
from .terms import EXCEPTION_GROUNDS, INSPECTION_CHECKS, NOMINATION_SOURCES, VOTES, label

OFFICER = frozenset({"case_officer"})

STATES = (
    State("nomination", "Nomination", "推荐提名", description="Post, source and recommendation recorded."),
    State("inspection", "Inspection", "考察", description="Team, the four mandatory checks, integrity conclusion."),
    State("decision", "Awaiting collective decision", "待讨论决定"),
    State("approved", "Approved, awaiting publicity", "决定通过待公示"),
    State("publicity", "Publicity", "任前公示", deadline=lambda case, rules: (case.publicity_end, "publicity_end")),
    State("publicity_suspended", "Publicity suspended", "公示暂停"),
    State("probation", "Probation", "试用期", deadline=lambda case, rules: (case.probation_end, "probation_end")),
    State("on_hold", "On hold", "暂停办理"),
    State("appointed", "Appointed", "已任职", final=True),
    State("confirmed", "Confirmed after probation", "试用期满正式任职", final=True),
    State("removed", "Removed after probation", "试用不合格免职", final=True),
    State("withdrawn", "Withdrawn", "已撤回", final=True),
    State("rejected", "Rejected", "未通过", final=True),
    State("cancelled", "Cancelled", "已取消", final=True),
)
HOLDABLE = ("nomination", "inspection", "decision", "approved", "publicity", "publicity_suspended")


def _today(ctx):
    return ctx.today


# --- guards: each returns None or a sentence ---------------------------------------------

def _position(ctx):
    return ctx.case.target_position


def g_exclusions(ctx):
    return eligibility.exclusions(ctx.cadre, _position(ctx), ctx.today, ctx.rules)


def g_step(ctx):
    return eligibility.step_problems(ctx.cadre, _position(ctx))


def g_qualifications(ctx):
    gaps = eligibility.qualification_gaps(ctx.cadre, _position(ctx), ctx.today, ctx.rules)
    if gaps and ctx.case.last_record("record_exception"):
        return None  # waived by an approved exception for an outstanding performer
    if gaps:
        return [*gaps, _("Record an approved exception for an outstanding performer, or choose another cadre.")]
    return None


def g_exception_windows(ctx):
    return eligibility.exception_window_problems(ctx.cadre, ctx.today, ctx.rules)


def g_exception_still_allowed(ctx):
    if not ctx.case.last_record("record_exception"):
        return None
    return eligibility.exception_window_problems(ctx.cadre, ctx.today, ctx.rules)


def g_no_open_adjustment(ctx):
    from sqlalchemy import select

    from models import Case

    open_case = ctx.session.scalars(select(Case).where(
        Case.cadre_id == ctx.cadre.id, Case.track == "adjustment", Case.closed_at.is_(None))).first()
    if open_case is not None:
        return _("An adjustment case (%(reference)s) is open for this cadre.", reference=open_case.reference)
    return None


def g_recommendation_recorded(ctx):
    if ctx.case.source == "democratic" and not ctx.case.last_record("record_recommendation"):
        return _("Record the democratic recommendation (method, participants, tallies) first.")
    return None


def g_team_size(ctx):
    needed = ctx.rules["inspection_team_min"]
    if len(ctx.data["team"]) < needed:
        return _("An inspection team needs at least %(needed)s people.", needed=needed)
    return None


def g_shortlist(ctx):
    if ctx.data["method"] == "interview" and len(ctx.data["shortlist"]) <= ctx.data["posts"]:
        return _("When interviews come first, the shortlist must have more names than posts.")
    return None


def _checks_done(case):
    return {r.data.get("check") for r in case.records_for("record_check")}


def g_checks_done(ctx):
    missing = [c for c in INSPECTION_CHECKS if c not in _checks_done(ctx.case)]
    if missing:
        names = series(label(INSPECTION_CHECKS, c) for c in missing)
        return _("These mandatory checks are not recorded yet: %(checks)s.", checks=names)
    return None


def g_check_role(ctx):
    if ctx.data["check"] == "integrity_opinion" and ctx.actor.role != "discipline_liaison":
        return _("Only the discipline liaison may record the integrity opinion.")
    if ctx.data["check"] != "integrity_opinion" and ctx.actor.role == "discipline_liaison":
        return _("The discipline liaison records only the integrity opinion.")
    return None


def open_checks(ctx):
    """The mandatory checks not yet recorded that this user's role records."""
    done = _checks_done(ctx.case)
    mine = ["integrity_opinion"] if ctx.actor.role == "discipline_liaison" else [c for c in INSPECTION_CHECKS if c != "integrity_opinion"]
    return {c: INSPECTION_CHECKS[c] for c in mine if c not in done}


def g_check_not_recorded(ctx):
    if ctx.data["check"] in _checks_done(ctx.case):
        return _("This check is already recorded; see the timeline.")
    return None


def g_any_open_objection(ctx):
    if not any(not o.answered for o in ctx.case.objections):
        return _("There is no objection waiting for an answer.")
    return None


def g_integrity_opinion(ctx):
    """The integrity opinion (党风廉政意见) is one of the four mandatory checks, recorded by the discipline liaison."""
    if "integrity_opinion" not in _checks_done(ctx.case):
        return _("No decision may be recorded without the integrity opinion; the discipline liaison records it as a "
                 "mandatory check of the inspection.")
    return None


def g_exception_stated(ctx):
    if ctx.case.last_record("record_exception") and not ctx.data.get("exception_stated"):
        return _("This is an exception for an outstanding performer: state it and its reason in the publicity text.")
    return None


def g_objections_answered(ctx):
    open_ = [o for o in ctx.case.objections if not o.answered]
    if open_:
        return _("%(count)s objection(s) are not answered yet.", count=len(open_))
    return None


def g_no_disqualifying(ctx):
    if any(o.disqualifying for o in ctx.case.objections):
        return _("An objection was found disqualifying: cancel the case instead.")
    return None


def g_has_disqualifying(ctx):
    if not any(o.disqualifying for o in ctx.case.objections):
        return _("Cancel only after an objection was found disqualifying; otherwise withdraw the case.")
    return None


def g_publicity_over(ctx):
    end = ctx.case.publicity_end
    if end is None or ctx.today <= end:
        return _("Publicity runs until %(end)s; appointment is possible from the next day.", end=end.isoformat() if end else "?")
    return None


def g_objection_open(ctx):
    objection = next((o for o in ctx.case.objections if o.id == ctx.data["objection"]), None)
    if objection is None or objection.answered:
        return _("Choose an objection of this case that is not answered yet.")
    return None


def g_probation_over(ctx):
    end = ctx.case.probation_end
    if end is None or ctx.today < end:
        return _("Probation ends on %(end)s; assess it then.", end=end.isoformat() if end else "?")
    return None


def after_opening(ctx):
    return _recorded_on(ctx, "open"), _("the day the case was opened"), False


def after_inspection(ctx):
    return _recorded_on(ctx, "conclude_inspection"), _("the day the inspection was concluded"), False


def after_decision_recorded(ctx):
    return _recorded_on(ctx, "record_decision"), _("the day the decision was recorded"), False


def after_meeting(ctx):
    return _data_date(ctx, "record_decision", "meeting_on"), _("the decision meeting"), False


def after_publicity_start(ctx):
    return ctx.case.publicity_start, _("the start of publicity"), False


def after_publicity_end(ctx):
    return ctx.case.publicity_end, _("the end of publicity"), True


def after_suspension(ctx):
    suspended = [r for r in ctx.case.records_for("record_objection") if r.data.get("suspended_on")]
    return (date.fromisoformat(suspended[-1].data["suspended_on"]) if suspended else None), _("the suspension"), False


# --- effects: database-only, run inside the door's transaction ----------------------------

def e_start_publicity(ctx):
    start = ctx.data["start_on"]
    end = ctx.calendar.add(start, ctx.rules["publicity_min_working_days"], ctx.rules["publicity_counts_start_day"])
    ctx.case.publicity_start, ctx.case.publicity_end = start, end.day
    ctx.case.publicity_needs_review = end.needs_review
    ctx.extra.update(publicity_end=end.day.isoformat(), needs_review=end.needs_review)


def e_record_objection(ctx):
    d = ctx.data
    objection = Objection(
        case=ctx.case, received_on=d["received_on"], channel=d["channel"], content=d["content"],
        substantive=d["substantive"],
    )
    ctx.session.add(objection)
    ctx.session.flush()
    ctx.extra["objection_id"] = objection.id
    if d["substantive"]:
        ctx.extra["suspended_on"] = ctx.today.isoformat()


def e_refer(ctx):
    """An objection that needs checking: this case waits on hold for a linked verification."""
    from .door import _open

    outcome = _open(ctx.session, "adjustment", ctx.actor, ctx.cadre.id, None, {
        "trigger_source": "publicity_objection", "content": ctx.data["content"], "received_on": ctx.data["received_on"],
    }, initial_state="verification", linked_case=ctx.case)
    ctx.case.held_from = ctx.from_state
    ctx.extra["verification_case"] = outcome.case.reference


def e_answer_objection(ctx):
    objection = next(o for o in ctx.case.objections if o.id == ctx.data["objection"])
    objection.answered, objection.answered_on = True, ctx.today
    objection.finding, objection.answer = ctx.data["finding"], ctx.data["answer"]
    objection.disqualifying = ctx.data["disqualifying"]


def e_resume_publicity(ctx):
    """The days of suspension do not count: the remaining working days run from the resumption."""
    case = ctx.case
    suspensions = [r for r in case.records_for("record_objection") if r.data.get("suspended_on")]
    suspended_on = date.fromisoformat(suspensions[-1].data["suspended_on"]) if suspensions else ctx.today
    remaining = ctx.calendar.between(suspended_on, case.publicity_end) if case.publicity_end else 0
    if remaining > 0:
        end = ctx.calendar.add(ctx.data["resumed_on"], remaining, True)
        case.publicity_end = max(end.day, case.publicity_end)
        case.publicity_needs_review = case.publicity_needs_review or end.needs_review
        ctx.extra.update(publicity_end=case.publicity_end.isoformat(), needs_review=case.publicity_needs_review)


def e_appoint(ctx):
    case, cadre, position = ctx.case, ctx.cadre, ctx.case.target_position
    ctx.extra["previous"] = {
        "position_id": cadre.position_id, "unit_id": cadre.unit_id, "rank": cadre.rank,
        "rank_since": cadre.rank_since.isoformat(), "post_since": cadre.post_since.isoformat() if cadre.post_since else None,
        "last_promotion_on": cadre.last_promotion_on.isoformat() if cadre.last_promotion_on else None,
    }
    effective = ctx.data["effective_on"]
    cadre.position_id, cadre.unit_id = position.id, position.unit_id
    cadre.rank, cadre.rank_since, cadre.post_since, cadre.last_promotion_on = position.rank, effective, effective, effective
    if position.probation_applies:
        decided = case.last_record("record_decision")
        start = decided.data["meeting_on"] if ctx.rules["probation_start"] == "decision" else effective.isoformat()
        case.probation_end = add_months(date.fromisoformat(start), ctx.rules["probation_months"])
        cadre.probation_until = case.probation_end
        ctx.extra["probation_end"] = case.probation_end.isoformat()


def e_fail_probation(ctx):
    """Back to the previous post, unit and rank, as domain.md says is usual."""
    previous = ctx.case.last_record("appoint").data.get("previous") or {}
    cadre = ctx.cadre
    if previous:
        cadre.rank, cadre.rank_since = previous["rank"], date.fromisoformat(previous["rank_since"])
        cadre.position_id = previous["position_id"]
        cadre.unit_id = previous.get("unit_id", cadre.unit_id)
        cadre.post_since = _optional_date(previous.get("post_since"))
        cadre.last_promotion_on = _optional_date(previous.get("last_promotion_on"))
    cadre.probation_until = None
    from .door import _open

    outcome = _open(ctx.session, "adjustment", ctx.actor, cadre.id, None, {
        "trigger_source": "probation_failed", "content": ctx.data["assessment"], "received_on": ctx.data["assessed_on"],
    }, linked_case=ctx.case)
    ctx.extra["adjustment_case"] = outcome.case.reference


def _optional_date(value):
    return date.fromisoformat(value) if value else None


def e_confirm(ctx):
    ctx.cadre.probation_until = None


def e_hold(ctx):
    ctx.case.held_from = ctx.from_state


def e_release(ctx):
    """Back from a hold. Into publicity: the days on hold do not count, as after a suspension."""
    case = ctx.case
    if case.held_from == "publicity" and case.publicity_end:
        held_on = local_date(case.state_since)
        remaining = ctx.calendar.between(held_on, case.publicity_end)
        if remaining > 0:
            end = ctx.calendar.add(ctx.today, remaining, True)
            case.publicity_end = max(end.day, case.publicity_end)
            case.publicity_needs_review = case.publicity_needs_review or end.needs_review
            ctx.extra.update(publicity_end=case.publicity_end.isoformat(), needs_review=case.publicity_needs_review)
    case.held_from = None


# --- fields -----------------------------------------------------------------------------

F = Field
NOTE = F("note", "textarea", "Note", "备注", required=False)
REASON = F("reason", "textarea", "Reason", "理由")

TRANSITIONS = (
    Transition(
        "record_recommendation", ("nomination",), "nomination", "Record democratic recommendation", "录入民主推荐",
        OFFICER, guards=(Guard("shortlist", g_shortlist, True),),
        fields=(
            F("method", "select", "Method", "推荐方式", choices={"interview": ("Interviews first", "谈话调研推荐"), "meeting": ("Meeting vote", "会议推荐")}),
            F("posts", "int", "Posts to fill", "职数", minimum=1, default=lambda ctx: 1),
            F("participants", "int", "Participants", "参加人数", minimum=1),
            F("tallies", "lines", "Tallies (one per line: name votes)", "得票情况（每行：姓名 票数）"),
            F("shortlist", "lines", "Shortlist (one name per line)", "初步人选（每行一人）"),
        ),
    ),
    Transition(
        "record_exception", ("nomination",), "nomination", "Record exception for an outstanding performer", "录入破格提拔",
        OFFICER, guards=(Guard("step", g_step), Guard("exception_windows", g_exception_windows),
                         g_date("approved_on", after_opening, future=False, backdating=False)),
        fields=(
            F("grounds", "select", "Grounds", "破格情形", choices=EXCEPTION_GROUNDS),
            F("reason", "textarea", "Reason (also stated in the publicity)", "破格理由（并在公示中说明）"),
            F("approved_by", "text", "Approved by (upper-level organization department)", "上级组织部门", max_length=120),
            F("approval_ref", "text", "Approval document number", "批复文号", max_length=60),
            F("approved_on", "date", "Approval date", "批复日期", default=_today),
        ),
    ),
    Transition(
        "select_for_inspection", ("nomination",), "inspection", "Select for inspection", "确定考察对象",
        OFFICER,
        guards=(
            Guard("recommendation_recorded", g_recommendation_recorded),
            Guard("exclusions", g_exclusions),
            Guard("no_open_adjustment", g_no_open_adjustment),
            Guard("step", g_step),
            Guard("qualifications", g_qualifications),
            Guard("exception_still_allowed", g_exception_still_allowed),
            Guard("team_size", g_team_size, True),
            g_date("notice_on", after_opening),
        ),
        fields=(
            F("team", "lines", "Inspection team (one name per line)", "考察组成员（每行一人）"),
            F("notice_on", "date", "Inspection notice date", "考察预告日期", default=_today),
            F("plan", "textarea", "Work plan", "工作方案", required=False),
        ),
    ),
    Transition(
        "record_check", ("inspection",), "inspection", "Record a mandatory check", "录入必查事项",
        frozenset({"case_officer", "inspector", "discipline_liaison"}),
        guards=(Guard("check_role", g_check_role, True), Guard("check_not_recorded", g_check_not_recorded, True)),
        fields=(
            F("check", "select", "Check", "必查事项", choices=INSPECTION_CHECKS, options=open_checks),
            F("outcome", "textarea", "Outcome", "核查结果"),
        ),
    ),
    Transition(
        "conclude_inspection", ("inspection",), "decision", "Conclude inspection", "完成考察",
        frozenset({"inspector", "case_officer"}), guards=(Guard("checks_done", g_checks_done),),
        fields=(
            F("interviews", "int", "Individual interviews held", "个别谈话人数", minimum=0),
            F("rating_excellent", "int", "Rating: excellent", "测评：优秀", minimum=0),
            F("rating_competent", "int", "Rating: competent", "测评：称职", minimum=0),
            F("rating_basic", "int", "Rating: basically competent", "测评：基本称职", minimum=0),
            F("rating_incompetent", "int", "Rating: incompetent", "测评：不称职", minimum=0),
            F("findings", "textarea", "Findings", "考察结论"),
            F("integrity_conclusion", "textarea", "Written integrity conclusion", "廉洁自律结论"),
        ),
    ),
)
DECISION_FIELDS = (
    F("meeting_on", "date", "Meeting date", "会议日期", default=_today),
    F("votes", "votes", "Members and votes", "应到会成员及表决", choices=VOTES),
    NOTE,
)
DECISION_GUARDS = (Guard("integrity_opinion", g_integrity_opinion), Guard("not_proposer", decision.g_not_proposer),
                   Guard("quorum", decision.g_quorum, True),
                   g_date("meeting_on", after_inspection, future=False))
SECRETARY = frozenset({"committee_secretary"})
TRANSITIONS += (
    # The meeting's outcome chooses the branch: passed → approved, not passed → rejected.
    Transition("record_decision", ("decision",), "approved", "Record collective decision", "记录集体讨论决定",
               SECRETARY, guards=DECISION_GUARDS, fields=DECISION_FIELDS, when=decision.passed),
    Transition("record_decision", ("decision",), "rejected", "Record collective decision", "记录集体讨论决定",
               SECRETARY, guards=DECISION_GUARDS, fields=DECISION_FIELDS, when=lambda ctx: not decision.passed(ctx)),
    Transition(
        "start_publicity", ("approved",), "publicity", "Start publicity", "开始任前公示", OFFICER,
        guards=(Guard("exception_stated", g_exception_stated, True), g_date("start_on", after_decision_recorded, after_meeting)),
        fields=(
            F("start_on", "date", "Start date", "公示开始日期", default=_today),
            F("channel", "text", "Channel", "公示渠道", max_length=120, default=lambda ctx: _("Unit notice board and website")),
            F("text", "textarea", "Publicity text", "公示内容"),
            F("exception_stated", "bool", "The text states the exception and its reason", "公示已说明破格理由", required=False),
        ),
        effects=(e_start_publicity,),
    ),
)
OBJECTION_FIELDS = (
    F("received_on", "date", "Received on", "收到日期", default=_today),
    F("channel", "text", "Channel", "反映渠道", max_length=40, default=lambda ctx: _("letter")),
    F("content", "textarea", "Content", "反映内容"),
    F("substantive", "bool", "Substantive: suspends the publicity", "需核查（暂停公示）", required=False),
    F("refer", "bool", "Refer for verification: hold this case and open a linked verification case",
      "移交核查（暂停办理本案并启动核查）", required=False),
)
OBJECTION_GUARDS = (g_date("received_on", after_publicity_start, future=False),)
TRANSITIONS += (
    Transition("record_objection", ("publicity", "publicity_suspended"), "on_hold", "Record objection", "登记反映问题", OFFICER,
               guards=OBJECTION_GUARDS, fields=OBJECTION_FIELDS, effects=(e_record_objection, e_refer),
               when=lambda ctx: ctx.data["refer"]),
    Transition("record_objection", ("publicity",), "publicity_suspended", "Record objection", "登记反映问题", OFFICER,
               guards=OBJECTION_GUARDS, fields=OBJECTION_FIELDS, effects=(e_record_objection,),
               when=lambda ctx: ctx.data["substantive"] and not ctx.data["refer"]),
    Transition("record_objection", ("publicity",), "publicity", "Record objection", "登记反映问题", OFFICER,
               guards=OBJECTION_GUARDS, fields=OBJECTION_FIELDS, effects=(e_record_objection,),
               when=lambda ctx: not ctx.data["substantive"] and not ctx.data["refer"]),
    Transition("record_objection", ("publicity_suspended",), "publicity_suspended", "Record objection", "登记反映问题", OFFICER,
               guards=OBJECTION_GUARDS, fields=OBJECTION_FIELDS, effects=(e_record_objection,), when=lambda ctx: not ctx.data["refer"]),
    Transition(
        "answer_objection", ("publicity", "publicity_suspended"), "=", "Answer objection", "核查答复反映",
        frozenset({"case_officer", "discipline_liaison"}),
        guards=(Guard("any_open_objection", g_any_open_objection), Guard("objection_open", g_objection_open, True)),
        fields=(
            F("objection", "objection", "Objection", "反映事项"),
            F("finding", "textarea", "Verification finding", "核查情况"),
            F("answer", "textarea", "Answer to the person who objected", "答复意见"),
            F("disqualifying", "bool", "A disqualifying fact was found", "查实影响任用", required=False),
        ),
        effects=(e_answer_objection,),
    ),
    Transition(
        "resume_publicity", ("publicity_suspended",), "publicity", "Resume publicity", "恢复公示", OFFICER,
        guards=(Guard("objections_answered", g_objections_answered), Guard("no_disqualifying", g_no_disqualifying),
                g_date("resumed_on", after_suspension, future=False)),
        fields=(F("resumed_on", "date", "Resumed on", "恢复日期", default=_today), NOTE),
        effects=(e_resume_publicity,),
    ),
    Transition(
        "cancel", ("publicity", "publicity_suspended"), "cancelled", "Cancel appointment", "取消任用", OFFICER,
        guards=(Guard("has_disqualifying", g_has_disqualifying),), fields=(REASON,), danger=True,
    ),
)
APPOINT_FIELDS = (
    F("document_no", "text", "Appointment document number", "任职文号", max_length=60),
    F("effective_on", "date", "Effective date", "任职日期", default=_today),
    F("talk_by", "text", "Appointment talk held by", "任职谈话人", max_length=60),
    F("talk_on", "date", "Appointment talk date", "任职谈话日期", default=_today),
    NOTE,
)
APPOINT_GUARDS = (Guard("publicity_over", g_publicity_over), Guard("objections_answered", g_objections_answered),
                  Guard("no_disqualifying", g_no_disqualifying), g_date("effective_on", after_publicity_end), g_date("talk_on", after_meeting))
TRANSITIONS += (
    Transition("appoint", ("publicity",), "probation", "Appoint", "任职", OFFICER, guards=APPOINT_GUARDS,
               fields=APPOINT_FIELDS, effects=(e_appoint,), when=lambda ctx: ctx.case.target_position.probation_applies),
    Transition("appoint", ("publicity",), "appointed", "Appoint", "任职", OFFICER, guards=APPOINT_GUARDS,
               fields=APPOINT_FIELDS, effects=(e_appoint,), when=lambda ctx: not ctx.case.target_position.probation_applies),
    Transition("confirm_probation", ("probation",), "confirmed", "Probation passed: confirm", "试用期满考核合格，正式任职",
               OFFICER, guards=(Guard("probation_over", g_probation_over),),
               fields=(F("assessed_on", "date", "Assessment date", "考核日期", default=_today), F("assessment", "textarea", "Assessment", "考核意见")),
               effects=(e_confirm,)),
    Transition("fail_probation", ("probation",), "removed", "Probation failed: remove", "试用期考核不合格，免职",
               OFFICER, guards=(Guard("probation_over", g_probation_over),),
               fields=(F("assessed_on", "date", "Assessment date", "考核日期", default=_today), F("assessment", "textarea", "Assessment", "考核意见")),
               effects=(e_fail_probation,), danger=True),
    Transition("put_on_hold", HOLDABLE, "on_hold", "Put on hold (clue under verification)", "暂停办理（线索核查中）",
               frozenset({"case_officer", "discipline_liaison"}),
               fields=(REASON, F("clue_ref", "text", "Clue reference", "线索编号", required=False, max_length=60)),
               effects=(e_hold,)),
)
# Releasing a hold returns to the state the case was held from: one branch per such state.
TRANSITIONS += tuple(
    Transition("release_hold", ("on_hold",), origin, "Release hold (clarified)", "恢复办理（已澄清）",
               frozenset({"case_officer", "discipline_liaison"}),
               fields=(F("clarification", "textarea", "Clarification", "澄清情况"),),
               effects=(e_release,), when=lambda ctx, origin=origin: ctx.case.held_from == origin)
    for origin in HOLDABLE
)
TRANSITIONS += (
    Transition("withdraw", (*HOLDABLE, "on_hold"), "withdrawn", "Withdraw", "撤回", frozenset({"case_officer", "committee_secretary"}),
               fields=(REASON,), danger=True),
)

OPEN_FIELDS = (
    F("source", "select", "Source", "推荐来源", choices=NOMINATION_SOURCES),
    F("work_plan", "textarea", "Work plan / motion", "动议及工作方案"),
    F("evidence", "textarea", "Evidence of results (self-recommendation)", "实绩材料（自我推荐）", required=False),
)

WORKFLOW = Workflow(track="promotion", states=STATES, initial="nomination", transitions=TRANSITIONS)
