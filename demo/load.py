"""Load the demo organization: units, posts, ~50 cadres with histories, a user per role, and
promotion cases standing in every state, each driven there through the door with a travelling clock."""
import random
from datetime import date, timedelta

from sqlalchemy import select

from models import AnnualAssessment, Cadre, Case, DemocraticRating, Position, Sanction, Unit, User
from workflow import accounts, clock, door
from workflow.clock import FixedClock, add_months, local_noon
from workflow.rules import ensure_rule_set

from .paths import ADJUSTMENT_PATHS, PATHS, days_needed, resolve, resolve_for

PASSWORD = "demo-pass-2026"
USERS = [  # username, name, role, unit codes
    ("officer", "王晓梅", "case_officer", ["QS"]),
    ("supervisor", "赵处长", "case_officer", ["QS"]),
    ("officer_dc", "孙立", "case_officer", ["QS-DC"]),
    ("inspector", "李建国", "inspector", ["QS"]),
    ("liaison", "陈纪明", "discipline_liaison", ["QS"]),
    ("secretary", "刘书文", "committee_secretary", ["QS"]),
    ("auditor", "周审", "auditor", ["QS"]),
    ("admin", "系统管理员", "administrator", ["QS"]),
]
UNITS = [  # code, name, parent
    ("QS", "青山市", None),
    ("QS-EDU", "青山市教育局", "QS"),
    ("QS-FIN", "青山市财政局", "QS"),
    ("QS-DC", "青山市东城区", "QS"),
    ("QS-XC", "青山市西城区", "QS"),
    ("QS-DC-HK", "东城区河口镇", "QS-DC"),
    ("QS-DC-LL", "东城区柳林镇", "QS-DC"),
    ("QS-XC-SQ", "西城区石桥镇", "QS-XC"),
]
POSTS = {  # unit kind -> (title, rank, probation applies)
    "bureau": [("局长", "division_chief", False), ("副局长", "division_deputy", True), ("办公室主任", "section_chief", False),
               ("办公室副主任", "section_deputy", True)],
    "district": [("区长", "division_chief", False), ("副区长", "division_deputy", True), ("区委办主任", "section_chief", False)],
    "town": [("镇长", "section_chief", False), ("副镇长", "section_deputy", True), ("党政办主任", "staff", False)],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["建华", "晓东", "丽娟", "志强", "海燕", "国庆", "文博", "雪梅", "春生", "静怡", "永康", "玉兰", "明辉", "秀英",
         "立新", "红梅", "子涵", "宏伟", "思远", "佳琪", "振宇", "慧敏", "德胜", "亚楠", "俊杰"]


def already_loaded(session) -> bool:
    return session.scalars(select(Unit).where(Unit.code == "QS")).first() is not None


def load(session, today: date | None = None, seed: int = 2026):
    """Build everything as of ``today`` (default: the real local date)."""
    today = today or clock.today_local()
    rng = random.Random(seed)
    start = today - timedelta(days=900)
    previous = clock.use_clock(FixedClock(local_noon(start)))
    try:
        ensure_rule_set(session, note="Defaults of domain.md (demo)")
        units = _units(session)
        users = _users(session, units)
        units["QS"].supervisor_id = users["supervisor"].id  # overdue items escalate to the section head
        positions = _positions(session, units)
        cadres = _cadres(session, rng, units, positions, today)
        session.commit()
        _cases(session, rng, users, cadres, positions, today)
        _adjustment_cases(session, rng, users, cadres, today)
        _submissions(session, units, cadres, today)
    finally:
        clock.use_clock(previous)
    return users


def _units(session):
    by_code = {}
    for code, name, parent in UNITS:
        unit = Unit(code=code, name=name, parent=by_code.get(parent), depth=0 if parent is None else by_code[parent].depth + 1)
        session.add(unit)
        by_code[code] = unit
    session.flush()
    return by_code


def _users(session, units):
    out = {}
    for username, name, role, codes in USERS:
        out[username] = accounts.create_user(session, username, PASSWORD, role, codes, display_name=name,
                                             email=f"{username}@example.invalid")
    return out


def _kind(code):
    return "town" if code.count("-") == 2 else ("district" if code in ("QS-DC", "QS-XC") else "bureau")


def _positions(session, units):
    out = []
    for code, unit in units.items():
        if code == "QS":
            continue
        for title, rank, probation in POSTS[_kind(code)]:
            out.append(Position(unit=unit, title=title, rank=rank, probation_applies=probation))
    session.add_all(out)
    session.flush()
    return out


def _name(rng, used):
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            return name


def _cadres(session, rng, units, positions, today):
    """~50 cadres: most with clean histories one rank below an open post, some with problems."""
    used, cadres = set(), []
    lower = {"division_chief": "division_deputy", "division_deputy": "section_chief", "section_chief": "section_deputy",
             "section_deputy": "staff", "staff": "staff"}
    for i in range(52):
        post = positions[i % len(positions)]
        rank = lower[post.rank]
        years_in_rank = rng.randint(5, 9)  # enough for any rule, even at the start of the oldest demo case
        cadre = Cadre(
            name=_name(rng, used), gender=rng.choice(["male", "female"]),
            birth_date=date(today.year - rng.randint(30, 52), rng.randint(1, 12), rng.randint(1, 28)),
            education=rng.choice(["bachelor", "bachelor", "master", "college"]), unit=post.unit,
            rank=rank, rank_since=date(today.year - years_in_rank, rng.randint(1, 12), 1),
            work_start=date(today.year - years_in_rank - rng.randint(6, 15), 7, 1),
            grassroots_years=rng.randint(2, 8), notes="",
        )
        cadre.post_since = cadre.rank_since
        cadre.position = next((p for p in positions if p.unit_id == post.unit_id and p.rank == rank and p is not post), None)
        cadre.last_promotion_on = cadre.rank_since
        session.add(cadre)
        results = ["excellent", "competent", "competent", "excellent"]
        for back in (1, 2, 3):
            session.add(AnnualAssessment(cadre=cadre, year=today.year - back, result=rng.choice(results)))
        cadre.ratings.append(DemocraticRating(year=today.year - 1, approval_percent=rng.randint(72, 98)))
        cadres.append((cadre, post))
    session.flush()
    _problem_histories(session, [c for c, _p in cadres[-8:]], today)
    return cadres


def _problem_histories(session, cadres, today):
    """A few cadres whom the exclusions stop, so the refusals can be seen in the demo."""
    basic, sanctioned, canvass, admonished, incompetent, *rest = cadres
    basic.assessments[0].result = "basically_competent"
    session.add(Sanction(cadre_id=sanctioned.id, measure="gov_demerit", decided_on=today - timedelta(days=120),
                         influence_ends_on=add_months(today - timedelta(days=120), 12), note="违反工作纪律"))
    canvass.canvassing_found = True
    session.add(Sanction(cadre_id=admonished.id, measure="admonishment", decided_on=today - timedelta(days=60),
                         influence_ends_on=add_months(today - timedelta(days=60), 6), note="诫勉谈话"))
    incompetent.assessments[0].result = "incompetent"


def _cases(session, rng, users, cadres, positions, today):
    """One case per state (two for the common ones), driven through the door in time order."""
    plan = ["nomination", "nomination", "inspection", "inspection", "decision", "approved", "publicity", "publicity",
            "publicity_suspended", "probation", "probation", "on_hold", "appointed", "confirmed", "removed", "withdrawn",
            "rejected", "cancelled", "decision", "inspection"]
    eligible = [(c, p) for c, p in cadres[:-8] if p.rank != "staff" and c.rank != p.rank]
    needs_probation = {"probation": True, "confirmed": True, "removed": True, "appointed": False}
    timeline = []
    for index, target in enumerate(plan):
        wanted = needs_probation.get(target)
        cadre, post = next((c, p) for c, p in eligible if wanted is None or p.probation_applies == wanted)
        eligible.remove((cadre, post))
        path = PATHS[target]
        begin = today - timedelta(days=days_needed(path) + rng.randint(3, 40))
        timeline.append((begin, index, "open", (cadre, post, rng.choice(["organization", "democratic", "self"]))))
        moment = begin
        for step_no, step in enumerate(path):
            moment += timedelta(days=step.wait_days)
            timeline.append((moment, index, step_no, step))
    session.commit()
    case_ids = {}
    for moment, index, step_no, payload in sorted(timeline, key=lambda item: (item[0], item[1], str(item[2]))):
        clock.use_clock(FixedClock(local_noon(moment)))
        if step_no == "open":
            cadre, post, source = payload
            data = {"source": source, "work_plan": f"拟提任{post.unit.name}{post.title}。",
                    "evidence": "近三年年度考核优秀，牵头完成重点项目。" if source == "self" else ""}
            outcome = door.open_case("promotion", users["officer"], cadre.id, data, target_position_id=post.id, session=session)
            case_ids[index] = outcome.case.id
            if source == "democratic":
                door.advance(outcome.case.id, "record_recommendation", users["officer"], {
                    "method": "meeting", "posts": 1, "participants": 45,
                    "tallies": [f"{cadre.name} 38", "其他人选 7"], "shortlist": [cadre.name]}, session=session)
            continue
        case = session.get(Case, case_ids[index])
        actor = _actor(users, payload.role)
        door.advance(case.id, payload.trigger, actor, resolve(payload.data(moment), case), session=session)


def _actor(users, role):
    return next(u for u in users.values() if u.role == role and u.username not in ("officer_dc", "supervisor"))


def logins():
    return [(username, PASSWORD, role, name) for username, name, role, _codes in USERS]


def user_by_name(session, username):
    return session.scalars(select(User).where(User.username == username)).one()


def _adjustment_cases(session, rng, users, cadres, today):
    """One adjustment case per state, for cadres not used by the promotion cases, in time order."""
    used = set(session.scalars(select(Case.cadre_id)).all())
    free = [c for c, _p in cadres if c.id not in used and c.rank != "staff"]
    sources = ["public_clue", "assessment", "petition", "inspection_tour", "accountability"]
    timeline, case_ids = [], {}
    for index, path in enumerate(ADJUSTMENT_PATHS.values()):
        cadre = free[index]
        begin = today - timedelta(days=days_needed(path) + rng.randint(3, 30))
        timeline.append((begin, index, "open", (cadre, sources[index % len(sources)])))
        moment = begin
        for step_no, step in enumerate(path):
            moment += timedelta(days=step.wait_days)
            timeline.append((moment, index, step_no, step))
    for moment, index, step_no, payload in sorted(timeline, key=lambda item: (item[0], item[1], str(item[2]))):
        clock.use_clock(FixedClock(local_noon(moment)))
        if step_no == "open":
            cadre, source = payload
            outcome = door.open_case("adjustment", users["officer"], cadre.id, {
                "trigger_source": source, "category": "passing_the_buck" if source == "public_clue" else None,
                "content": "群众反映该同志对群众诉求推诿扯皮、长期不在状态。" if source == "public_clue" else "线索材料见附件。",
                "received_on": moment}, session=session)
            case_ids[index] = outcome.case.id
            continue
        case = session.get(Case, case_ids[index])
        door.advance(case.id, payload.trigger, _actor(users, payload.role), resolve_for(payload.data(moment), case), session=session)


def _submissions(session, units, cadres, today):
    """A few public clues and a self-recommendation waiting in the intake inbox."""
    from workflow import intake

    clock.use_clock(FixedClock(local_noon(today)))
    town = units["QS-DC-HK"]
    named = next(c for c, _p in cadres if c.unit_id == town.id)
    intake.receive(session, "clue", town.id, named.name, "多次到镇政府办事，该同志不在岗，电话也联系不上。",
                   category="unreachable", address="demo-1", secret="demo")
    intake.receive(session, "clue", town.id, named.name, "对群众反映的问题一拖再拖。", category="doing_nothing",
                   reporter_name="张先生", reporter_contact="139-0000-0000", address="demo-2", secret="demo")
    applicant = next(c for c, _p in cadres if c.rank == "section_chief")
    intake.receive(session, "self_recommendation", applicant.unit_id, applicant.name,
                   "近三年年度考核两次优秀，牵头完成产业园区建设，申请竞争副处级岗位。", reporter_contact="applicant@example.invalid",
                   address="demo-3", secret="demo")
