"""A small organization for tests, built with the same domain functions the app uses."""
from dataclasses import dataclass, field
from datetime import date

from demo.paths import ADJUSTMENT_PATHS, PATHS, resolve_for
from models import AnnualAssessment, Cadre, DemocraticRating, Position, Unit
from workflow import accounts, door
from workflow.rules import ensure_rule_set

PASSWORD = "test-pass-123"
ROLES = ["case_officer", "inspector", "discipline_liaison", "committee_secretary", "auditor", "administrator"]


@dataclass
class Org:
    session: object
    travel: object
    root: Unit = None
    unit_a: Unit = None
    unit_b: Unit = None
    users: dict = field(default_factory=dict)  # role -> user in root (sees everything)
    officer_b: object = None  # a case officer of unit B only
    post_a: Position = None  # division_deputy post in A, with probation
    post_a_plain: Position = None  # division_deputy post in A, no probation
    post_b: Position = None
    post_a_section: Position = None  # section_chief post in A: where an adjusted section chief can go

    @classmethod
    def build(cls, session, travel):
        org = cls(session, travel)
        org.root = Unit(code="R", name="Root City 根市", depth=0)
        org.unit_a = Unit(code="A", name="Bureau A 甲局", parent=org.root, depth=1)
        org.unit_b = Unit(code="B", name="Bureau B 乙局", parent=org.root, depth=1)
        session.add_all([org.root, org.unit_a, org.unit_b])
        org.post_a = Position(unit=org.unit_a, title="Deputy director 副局长", rank="division_deputy", probation_applies=True)
        org.post_a_plain = Position(unit=org.unit_a, title="Deputy head 副主任", rank="division_deputy", probation_applies=False)
        org.post_b = Position(unit=org.unit_b, title="Deputy director 副局长", rank="division_deputy", probation_applies=True)
        org.post_a_section = Position(unit=org.unit_a, title="Section chief 科长", rank="section_chief", probation_applies=False)
        session.add_all([org.post_a, org.post_a_plain, org.post_b, org.post_a_section])
        session.flush()
        ensure_rule_set(session)
        for role in ROLES:
            org.users[role] = accounts.create_user(session, role, PASSWORD, role, ["R"], display_name=role.replace("_", " "))
        org.officer_b = accounts.create_user(session, "officer_b", PASSWORD, "case_officer", ["B"], display_name="officer b")
        org.users["officer_b"] = org.officer_b
        session.commit()
        return org

    def cadre(self, unit=None, rank="section_chief", rank_since=date(2019, 1, 1), **overrides):
        """An eligible section chief (3+ years in rank, competent, good rating) unless overridden."""
        today = self.travel.today
        values = dict(name="张三", education="bachelor", unit=unit or self.unit_a, rank=rank, rank_since=rank_since,
                      work_start=date(2008, 7, 1), grassroots_years=3, notes="")
        values.update(overrides)
        cadre = Cadre(**values)
        self.session.add(cadre)
        self.session.flush()
        for back in (1, 2, 3):
            self.session.add(AnnualAssessment(cadre_id=cadre.id, year=today.year - back, result="competent"))
        self.session.add(DemocraticRating(cadre_id=cadre.id, year=today.year - 1, approval_percent=90))
        self.session.commit()
        return cadre

    def open_case(self, cadre=None, post=None, source="organization", officer=None):
        cadre = cadre or self.cadre()
        data = {"source": source, "work_plan": "Fill the deputy post. 拟提任。", "evidence": "results" if source == "self" else ""}
        outcome = door.open_case("promotion", officer or self.users["case_officer"], cadre.id, data,
                                 target_position_id=(post or self.post_a).id, session=self.session)
        return outcome.case

    def drive(self, case, target_state):
        """Advance ``case`` along the demo path to ``target_state``, travelling in time as it goes."""
        paths = PATHS if case.track == "promotion" else ADJUSTMENT_PATHS
        for step in paths[target_state]:
            self.travel.days(step.wait_days)
            actor = self.users[step.role]
            door.advance(case.id, step.trigger, actor, resolve_for(step.data(self.travel.today), case), session=self.session)
        return case

    def open_adjustment(self, cadre=None, source="public_clue", officer=None, **data):
        cadre = cadre or self.cadre(name="李四")
        values = {"trigger_source": source, "content": "Passing the buck. 推诿扯皮。", "received_on": self.travel.today, **data}
        return door.open_case("adjustment", officer or self.users["case_officer"], cadre.id, values, session=self.session).case

    def adjustment_in(self, state, **cadre_overrides):
        case = self.open_adjustment(cadre=self.cadre(name="李四", **cadre_overrides))
        return self.drive(case, state)

    def case_in(self, state, post=None, **cadre_overrides):
        case = self.open_case(cadre=self.cadre(**cadre_overrides) if cadre_overrides else None, post=post)
        return self.drive(case, state)
