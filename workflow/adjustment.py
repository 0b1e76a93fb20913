"""Track 2, adjustment ("going down"): intake → verification → clarification, fault tolerance,
warning measures, or adjustment proposal → talk (and the discipline liaison's integrity opinion) →
decision → reassignment → follow-up reviews → expiry evaluation and possible reuse. Appeals run
beside it and do not stay the decision."""
from datetime import date, timedelta

from models import Position, Sanction, Submission, Unit

from . import decision
from .clock import add_months, local_date
from .deadlines import follow_up_due
from .definition import Field, Guard, State, Transition, Workflow
from .i18n import _, listing
from .influence import combined, own_end
from .step_dates import _data_date, _recorded_on, g_date
from .terms import (
    ADJUSTMENT_METHODS,
    APPEAL_OUTCOMES,
    CLARIFICATION_METHODS,
    CLUE_CATEGORIES,
    FT_DETERMINATIONS,
    RANK_ORDER,
    RANKS,
    TRIGGER_SOURCES,
    VERIFICATION_CONCLUSIONS,
    VISIT_RATINGS,
    VOTES,
    WARNING_MEASURES,
    label,
)

F = Field
OFFICER = frozenset({"case_officer"})
OFFICER_OR_LIAISON = frozenset({"case_officer", "discipline_liaison"})
LIAISON = frozenset({"discipline_liaison"})
SECRETARY = frozenset({"committee_secretary"})

STATES = (
    State("intake", "Intake", "线索受理"),
    State("verification", "Verification", "核查"),
    State("clarification", "Clarification", "澄清正名"),
    State("handling", "Handling decision", "研究处理"),
    State("fault_tolerance", "Fault-tolerance review", "容错审查"),
    State("proposal", "Adjustment proposed", "提出调整建议"),
    State("decision", "Awaiting collective decision", "待讨论决定"),
    State("reassignment", "Awaiting reassignment", "待调整到位",
          deadline=lambda case, rules: (add_months(local_date(case.state_since), rules["reassignment_due_months"]), "reassignment_due")),
    State("follow_up", "Follow-up reviews", "跟踪回访", deadline=lambda case, rules: follow_up_due(case, rules)),
    State("admonishment_tracking", "Admonishment tracking", "诫勉跟踪", deadline=lambda case, rules: (None, "")),
    State("cleared", "Cleared (name clarified)", "已澄清正名", final=True),
    State("tolerated", "Tolerated (no liability)", "已容错免责", final=True),
    State("warned", "Warning measure taken", "已提醒函询", final=True),
    State("not_adjusted", "Not adjusted (decision)", "决定不予调整", final=True),
    State("reusable", "Reusable after evaluation", "期满评估可使用", final=True),
    State("closed", "Closed", "已办结", final=True),
)


def _today(ctx):
    return ctx.today


def _dated(record, key):
    return date.fromisoformat(record.data[key]) if record and record.data.get(key) else None


# --- guards -----------------------------------------------------------------------------------

def g_malicious_only_if_unfounded(ctx):
    if ctx.data.get("malicious") and ctx.data["conclusion"] != "unfounded":
        return _("Only an unfounded report can be a false accusation.")
    return None


def g_consent(ctx):
    if not ctx.data.get("consent"):
        return _("A clarification needs the cadre's consent; without it, close the case instead.")
    return None


def g_no_previous_claim(ctx):
    if ctx.case.last_record("determine_fault_tolerance"):
        return _("Fault tolerance was already determined for this case.")
    return None


def g_tolerated_needs_factor(ctx):
    factors = [k for k in FT_FACTORS if ctx.data.get(k)]
    if ctx.data["determination"] == "tolerated" and not factors:
        return _("Tolerance needs at least one recorded factor of the three distinctions or other grounds.")
    return None


def g_explanation_for_letter(ctx):
    if ctx.data["measure"] == "letter_inquiry" and not ctx.data.get("explanation"):
        return _("A letter inquiry records the cadre's written explanation.")
    return None


def g_admonishment_over(ctx):
    sanction = _case_sanction(ctx, "admonishment")
    if sanction and sanction.influence_ends_on > ctx.today:
        return _("The admonishment is tracked until %(end)s.", end=sanction.influence_ends_on.isoformat())
    return None


def _case_sanction(ctx, measure=None):
    for sanction in ctx.cadre.sanctions:
        if sanction.case_id == ctx.case.id and (measure is None or sanction.measure == measure):
            return sanction
    return None


def g_integrity_opinion(ctx):
    """domain.md: no decision may be recorded without the integrity opinion — on this track too."""
    if not ctx.case.last_record("record_integrity_opinion"):
        return _("No decision may be recorded without the integrity opinion: the discipline liaison records the opinion "
                 "of the discipline inspection and supervision organ first.")
    return None


def g_opinion_not_recorded(ctx):
    if ctx.case.last_record("record_integrity_opinion"):
        return _("The integrity opinion is already recorded; see the timeline.")
    return None


def g_new_rank(ctx):
    method, new_rank, cadre = _decided_method(ctx), ctx.data["new_rank"], ctx.cadre
    step = RANK_ORDER.index(new_rank) - RANK_ORDER.index(cadre.rank)
    if step > 0:
        return _("An adjustment cannot raise the cadre's rank.")
    if method == "demotion" and step >= 0:
        return _("A demotion needs a lower rank.")
    return None


def g_new_position(ctx):
    position_id = ctx.data.get("new_position")
    if _decided_method(ctx) != "removal" and not position_id:
        return _("Choose the new position.")
    if position_id and position_id == ctx.cadre.position_id:
        return _("Choose a post other than the one the cadre holds now.")
    if position_id:
        position = ctx.session.get(Position, position_id)
        from .access import unit_scope

        if position is None or position.unit_id not in unit_scope(ctx.session, ctx.actor):
            return _("Choose a position in your units.")
        if RANK_ORDER.index(position.rank) > RANK_ORDER.index(ctx.data["new_rank"]):
            return _("The post %(post)s is a %(rank)s post, above the rank after adjustment.",
                     post=position.title, rank=label(RANKS, position.rank))
    return None


def _decided_method(ctx):
    proposed = ctx.case.last_record("propose_adjustment")
    return proposed.data.get("method") if proposed else None


def _decision_date(ctx):
    return _dated(ctx.case.last_record("record_decision"), "meeting_on")


def _open_appeal(case):
    filed = case.records_for("file_appeal")
    decided = case.records_for("decide_appeal")
    return filed[-1] if len(filed) > len(decided) else None


def g_appeal_window(ctx):
    decided = _decision_date(ctx)
    days = ctx.rules["appeal_window_days"]
    filed = ctx.data["filed_on"]
    if decided and filed > decided + timedelta(days=days):
        return _("The appeal window closed %(closed)s (%(days)s days after the decision).",
                 closed=(decided + timedelta(days=days)).isoformat(), days=days)
    if decided and filed < decided:
        return _("An appeal cannot be filed before the decision.")
    if filed > ctx.today:
        return _("The filing date is in the future.")
    return None


def g_no_open_appeal(ctx):
    if _open_appeal(ctx.case):
        return _("An appeal is already open; record its decision first.")
    return None


def g_appeal_open(ctx):
    if not _open_appeal(ctx.case):
        return _("There is no open appeal.")
    return None


def g_helper_named(ctx):
    if not ctx.case.last_record("name_helper"):
        return _("Name the helper first.")
    return None


def g_visitors(ctx):
    needed = ctx.rules["return_visit_min_visitors"]
    if len(ctx.data["visitors"]) < needed:
        return _("A return visit is made by at least %(count)s people.", count=needed)
    return None


def g_visits_per_year(ctx):
    limit = ctx.rules["return_visits_max_per_year"]
    since = ctx.data["visit_on"] - timedelta(days=365)
    recent = [r for r in ctx.case.records_for("record_return_visit") if _dated(r, "visit_on") and _dated(r, "visit_on") > since]
    if len(recent) >= limit:
        return _("At most %(limit)s return visits a year; the last were on %(dates)s.",
                 limit=limit, dates=listing(r.data["visit_on"] for r in recent))
    return None


def g_influence_over(ctx):
    influence = combined(ctx.cadre.sanctions, ctx.rules)
    if influence.in_force(ctx.today):
        return _("The influence period runs until %(end)s; evaluate at its end.", end=influence.ends_on.isoformat())
    return None


def positions_in_scope(ctx):
    from sqlalchemy import select

    from .access import in_scope, unit_scope

    # Plain rows with their unit's name joined, only the posts that may be offered: not above the
    # cadre's present rank, other than the present one (the door checks again). A province offers
    # thousands: one query, not one unit load per post. Labelled as Position.label is: "unit · title".
    fitting = (select(Position.id, Position.rank, Position.title, Unit.name.label("unit_name"))
               .join(Unit, Unit.id == Position.unit_id)
               .where(Position.rank.in_(RANK_ORDER[:RANK_ORDER.index(ctx.cadre.rank) + 1]))
               .order_by(Position.unit_id, Position.id))
    if ctx.cadre.position_id is not None:
        fitting = fitting.where(Position.id != ctx.cadre.position_id)
    return {post_id: (f"{unit_name} · {title} · {RANKS[rank][0]}", f"{unit_name} · {title} · {RANKS[rank][1]}")
            for post_id, rank, title, unit_name in ctx.session.execute(in_scope(ctx.session, fitting, Position.unit_id,
                                                                               unit_scope(ctx.session, ctx.actor)))}


def after_proposal(ctx):
    return _recorded_on(ctx, "propose_adjustment"), _("the day the adjustment was proposed"), False


def after_talk(ctx):
    return _data_date(ctx, "hold_talk", "talk_on"), _("the talk with the cadre"), False


def after_decision(ctx):
    return _decision_date(ctx), _("the decision meeting"), False


def after_handling(ctx):
    return _recorded_on(ctx, "record_verification", "determine_fault_tolerance"), _("the verification"), False


def after_carry_out(ctx):
    return _data_date(ctx, "carry_out", "effective_on"), _("the adjustment taking effect"), False


def after_appeal_filed(ctx):
    record = _open_appeal(ctx.case)
    return _dated(record, "filed_on"), _("the appeal being filed"), False


# --- effects ----------------------------------------------------------------------------------

def e_clarify(ctx):
    """Clearing a name releases a promotion case held for this verification, and records a
    malicious false accusation against the reporter."""
    from .door import _advance

    linked = ctx.case.linked_case
    if linked is not None and linked.track == "promotion" and linked.state == "on_hold":
        _advance(ctx.session, linked.id, "release_hold", ctx.actor,
                 {"clarification": f"{ctx.case.reference}: {ctx.data['text']}"}, None)
        ctx.extra["released_case"] = linked.reference
    e_false_accusation(ctx)


def e_false_accusation(ctx):
    """A malicious false accusation is recorded against the reporter (seeds: the blacklist)."""
    if ctx.data.get("malicious"):
        for submission in ctx.session.query(Submission).filter(Submission.case_id == ctx.case.id):
            submission.false_accusation = True
            ctx.extra["false_accusation_recorded"] = submission.receipt_code


def e_admonish(ctx):
    ctx.session.add(Sanction(cadre_id=ctx.cadre.id, measure="admonishment", decided_on=ctx.data["measure_on"],
                             influence_ends_on=own_end("admonishment", ctx.data["measure_on"], ctx.rules),
                             note=ctx.data.get("record") or "", case_id=ctx.case.id))


def e_carry_out(ctx):
    cadre, method = ctx.cadre, _decided_method(ctx)
    ctx.extra["previous"] = {"position_id": cadre.position_id, "unit_id": cadre.unit_id, "rank": cadre.rank,
                             "rank_since": cadre.rank_since.isoformat()}
    effective = ctx.data["effective_on"]
    position = ctx.session.get(Position, ctx.data["new_position"]) if ctx.data.get("new_position") else None
    cadre.position_id = position.id if position else None
    if position:
        cadre.unit_id = position.unit_id
    cadre.post_since = effective
    if ctx.data["new_rank"] != cadre.rank:
        cadre.rank, cadre.rank_since = ctx.data["new_rank"], effective
    if ctx.rules["influence_months"].get(method):
        ctx.session.add(Sanction(cadre_id=cadre.id, measure=method, decided_on=_decision_date(ctx) or effective,
                                 influence_ends_on=own_end(method, _decision_date(ctx) or effective, ctx.rules),
                                 note=ctx.case.reference, case_id=ctx.case.id))


# --- transitions ------------------------------------------------------------------------------

FT_FACTORS = {
    "reform_trial": ("Trial and error in reform (not a knowing violation)", "改革创新中的先行先试"),
    "not_prohibited": ("An experiment not yet prohibited (not defying a ban)", "上级尚无明确限制的探索试验"),
    "public_interest": ("An honest mistake for development (not private gain)", "为推动发展的无意过失"),
    "recorded_opposition": ("The cadre had recorded opposition", "本人曾明确提出反对意见"),
    "force_majeure": ("Force majeure", "不可抗力"),
}
NOTE = F("note", "textarea", "Note", "备注", required=False)
DECISION_FIELDS = (
    F("meeting_on", "date", "Meeting date", "会议日期", default=_today),
    F("votes", "votes", "Members and votes", "应到会成员及表决", choices=VOTES),
    NOTE,
)
DECISION_GUARDS = (Guard("integrity_opinion", g_integrity_opinion), Guard("not_proposer", decision.g_not_proposer),
                   Guard("quorum", decision.g_quorum, True), g_date("meeting_on", after_talk, future=False))
VERIFY_FIELDS = (
    F("findings", "textarea", "Findings", "核查情况"),
    F("evidence", "lines", "Evidence (one item per line)", "证据材料（每行一项）"),
    F("conclusion", "select", "Conclusion", "核查结论", choices=VERIFICATION_CONCLUSIONS),
    F("malicious", "bool", "The report was a malicious false accusation: record it against the reporter",
      "认定为诬告陷害（记入反映人）", required=False),
)
FT_FIELDS = (
    *(F(name, "bool", en, zh, required=False) for name, (en, zh) in FT_FACTORS.items()),
    F("determination", "select", "Determination", "认定结果", choices=FT_DETERMINATIONS),
    F("reasoning", "textarea", "Reasoning", "认定理由"),
)
WARNING_FIELDS = (
    F("measure", "select", "Measure", "处理措施", choices=WARNING_MEASURES),
    F("measure_on", "date", "Date", "日期", default=_today),
    F("record", "textarea", "Talk record", "谈话记录"),
    F("explanation", "textarea", "Cadre's written explanation (letter inquiry)", "本人书面说明（函询）", required=False),
)
WARNING_GUARDS = (Guard("explanation", g_explanation_for_letter, True), g_date("measure_on", after_handling, future=False))
EVALUATION_FIELDS = (
    F("result", "select", "Result", "评估结果", choices={"reusable": ("Performs well: may be reused", "表现较好，可以使用"),
                                                          "not_reusable": ("Not for reuse now", "暂不使用")}),
    F("evaluation", "textarea", "Evaluation", "评估意见"),
)

TRANSITIONS = (
    Transition("start_verification", ("intake",), "verification", "Start verification", "开始核查", OFFICER_OR_LIAISON,
               fields=(F("verifiers", "lines", "Verifiers (one per line)", "核查人员（每行一人）"), F("plan", "textarea", "Plan", "核查方案", required=False))),
    Transition("dismiss_intake", ("intake",), "closed", "Close without verification", "不予核查，办结", OFFICER_OR_LIAISON,
               fields=(F("reason", "textarea", "Reason", "理由"),), danger=True),
    Transition("record_verification", ("verification",), "clarification", "Record verification", "录入核查结论", OFFICER_OR_LIAISON,
               guards=(Guard("malicious", g_malicious_only_if_unfounded, True),), fields=VERIFY_FIELDS,
               effects=(e_false_accusation,), when=lambda ctx: ctx.data["conclusion"] == "unfounded"),
    Transition("record_verification", ("verification",), "handling", "Record verification", "录入核查结论", OFFICER_OR_LIAISON,
               guards=(Guard("malicious", g_malicious_only_if_unfounded, True),), fields=VERIFY_FIELDS,
               when=lambda ctx: ctx.data["conclusion"] != "unfounded"),
    Transition("clarify", ("clarification",), "cleared", "Clear the cadre's name", "澄清正名", OFFICER_OR_LIAISON,
               guards=(Guard("consent", g_consent, True),),
               fields=(F("method", "select", "Method", "澄清方式", choices=CLARIFICATION_METHODS),
                       F("consent", "bool", "The cadre consents", "本人同意澄清", required=False),
                       F("text", "textarea", "Clarification text", "澄清内容"),
                       F("malicious", "bool", "Malicious false accusation: record it against the reporter", "认定为诬告陷害", required=False)),
               effects=(e_clarify,)),
    Transition("close_without_clarification", ("clarification",), "closed", "Close without clarification", "不澄清，办结",
               OFFICER_OR_LIAISON, fields=(F("reason", "textarea", "Reason (e.g. the cadre declined)", "理由（如本人不同意）"),)),
    Transition("claim_fault_tolerance", ("handling",), "fault_tolerance", "Record a fault-tolerance claim", "提出容错申请",
               OFFICER_OR_LIAISON, guards=(Guard("no_previous_claim", g_no_previous_claim),),
               fields=(F("claim", "textarea", "The cadre's claim", "容错申请"),)),
    Transition("determine_fault_tolerance", ("fault_tolerance",), "tolerated", "Determine fault tolerance", "容错认定",
               OFFICER_OR_LIAISON, guards=(Guard("factor", g_tolerated_needs_factor, True),), fields=FT_FIELDS,
               when=lambda ctx: ctx.data["determination"] == "tolerated"),
    Transition("determine_fault_tolerance", ("fault_tolerance",), "handling", "Determine fault tolerance", "容错认定",
               OFFICER_OR_LIAISON, guards=(Guard("factor", g_tolerated_needs_factor, True),), fields=FT_FIELDS,
               when=lambda ctx: ctx.data["determination"] != "tolerated"),
    Transition("issue_warning", ("handling",), "admonishment_tracking", "Take a warning measure", "采取提醒、函询、诫勉措施", OFFICER,
               guards=WARNING_GUARDS, fields=WARNING_FIELDS, effects=(e_admonish,),
               when=lambda ctx: ctx.data["measure"] == "admonishment"),
    Transition("issue_warning", ("handling",), "warned", "Take a warning measure", "采取提醒、函询、诫勉措施", OFFICER,
               guards=WARNING_GUARDS, fields=WARNING_FIELDS,
               when=lambda ctx: ctx.data["measure"] != "admonishment"),
    Transition("end_tracking", ("admonishment_tracking",), "closed", "End admonishment tracking", "诫勉跟踪期满", OFFICER,
               guards=(Guard("admonishment_over", g_admonishment_over),), fields=(F("evaluation", "textarea", "Evaluation", "跟踪评价"),)),
    Transition("propose_adjustment", ("handling",), "proposal", "Propose adjustment", "提出调整建议", OFFICER,
               fields=(F("method", "select", "Method", "调整方式", choices=ADJUSTMENT_METHODS), F("reasons", "textarea", "Reasons", "调整理由"))),
    Transition("close_case", ("handling",), "closed", "Close without measures", "不予处理，办结", OFFICER,
               fields=(F("reason", "textarea", "Reason", "理由"),), danger=True),
    Transition("hold_talk", ("proposal",), "decision", "Record the talk and the cadre's statement", "谈话及本人陈述申辩", OFFICER,
               guards=(g_date("talk_on", after_proposal, future=False),),
               fields=(F("talk_on", "date", "Talk date", "谈话日期", default=_today), F("talk_by", "text", "Talk held by", "谈话人", max_length=60),
                       F("statement", "textarea", "The cadre's statement or defence", "本人陈述申辩"))),
    Transition("record_integrity_opinion", ("proposal", "decision"), "=", "Record the integrity opinion",
               "录入纪检监察机关意见", LIAISON,
               guards=(Guard("opinion_not_recorded", g_opinion_not_recorded), g_date("issued_on", after_proposal, future=False)),
               fields=(F("opinion", "textarea", "Opinion of the discipline inspection and supervision organ", "纪检监察机关意见"),
                       F("issued_on", "date", "Issued on", "出具日期", default=_today))),
    Transition("record_decision", ("decision",), "reassignment", "Record collective decision", "记录集体讨论决定", SECRETARY,
               guards=DECISION_GUARDS, fields=DECISION_FIELDS, when=decision.passed),
    Transition("record_decision", ("decision",), "not_adjusted", "Record collective decision", "记录集体讨论决定", SECRETARY,
               guards=DECISION_GUARDS, fields=DECISION_FIELDS, when=lambda ctx: not decision.passed(ctx)),
    Transition("carry_out", ("reassignment",), "follow_up", "Carry out the adjustment", "调整到位", OFFICER,
               guards=(Guard("new_rank", g_new_rank, True), Guard("new_position", g_new_position, True),
                       g_date("effective_on", after_decision)),
               fields=(F("new_position", "position", "New position (none for removal)", "新任职务（免职可不填）", required=False,
                         options=lambda ctx: positions_in_scope(ctx)),
                       F("new_rank", "select", "Rank after adjustment", "调整后职级", choices=RANKS, default=lambda ctx: ctx.cadre.rank),
                       F("effective_on", "date", "Effective date", "生效日期", default=_today),
                       F("document_no", "text", "Document number", "文号", max_length=60)),
               effects=(e_carry_out,)),
    Transition("file_appeal", ("reassignment", "follow_up"), "=", "Record an appeal", "登记申诉", OFFICER,
               guards=(Guard("no_open_appeal", g_no_open_appeal), Guard("appeal_window", g_appeal_window, True)),
               fields=(F("filed_on", "date", "Filed on", "申诉日期", default=_today), F("grounds", "textarea", "Grounds", "申诉理由"))),
    Transition("decide_appeal", ("reassignment", "follow_up"), "=", "Record the appeal decision", "记录申诉决定", SECRETARY,
               guards=(Guard("appeal_open", g_appeal_open), Guard("not_proposer", decision.g_not_proposer), g_date("decided_on", after_appeal_filed, future=False, backdating=False)),
               fields=(F("decided_on", "date", "Decided on", "决定日期", default=_today),
                       F("outcome", "select", "Outcome", "决定结果", choices=APPEAL_OUTCOMES), F("reasoning", "textarea", "Reasoning", "理由"))),
    Transition("name_helper", ("follow_up",), "follow_up", "Name the helper", "明确帮带责任人", OFFICER,
               guards=(g_date("named_on", after_carry_out, future=False),),
               fields=(F("helper", "text", "Helper", "帮带责任人", max_length=60), F("named_on", "date", "Named on", "明确日期", default=_today))),
    Transition("record_return_visit", ("follow_up",), "follow_up", "Record a return visit", "录入跟踪回访", OFFICER,
               guards=(Guard("helper_named", g_helper_named), Guard("visitors", g_visitors, True), Guard("per_year", g_visits_per_year, True),
                       g_date("visit_on", after_carry_out, future=False)),
               fields=(F("visit_on", "date", "Visit date", "回访日期", default=_today),
                       F("visitors", "lines", "Visitors (one per line)", "回访人员（每行一人）"),
                       F("rating", "select", "Rating", "回访评价", choices=VISIT_RATINGS), F("notes", "textarea", "Notes", "回访情况"))),
    Transition("expiry_evaluation", ("follow_up",), "reusable", "Expiry evaluation", "影响期满评估", OFFICER,
               guards=(Guard("influence_over", g_influence_over),), fields=EVALUATION_FIELDS,
               when=lambda ctx: ctx.data["result"] == "reusable"),
    Transition("expiry_evaluation", ("follow_up",), "closed", "Expiry evaluation", "影响期满评估", OFFICER,
               guards=(Guard("influence_over", g_influence_over),), fields=EVALUATION_FIELDS,
               when=lambda ctx: ctx.data["result"] != "reusable"),
)

OPEN_FIELDS = (
    F("trigger_source", "select", "Source", "线索来源", choices=TRIGGER_SOURCES),
    F("category", "select", "Category", "问题类别", choices=CLUE_CATEGORIES, required=False),
    F("content", "textarea", "Content", "反映内容"),
    F("reporter_name", "text", "Reporter (optional; anonymous allowed)", "反映人（可匿名）", required=False, max_length=60),
    F("reporter_contact", "text", "Reporter's contact (optional)", "联系方式（可不填）", required=False, max_length=120),
    F("received_on", "date", "Received on", "收到日期", default=_today),
)

WORKFLOW = Workflow(track="adjustment", states=STATES, initial="intake", transitions=TRANSITIONS)

