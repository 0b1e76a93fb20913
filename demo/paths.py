"""Scripted steps that take a promotion case to any state through the one door.

Used by the demo loader and by the tests: nothing here writes a state itself.
"""
from collections.abc import Callable
from dataclasses import dataclass

MEMBERS = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰"]


def votes(agree, disagree=0, absent=0, recused=0):
    kinds = ["agree"] * agree + ["disagree"] * disagree + ["absent"] * absent + ["recused"] * recused
    kinds += ["defer"] * (len(MEMBERS) - len(kinds))
    return [{"name": name, "vote": vote} for name, vote in zip(MEMBERS, kinds, strict=True)]


@dataclass(frozen=True)
class Step:
    trigger: str
    role: str
    data: Callable  # (today) -> dict
    wait_days: int = 1  # days after the previous step


def _d(today):
    return today.isoformat()


SELECT = Step("select_for_inspection", "case_officer",
              lambda t: {"team": ["李建国", "赵敏"], "notice_on": _d(t), "plan": "按干部任用条例开展考察。"}, 3)
CHECKS = [
    Step("record_check", "inspector", lambda t: {"check": "personnel_file", "outcome": "档案“三龄两历”审核无误。"}, 4),
    Step("record_check", "inspector", lambda t: {"check": "personal_matters", "outcome": "个人有关事项报告核查一致。"}, 2),
    Step("record_check", "inspector", lambda t: {"check": "complaints", "outcome": "无信访举报。"}, 1),
    Step("record_check", "discipline_liaison", lambda t: {"check": "integrity_opinion", "outcome": "未发现违纪违法问题。"}, 2),
]
CONCLUDE = Step("conclude_inspection", "inspector", lambda t: {
    "interviews": 28, "rating_excellent": 21, "rating_competent": 6, "rating_basic": 1, "rating_incompetent": 0,
    "findings": "政治素质好，工作实绩突出，群众公认度高。", "integrity_conclusion": "廉洁自律，未发现问题。"}, 3)
DECIDE_YES = Step("record_decision", "committee_secretary", lambda t: {"meeting_on": _d(t), "votes": votes(7, 1, 1)}, 5)
DECIDE_NO = Step("record_decision", "committee_secretary", lambda t: {"meeting_on": _d(t), "votes": votes(4, 3, 1)}, 5)
PUBLICITY = Step("start_publicity", "case_officer", lambda t: {
    "start_on": _d(t), "channel": "单位公示栏及市委组织部网站", "text": "拟任职务公示，公示期五个工作日。"}, 2)
OBJECTION = Step("record_objection", "case_officer", lambda t: {
    "received_on": _d(t), "channel": "来信", "content": "反映其分管项目验收存在问题。", "substantive": True}, 2)
ANSWER_CLEAR = Step("answer_objection", "discipline_liaison", lambda t: {
    "objection": "LAST", "finding": "经核查，项目验收程序合规。", "answer": "已向反映人反馈核查结果。", "disqualifying": False}, 3)
ANSWER_BAD = Step("answer_objection", "discipline_liaison", lambda t: {
    "objection": "LAST", "finding": "经核查，存在违规插手工程问题。", "answer": "已反馈。", "disqualifying": True}, 3)
RESUME = Step("resume_publicity", "case_officer", lambda t: {"resumed_on": _d(t), "note": "反映不实，恢复公示。"}, 1)
CANCEL = Step("cancel", "case_officer", lambda t: {"reason": "查实存在影响任用的问题，取消任用。"}, 1)
APPOINT = Step("appoint", "case_officer", lambda t: {
    "document_no": f"市委任〔{t.year}〕{t.timetuple().tm_yday}号", "effective_on": _d(t), "talk_by": "王晓梅",
    "talk_on": _d(t), "note": ""}, 20)
CONFIRM = Step("confirm_probation", "case_officer", lambda t: {"assessed_on": _d(t), "assessment": "试用期考核合格。"}, 370)
FAIL = Step("fail_probation", "case_officer", lambda t: {"assessed_on": _d(t), "assessment": "试用期考核不合格。"}, 370)
WITHDRAW = Step("withdraw", "case_officer", lambda t: {"reason": "岗位调整，撤回动议。"}, 4)
HOLD = Step("put_on_hold", "discipline_liaison", lambda t: {"reason": "收到问题线索，正在核查。", "clue_ref": "XS-2026-017"}, 2)
RELEASE = Step("release_hold", "discipline_liaison", lambda t: {"clarification": "经核查反映不实，予以澄清。"}, 6)

TO_DECISION = [SELECT, *CHECKS, CONCLUDE]
TO_PUBLICITY = [*TO_DECISION, DECIDE_YES, PUBLICITY]
PATHS = {
    "nomination": [],
    "inspection": [SELECT],
    "decision": TO_DECISION,
    "approved": [*TO_DECISION, DECIDE_YES],
    "rejected": [*TO_DECISION, DECIDE_NO],
    "publicity": TO_PUBLICITY,
    "publicity_suspended": [*TO_PUBLICITY, OBJECTION],
    "cancelled": [*TO_PUBLICITY, OBJECTION, ANSWER_BAD, CANCEL],
    "appointed": [*TO_PUBLICITY, OBJECTION, ANSWER_CLEAR, RESUME, APPOINT],
    "probation": [*TO_PUBLICITY, APPOINT],
    "confirmed": [*TO_PUBLICITY, APPOINT, CONFIRM],
    "removed": [*TO_PUBLICITY, APPOINT, FAIL],
    "withdrawn": [SELECT, WITHDRAW],
    "on_hold": [SELECT, HOLD],
}


def days_needed(path):
    return sum(step.wait_days for step in path)


def resolve(data, case):
    """Fill placeholders that depend on the case (the latest objection)."""
    if data.get("objection") == "LAST":
        data = {**data, "objection": case.objections[-1].id}
    return data


# --- adjustment track -------------------------------------------------------------------------

A_VERIFY = Step("start_verification", "discipline_liaison", lambda t: {"verifiers": ["陈纪明", "李建国"], "plan": "调阅考勤记录，走访服务对象。"}, 2)
A_FOUNDED = Step("record_verification", "discipline_liaison", lambda t: {
    "findings": "经核查，该同志长期推诿扯皮、工作不在状态。", "evidence": ["考勤记录", "服务对象走访记录"], "conclusion": "founded"}, 10)
A_UNFOUNDED = Step("record_verification", "discipline_liaison", lambda t: {
    "findings": "经核查，反映问题不属实。", "evidence": ["工作台账"], "conclusion": "unfounded"}, 10)
A_CLARIFY = Step("clarify", "discipline_liaison", lambda t: {
    "method": "letter", "consent": True, "text": "经核查反映不实，予以澄清正名。", "malicious": False}, 3)
A_CLAIM = Step("claim_fault_tolerance", "case_officer", lambda t: {"claim": "改革试点中先行先试，申请容错。"}, 2)
A_TOLERATE = Step("determine_fault_tolerance", "discipline_liaison", lambda t: {
    "reform_trial": True, "determination": "tolerated", "reasoning": "符合“三个区分开来”，予以容错。"}, 5)
A_WARN = Step("issue_warning", "case_officer", lambda t: {"measure": "reminder_talk", "measure_on": _d(t), "record": "进行提醒谈话。"}, 3)
A_ADMONISH = Step("issue_warning", "case_officer", lambda t: {"measure": "admonishment", "measure_on": _d(t), "record": "诫勉谈话。"}, 3)
A_PROPOSE = Step("propose_adjustment", "case_officer", lambda t: {"method": "transfer_from_post", "reasons": "不适宜担任现职。"}, 3)
A_TALK = Step("hold_talk", "case_officer", lambda t: {"talk_on": _d(t), "talk_by": "王晓梅", "statement": "本人表示接受组织安排。"}, 3)
# The discipline liaison's integrity opinion, the same day as the talk (no decision without it).
A_OPINION = Step("record_integrity_opinion", "discipline_liaison", lambda t: {
    "opinion": "经查，未发现该同志有其他违纪违法问题，对调整意见无异议。", "issued_on": _d(t)}, 0)
A_DECIDE_YES = Step("record_decision", "committee_secretary", lambda t: {"meeting_on": _d(t), "votes": votes(7, 1, 1)}, 5)
A_DECIDE_NO = Step("record_decision", "committee_secretary", lambda t: {"meeting_on": _d(t), "votes": votes(3, 4, 1)}, 5)
A_CARRY_OUT = Step("carry_out", "case_officer", lambda t: {
    "new_position": "OTHER_POST", "new_rank": "SAME", "effective_on": _d(t), "document_no": f"市委干〔{t.year}〕{t.timetuple().tm_yday}号"}, 10)
A_HELPER = Step("name_helper", "case_officer", lambda t: {"helper": "李建国", "named_on": _d(t)}, 10)
A_VISIT = Step("record_return_visit", "case_officer", lambda t: {
    "visit_on": _d(t), "visitors": ["李建国", "陈纪明"], "rating": "good", "notes": "工作状态明显好转。"}, 120)
A_EVALUATE = Step("expiry_evaluation", "case_officer", lambda t: {"result": "reusable", "evaluation": "影响期内表现良好，可以使用。"}, 260)

A_TO_HANDLING = [A_VERIFY, A_FOUNDED]
A_TO_DECISION = [*A_TO_HANDLING, A_PROPOSE, A_TALK, A_OPINION]
A_TO_FOLLOW_UP = [*A_TO_DECISION, A_DECIDE_YES, A_CARRY_OUT]
ADJUSTMENT_PATHS = {
    "intake": [],
    "verification": [A_VERIFY],
    "clarification": [A_VERIFY, A_UNFOUNDED],
    "cleared": [A_VERIFY, A_UNFOUNDED, A_CLARIFY],
    "handling": A_TO_HANDLING,
    "fault_tolerance": [*A_TO_HANDLING, A_CLAIM],
    "tolerated": [*A_TO_HANDLING, A_CLAIM, A_TOLERATE],
    "warned": [*A_TO_HANDLING, A_WARN],
    "admonishment_tracking": [*A_TO_HANDLING, A_ADMONISH],
    "proposal": [*A_TO_HANDLING, A_PROPOSE],
    "decision": A_TO_DECISION,
    "not_adjusted": [*A_TO_DECISION, A_DECIDE_NO],
    "reassignment": [*A_TO_DECISION, A_DECIDE_YES],
    "follow_up": [*A_TO_FOLLOW_UP, A_HELPER, A_VISIT],
    "reusable": [*A_TO_FOLLOW_UP, A_HELPER, A_VISIT, A_EVALUATE],
    "closed": [A_VERIFY, A_UNFOUNDED, Step("close_without_clarification", "discipline_liaison",
                                           lambda t: {"reason": "本人不要求澄清。"}, 2)],
}


def resolve_for(data, case):
    """Placeholders that depend on the case or cadre (the latest objection, the current rank)."""
    data = resolve(data, case)
    if data.get("new_rank") == "SAME":
        data = {**data, "new_rank": case.cadre.rank}
    if data.get("new_position") == "OTHER_POST":
        from sqlalchemy import select

        from models import Position, db

        posts = db.session.scalars(select(Position).where(Position.unit_id == case.cadre.unit_id,
                                                          Position.id != case.cadre.position_id).order_by(Position.id)).all()
        from workflow.terms import RANK_ORDER

        fitting = [p for p in posts if RANK_ORDER.index(p.rank) <= RANK_ORDER.index(case.cadre.rank)]
        fitting.sort(key=lambda p: -RANK_ORDER.index(p.rank))
        data = {**data, "new_position": (fitting or posts)[0].id}
    return data
