"""``flask --app wsgi demo scale``: a province-sized database in minutes, on SQLite and PostgreSQL.

What it builds (default ``--scale 1``): 200,000 cadres in a four-level unit tree, 100,000 cases
standing in every state of both tracks (each with the step records, objections, sanctions and
dates its path leaves behind), 2,000,000 audit events with a valid hash chain, and 300,000
scheduled follow-up reviews: influence periods (sanction rows) whose end is an expiry evaluation
or the end of an admonishment's tracking, beside the next return visit / helper date that every
follow-up case carries in ``case.due_on``.

How it stays fast and honest:
- rows are written with the bare driver: ``executemany`` on SQLite, ``COPY ... FROM STDIN``
  (psycopg) on PostgreSQL, in big batches; nothing is updated or deleted in ``audit_event``
  (the append-only triggers stay in place);
- each case's path is taken from ``demo.paths`` (the same scripted steps the demo loader and the
  tests drive through the door), its step data checked with the workflow's own field specs
  (``definition.clean``) and its deadline planned by the door's own ``plan_deadline``;
- the audit chain is computed with ``workflow.audit.event_hash`` (the function ``append`` uses),
  in time order, continuing from the current chain head, which is updated in the same
  transaction as each batch of events, so the database is consistent after every commit.

Run it on a freshly migrated database that holds no units yet (it refuses otherwise).
"""
import json
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import click
from sqlalchemy import func, select

from demo.paths import ADJUSTMENT_PATHS, PATHS
from models import Unit, db, shown_json
from workflow import accounts, audit
from workflow.calendar import WorkingDays
from workflow.clock import LOCAL_TZ, add_months, local_date
from workflow.definition import clean
from workflow.door import plan_deadline
from workflow.influence import own_end
from workflow.registry import open_fields, workflow_for
from workflow.rules import ensure_rule_set, rules_of
from workflow.terms import RANK_ORDER

from .demo import group

PASSWORD = "demo-pass-2026"
FULL = {"cadres": 200_000, "cases": 100_000, "events": 2_000_000, "reviews": 300_000}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["建华", "晓东", "丽娟", "志强", "海燕", "国庆", "文博", "雪梅", "春生", "静怡", "永康", "玉兰", "明辉", "秀英",
         "立新", "红梅", "子涵", "宏伟", "思远", "佳琪", "振宇", "慧敏", "德胜", "亚楠", "俊杰", "卫东", "晓光", "丽华"]
TIMELINE_DAYS = 1000  # the audit trail and the closed cases spread over this many days before today
# Posts per unit depth: (title, rank, probation applies).
POSTS = {
    1: [("局长", "division_chief", False), ("副局长", "division_deputy", True), ("办公室主任", "section_chief", False)],
    2: [("县长", "division_deputy", False), ("副县长", "section_chief", True), ("办公室主任", "section_deputy", False)],
    3: [("镇长", "section_chief", False), ("副镇长", "section_deputy", True), ("党政办主任", "staff", False)],
}
LEVEL_NAMES = {0: "省", 1: "市", 2: "县", 3: "镇"}
ROOT_USERS = [  # username, display name, role (all at the province root)
    ("officer", "王晓梅", "case_officer"), ("supervisor", "赵处长", "case_officer"), ("inspector", "李建国", "inspector"),
    ("liaison", "陈纪明", "discipline_liaison"), ("secretary", "刘书文", "committee_secretary"),
    ("auditor", "周审", "auditor"), ("admin", "系统管理员", "administrator"),
]
# Share of cases per state: open states carry the day-to-day work, closed ones the history.
WEIGHTS = {
    "promotion": {"nomination": 6, "inspection": 6, "decision": 3, "approved": 2, "publicity": 3, "publicity_suspended": 1,
                  "probation": 6, "on_hold": 1, "appointed": 8, "confirmed": 10, "removed": 1, "withdrawn": 3,
                  "rejected": 2, "cancelled": 1},
    "adjustment": {"intake": 3, "verification": 4, "clarification": 1, "handling": 2, "fault_tolerance": 1, "proposal": 1,
                   "decision": 1, "reassignment": 1, "follow_up": 6, "admonishment_tracking": 2, "cleared": 2,
                   "tolerated": 1, "warned": 3, "not_adjusted": 1, "reusable": 2, "closed": 4},
}
STANDALONE_MEASURES = ["party_warning", "party_serious_warning", "party_post_removal", "gov_warning", "gov_demerit",
                       "gov_major_demerit", "gov_downgrade", "admonishment", "admonishment", "gov_warning"]


@dataclass
class Sizes:
    cadres: int
    cases: int
    events: int
    reviews: int

    @classmethod
    def of(cls, scale=1.0, **given):
        values = {k: max(1, int(round(v * scale))) for k, v in FULL.items()}
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)


@group.command("scale")
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="fraction of the province size (0.01 builds 2,000 cadres, 1,000 cases, 20,000 events, 3,000 reviews)")
@click.option("--cadres", type=int, help="override the number of cadres")
@click.option("--cases", type=int, help="override the number of cases")
@click.option("--events", type=int, help="override the number of audit events")
@click.option("--reviews", type=int, help="override the number of scheduled follow-up reviews (influence periods)")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--today", help="build the history as of this local date (YYYY-MM-DD); default: today")
def scale_command(scale, cadres, cases, events, reviews, seed, today):
    """Build a province-sized database (into a migrated database without units)."""
    sizes = Sizes.of(scale, cadres=cadres, cases=cases, events=events, reviews=reviews)
    try:
        counts = generate(db.session, sizes, today=date.fromisoformat(today) if today else None, seed=seed, log=click.echo)
    except RefusedToGenerate as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Built: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    click.echo(f"Sign in as 'officer' (province), 'officer_c01' (a city) or 'auditor'; password {PASSWORD}.")


class RefusedToGenerate(Exception):
    pass


# --- writing rows with the bare driver ---------------------------------------------------------

class Sink:
    """Bulk rows in, by the most direct route of the backend; one transaction until ``commit``."""

    def __init__(self, engine):
        self.dialect = engine.dialect.name
        url = engine.url
        if self.dialect == "sqlite":
            self.conn = sqlite3.connect(url.database, timeout=60, isolation_level=None)
            self.conn.execute("PRAGMA synchronous=OFF")  # a bulk load: durability comes at the final commit
            self.conn.execute("BEGIN IMMEDIATE")
        elif self.dialect == "postgresql":
            import psycopg

            plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn = psycopg.connect(plain)
        else:
            raise RefusedToGenerate(f"no bulk loader for {self.dialect}")

    def write(self, table, columns, rows):
        if not rows:
            return
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [tuple(map(_sqlite, r)) for r in rows])
        else:
            names = ", ".join(f'"{c}"' for c in columns)
            with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(tuple(map(_pg, row)))

    def execute(self, sql, params=()):
        if self.dialect == "sqlite":
            return self.conn.execute(sql.replace("%s", "?"), params).fetchall()
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def commit(self):
        if self.dialect == "sqlite":
            self.conn.execute("COMMIT")
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.commit()

    def close(self):
        if self.dialect == "sqlite":
            self.conn.execute("COMMIT")
            self.conn.execute("PRAGMA synchronous=FULL")
        else:
            self.conn.commit()
        self.conn.close()


def _sqlite(value):
    """Values as SQLAlchemy's SQLite types store them (so the ORM reads them back unchanged)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _pg(value):
    if isinstance(value, datetime) and value.tzinfo:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


# --- the generator -----------------------------------------------------------------------------

class _Record:
    __slots__ = ("trigger", "data", "recorded_at")

    def __init__(self, trigger, data, recorded_at):
        self.trigger, self.data, self.recorded_at = trigger, data, recorded_at


class _Sim:
    """A case while its path is replayed: what the door's deadline planning and guards read."""

    __slots__ = ("id", "track", "state", "state_since", "publicity_start", "publicity_end", "publicity_needs_review",
                 "probation_end", "due_on", "due_kind", "due_needs_review", "records", "version", "objections",
                 "held_from", "closed_at", "updated_at")

    def __init__(self, case_id, track):
        self.id, self.track, self.state = case_id, track, workflow_for(track).initial
        self.publicity_start = self.publicity_end = self.probation_end = self.due_on = None
        self.publicity_needs_review = self.due_needs_review = False
        self.due_kind, self.records, self.version, self.objections = "", [], 1, []
        self.held_from = self.closed_at = self.updated_at = self.state_since = None

    def records_for(self, *triggers):
        return [r for r in self.records if r.trigger in triggers]

    def last_record(self, *triggers):
        found = self.records_for(*triggers)
        return found[-1] if found else None


@dataclass
class _Plan:
    id: int
    track: str
    target: str
    cadre: list  # the cadre row (mutable: an appointment or adjustment changes post and rank)
    unit_id: int
    post: tuple | None  # (id, unit_id, title, rank, probation)
    opener: int
    source: str
    moments: list  # datetime of the opening, then of each step
    steps: list
    objection_ids: list = field(default_factory=list)
    cadre_initial: list = field(default_factory=list)
    work: list = field(default_factory=list)
    reference: str = ""


class Generator:
    def __init__(self, session, sizes: Sizes, today: date, seed: int, log):
        self.session, self.sizes, self.today, self.log = session, sizes, today, log
        self.rng = random.Random(seed)
        from workflow import clock

        self.now_local = clock.now().astimezone(LOCAL_TZ)
        self.rules_set = ensure_rule_set(session, note="Defaults of domain.md (scale)")
        session.commit()
        self.rules = rules_of(self.rules_set)
        self.calendar = WorkingDays.from_db(session)
        session.commit()
        self.sink = Sink(db.engine)
        self.counts = {}
        self.ids = {t: self._max_id(t) for t in ("app_user", "unit", "position", "cadre", "annual_assessment",
                                                   "democratic_rating", "sanction", "case", "step_record", "objection")}

    def _max_id(self, table):
        return self.sink.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')[0][0]

    def next_id(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def run(self):
        started = time.monotonic()
        self.units_and_users()
        self.cadres()
        self.sink.commit()
        self.plan_cases()
        self.write_cases()
        self.reviews()
        self.sink.commit()
        self.log(f"  organization, cadres, cases and reviews written ({time.monotonic() - started:.0f} s)")
        self.events()
        self.finish()
        self.log(f"  done in {time.monotonic() - started:.0f} s")
        return self.counts

    # units, users, posts ----------------------------------------------------------------------

    def units_and_users(self):
        target_units = max(7, self.sizes.cadres // 100)
        branching = 2
        while 1 + branching + branching ** 2 + branching ** 3 < target_units:
            branching += 1
        password_hash = accounts.hash_password(PASSWORD)
        users, user_units = [], []
        now = datetime.now(UTC)
        self.users = {}
        for username, name, role in ROOT_USERS:
            uid = self.next_id("app_user")
            users.append((uid, username, name, password_hash, role, f"{username}@example.invalid", True, True))
            self.users[username] = uid
        units, self.posts, self.units_by_depth = [], [], defaultdict(list)
        root = self.next_id("unit")
        units.append((root, "P", "江南省", None, 0, self.users["supervisor"]))
        self.root = root
        self.units_by_depth[0].append(root)
        self.city_officer = {}
        frontier = [(root, "P", 0)]
        for depth in (1, 2, 3):
            next_frontier = []
            for parent, code, _d in frontier:
                for i in range(1, branching + 1):
                    uid = self.next_id("unit")
                    child_code = f"{code}-{i:02d}"
                    units.append((uid, child_code, f"{LEVEL_NAMES[depth]}{child_code[2:]}", parent, depth, None))
                    self.units_by_depth[depth].append(uid)
                    next_frontier.append((uid, child_code, depth))
                    for title, rank, probation in POSTS[depth]:
                        self.posts.append((self.next_id("position"), uid, title, rank, probation))
                    if depth == 1:
                        officer = self.next_id("app_user")
                        username = f"officer_c{i:02d}"
                        users.append((officer, username, f"市干部科{i:02d}", password_hash, "case_officer",
                                      f"{username}@example.invalid", True, True))
                        user_units.append((officer, uid))
            frontier = next_frontier
        for username in self.users:
            user_units.append((self.users[username], root))
        self.city_of = {}
        parents = {u[0]: u[3] for u in units}
        for uid in parents:
            walk = uid
            while parents.get(walk) not in (None, root):
                walk = parents[walk]
            self.city_of[uid] = walk if walk != root else None
        city_ids = self.units_by_depth[1]
        self.city_officer = {city: officer for officer, city in user_units if city in city_ids}
        self.sink.write("app_user", ("id", "username", "display_name", "password_hash", "role", "email", "active",
                                     "email_reminders"), users)
        self.sink.write("unit", ("id", "code", "name", "parent_id", "depth", "supervisor_id"), units)
        self.sink.write("position", ("id", "unit_id", "title", "rank", "is_leading", "probation_applies", "emigration_exempt"),
                        [(p[0], p[1], p[2], p[3], True, p[4], False) for p in self.posts])
        self.sink.write("user_unit", ("user_id", "unit_id"), user_units)
        self.posts_by_unit = defaultdict(list)
        for post in self.posts:
            self.posts_by_unit[post[1]].append(post)
        self.user_ids = [u[0] for u in users]
        self.usernames = {u[0]: u[1] for u in users}
        self.counts.update(units=len(units), users=len(users), positions=len(self.posts))
        self.created = now

    # cadres -----------------------------------------------------------------------------------

    CADRE_COLUMNS = ("id", "name", "gender", "birth_date", "education", "unit_id", "position_id", "rank", "rank_since",
                     "post_since", "work_start", "grassroots_years", "last_promotion_on", "probation_until",
                     "political_discipline_problem", "canvassing_found", "family_emigrated", "notes", "version")

    def cadres(self):
        rng, today = self.rng, self.today
        leaf_units = [u for d in (1, 2, 3) for u in self.units_by_depth[d]]
        self.cadre_rows = []
        for _ in range(self.sizes.cadres):
            unit = rng.choice(leaf_units)
            post = rng.choice(self.posts_by_unit[unit])
            rank = RANK_ORDER[max(0, RANK_ORDER.index(post[3]) - 1)]
            years = rng.randint(4, 12)
            rank_since = date(today.year - years, rng.randint(1, 12), 1)
            holds = next((p for p in self.posts_by_unit[unit] if p[3] == rank), None) if rng.random() < 0.3 else None
            self.cadre_rows.append([
                self.next_id("cadre"), rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(("male", "female")),
                date(today.year - rng.randint(28, 55), rng.randint(1, 12), rng.randint(1, 28)),
                rng.choice(("bachelor", "bachelor", "master", "college")), unit, holds[0] if holds else None, rank,
                rank_since, rank_since, date(today.year - years - rng.randint(5, 15), 7, 1), rng.randint(0, 10), rank_since,
                None, False, False, False, "", 1,
            ])
        self.counts["cadres"] = len(self.cadre_rows)

    def write_cadres_and_assessments(self):
        rng, year = self.rng, self.today.year
        self.sink.write("cadre", self.CADRE_COLUMNS, self.cadre_rows)
        results = ["excellent", "competent", "competent", "competent", "excellent", "basically_competent"]
        rows = [(self.next_id("annual_assessment"), c[0], year - back, rng.choice(results))
                for c in self.cadre_rows for back in (1, 2)]
        self.sink.write("annual_assessment", ("id", "cadre_id", "year", "result"), rows)
        self.counts["assessments"] = len(rows)

    # cases ------------------------------------------------------------------------------------

    def _states(self):
        """The target state of every case: every state of both tracks at least once, then by weight."""
        wanted = self.sizes.cases
        everything = [(track, state) for track, weights in WEIGHTS.items() for state in weights]
        out = list(everything[:wanted])
        rest = wanted - len(out)
        if rest > 0:
            population = [(t, s) for t, weights in WEIGHTS.items() for s, w in weights.items() for _ in range(w)]
            out += [self.rng.choice(population) for _ in range(rest)]
        self.rng.shuffle(out)
        return out

    def plan_cases(self):
        rng, _today = self.rng, self.today
        pool = list(range(len(self.cadre_rows)))
        rng.shuffle(pool)
        used = {"promotion": iter(pool), "adjustment": iter(reversed(pool))}
        self.plans = []
        self.by_day = defaultdict(list)
        for track, target in self._states():
            cadre = self.cadre_rows[next(used[track])]
            case_id = self.next_id("case")
            steps = list((PATHS if track == "promotion" else ADJUSTMENT_PATHS)[target])
            post = None
            if track == "promotion":
                post = self._target_post(cadre, needs_probation={"probation": True, "confirmed": True, "removed": True,
                                                                  "appointed": False}.get(target))
            end = self._last_day(track, target, steps)
            total = sum(s.wait_days for s in steps)
            day = end - timedelta(days=total)
            moments = [self._moment(day, 0)]
            for index, step in enumerate(steps, 1):
                day += timedelta(days=step.wait_days)
                moments.append(self._moment(day, index))
            city = self.city_of.get(cadre[5])
            opener = self.city_officer.get(city, self.users["officer"])
            source = rng.choice(["organization", "democratic", "self"]) if track == "promotion" else \
                rng.choice(["public_clue", "assessment", "petition", "inspection_tour", "accountability"])
            if source == "democratic":  # a democratic recommendation is recorded before the selection
                steps.insert(0, _RECOMMEND)
                moments.insert(1, moments[0] + timedelta(minutes=30))
            plan = _Plan(case_id, track, target, cadre, post[1] if post else cadre[5], post, opener, source, moments, steps,
                         cadre_initial=list(cadre))
            self.plans.append(plan)
            for index, moment in enumerate(moments):
                self.by_day[local_date(moment)].append((moment, len(self.plans) - 1, index))
        self.counts["cases"] = len(self.plans)

    def _target_post(self, cadre, needs_probation):
        posts = self.posts_by_unit[cadre[5]]
        fitting = [p for p in posts if needs_probation is None or p[4] == needs_probation] or posts
        post = self.rng.choice(fitting)
        cadre[7] = RANK_ORDER[max(0, RANK_ORDER.index(post[3]) - 1)]  # one rank below the post it is proposed for
        return post

    def _last_day(self, track, target, steps):
        """When the case reached its state: open work is recent, closed cases spread over the timeline."""
        rng, today = self.rng, self.today
        state = workflow_for(track).state(target)
        total = sum(s.wait_days for s in steps)
        if state.final:
            latest, earliest = 1, max(total + 1, TIMELINE_DAYS - 5)
            return today - timedelta(days=rng.randint(latest, max(latest, earliest - total)))
        if target == "publicity":
            return today - timedelta(days=rng.randint(0, 8))
        if target == "probation":
            return today - timedelta(days=rng.randint(20, 340))
        if target == "follow_up":
            return today - timedelta(days=rng.randint(0, 380))
        if target == "admonishment_tracking":
            return today - timedelta(days=rng.randint(0, 200))
        expected = self.rules.expected_days(target) or 30
        # Most open steps are within their time limit; about one in twenty has gone stale.
        return today - timedelta(days=rng.randint(0, expected * 2) if rng.random() < 0.05 else rng.randint(0, max(0, expected - 1)))

    def _moment(self, day, index):
        minutes = 9 * 60 + min(index, 40) * 7 + self.rng.randint(0, 6)
        if day >= self.now_local.date():  # today's work happened before now, not later today
            minutes = min(minutes, max(0, self.now_local.hour * 60 + self.now_local.minute - 1))
            seconds = self.rng.randint(0, 59) if minutes < self.now_local.hour * 60 + self.now_local.minute - 1 else 0
            return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, seconds, tzinfo=LOCAL_TZ).astimezone(UTC)
        return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, self.rng.randint(0, 59),
                        tzinfo=LOCAL_TZ).astimezone(UTC)

    def replay(self, plan, emit=None, first=False):
        """Take the plan's case through its path as the door would; ``emit`` receives each step.

        Repeatable: the first replay fixes the objection numbers, the measures and the cadre's final
        post; a later one (to emit the records and events in time order) gives the same steps."""
        sim = _Sim(plan.id, plan.track)
        self._first, self._objection_ids = first, iter(plan.objection_ids)
        plan.work = list(plan.cadre_initial)
        workflow = workflow_for(plan.track)
        opened = plan.moments[0]
        sim.state_since = sim.updated_at = opened
        plan_deadline(sim, workflow, self.rules, local_date(opened))
        sim.version = 2  # inserted, then its reference written
        data = self._open_data(plan)
        sim.records.append(_Record("open", data, opened))
        if emit:
            emit("open", "case_officer", None, data, opened, _snapshot(sim))
        for step, moment in zip(plan.steps, plan.moments[1:], strict=True):
            today = local_date(moment)
            branches = workflow.candidates(sim.state, step.trigger)
            raw = self._resolve(plan, sim, step.data(today))
            cleaned = clean(branches[0].fields, raw)
            dest, facts = self._effects(plan, sim, step.trigger, cleaned, branches, today)
            before_state, version_before = sim.state, sim.version
            sim.state = dest
            if dest != before_state:
                sim.state_since = moment
            sim.updated_at = moment
            if workflow.state(dest).final:
                sim.closed_at = moment
            data = audit.jsonable({**cleaned, **facts})
            sim.records.append(_Record(step.trigger, data, moment))
            plan_deadline(sim, workflow, self.rules, today)
            sim.version += 1
            if emit:
                emit(step.trigger, step.role, (before_state, version_before), data, moment, _snapshot(sim))
        assert sim.state == plan.target, (plan.track, plan.target, sim.state)
        if first:
            plan.cadre[:] = plan.work  # the cadre as the case left it (appointed, adjusted)
        return sim

    def _open_data(self, plan):
        if plan.track == "promotion":
            raw = {"source": plan.source, "work_plan": f"拟提任{plan.post[2]}。",
                   "evidence": "近三年年度考核优秀，牵头完成重点项目。" if plan.source == "self" else ""}
        else:
            raw = {"trigger_source": plan.source, "category": "passing_the_buck" if plan.source == "public_clue" else None,
                   "content": "群众反映该同志推诿扯皮、长期不在状态。" if plan.source == "public_clue" else "线索材料见附件。",
                   "received_on": local_date(plan.moments[0])}
        return audit.jsonable(clean(open_fields(plan.track), raw))

    def _resolve(self, plan, sim, data):
        if data.get("objection") == "LAST":
            data = {**data, "objection": sim.objections[-1]["id"]}
        if data.get("new_rank") == "SAME":
            data = {**data, "new_rank": plan.work[7]}
        if data.get("new_position") == "OTHER_POST":
            posts = [p for p in self.posts_by_unit[plan.work[5]] if p[0] != plan.work[6]]
            fitting = sorted((p for p in posts if RANK_ORDER.index(p[3]) <= RANK_ORDER.index(plan.work[7])),
                             key=lambda p: -RANK_ORDER.index(p[3]))
            data = {**data, "new_position": (fitting or posts)[0][0]}
        if "shortlist" in data:
            data = {**data, "shortlist": [plan.cadre[1]], "tallies": [f"{plan.cadre[1]} 38", "其他人选 7"]}
        return data

    def _effects(self, plan, sim, trigger, data, branches, today):
        """The destination and the facts the door's effects would record (see promotion/adjustment)."""
        facts = {}
        dest = branches[0].dest
        if len(branches) > 1:
            dest = next(b.dest for b in branches if self._branch_holds(plan, sim, b, data))
        if trigger == "start_publicity":
            end = self.calendar.add(data["start_on"], self.rules["publicity_min_working_days"], self.rules["publicity_counts_start_day"])
            sim.publicity_start, sim.publicity_end, sim.publicity_needs_review = data["start_on"], end.day, end.needs_review
            facts.update(publicity_end=end.day.isoformat(), needs_review=end.needs_review)
        elif trigger == "record_objection":
            if self._first:
                number = self.next_id("objection")
                plan.objection_ids.append(number)
            else:
                number = next(self._objection_ids)
            sim.objections.append({"id": number, "received_on": data["received_on"], "channel": data["channel"],
                                   "content": data["content"], "substantive": data["substantive"], "answered": False,
                                   "finding": "", "answer": "", "disqualifying": False, "answered_on": None})
            facts["objection_id"] = number
            if data["substantive"]:
                facts["suspended_on"] = today.isoformat()
        elif trigger == "answer_objection":
            objection = next(o for o in sim.objections if o["id"] == data["objection"])
            objection.update(answered=True, answered_on=today, finding=data["finding"], answer=data["answer"],
                             disqualifying=data["disqualifying"])
        elif trigger == "resume_publicity":
            remaining = self.calendar.between(today, sim.publicity_end) if sim.publicity_end else 0
            if remaining > 0:
                end = self.calendar.add(data["resumed_on"], remaining, True)
                sim.publicity_end = max(end.day, sim.publicity_end)
                facts.update(publicity_end=sim.publicity_end.isoformat(), needs_review=sim.publicity_needs_review)
        elif trigger == "appoint":
            cadre, post = plan.work, plan.post
            facts["previous"] = {"position_id": cadre[6], "unit_id": cadre[5], "rank": cadre[7],
                                 "rank_since": cadre[8].isoformat(), "post_since": cadre[9].isoformat() if cadre[9] else None,
                                 "last_promotion_on": cadre[12].isoformat() if cadre[12] else None}
            effective = data["effective_on"]
            cadre[6], cadre[5], cadre[7], cadre[8], cadre[9], cadre[12] = post[0], post[1], post[3], effective, effective, effective
            if post[4]:
                meeting = sim.last_record("record_decision").data["meeting_on"]
                sim.probation_end = add_months(date.fromisoformat(meeting), self.rules["probation_months"])
                cadre[13] = sim.probation_end
                facts["probation_end"] = sim.probation_end.isoformat()
        elif trigger in ("confirm_probation", "fail_probation"):
            plan.work[13] = None
        elif trigger == "put_on_hold":
            sim.held_from = sim.state
        elif trigger == "issue_warning" and data["measure"] == "admonishment" and self._first:
            self.case_sanctions.append((plan.cadre[0], "admonishment", data["measure_on"],
                                        own_end("admonishment", data["measure_on"], self.rules), data["record"], plan.id))
        elif trigger == "carry_out":
            cadre = plan.work
            facts["previous"] = {"position_id": cadre[6], "unit_id": cadre[5], "rank": cadre[7], "rank_since": cadre[8].isoformat()}
            cadre[6], cadre[9] = data.get("new_position"), data["effective_on"]
            method = sim.last_record("propose_adjustment").data["method"]
            decided = date.fromisoformat(sim.last_record("record_decision").data["meeting_on"])
            if self.rules["influence_months"].get(method) and self._first:
                self.case_sanctions.append((cadre[0], method, decided, own_end(method, decided, self.rules),
                                            f"case {plan.id}", plan.id))
        return dest, facts

    def _branch_holds(self, plan, sim, branch, data):
        trigger = branch.trigger
        if trigger == "record_decision":
            agree = sum(1 for v in data["votes"] if v["vote"] == "agree")
            passed = agree * 2 > len(data["votes"])
            return passed == (branch.dest in ("approved", "reassignment"))
        if trigger == "appoint":
            return plan.post[4] == (branch.dest == "probation")
        if branch.when is None:
            return True
        return bool(branch.when(_WhenCtx(data, sim, plan)))

    def write_cases(self):
        self.case_sanctions = []
        case_rows, objection_rows = [], []
        for plan in self.plans:
            sim = self.replay(plan, first=True)
            opened = plan.moments[0]
            reference = f"{plan.track[0].upper()}-{local_date(opened).year}-{plan.id:05d}"
            plan.reference = reference
            case_rows.append((
                plan.id, reference, plan.track, sim.state, plan.cadre[0], plan.unit_id, plan.post[0] if plan.post else None,
                plan.source, plan.opener, opened, self.rules_set.id, sim.version, sim.state_since, sim.updated_at,
                sim.due_on, sim.due_kind, sim.due_needs_review, sim.held_from, sim.publicity_start, sim.publicity_end,
                sim.publicity_needs_review, sim.probation_end, sim.closed_at, None,
            ))
            for o in sim.objections:
                objection_rows.append((o["id"], plan.id, o["received_on"], o["channel"], o["content"], o["substantive"],
                                       o["answered"], o["finding"], o["answer"], o["disqualifying"], o["answered_on"]))
        # The replay moved cadres into their new posts: write them as they stand now, then their cases.
        self.write_cadres_and_assessments()
        self.ratings()
        self.sink.write("case", ("id", "reference", "track", "state", "cadre_id", "unit_id", "target_position_id", "source",
                                 "opened_by_id", "opened_at", "rule_set_id", "version", "state_since", "updated_at", "due_on",
                                 "due_kind", "due_needs_review", "held_from", "publicity_start", "publicity_end",
                                 "publicity_needs_review", "probation_end", "closed_at", "linked_case_id"), case_rows)
        self.sink.write("objection", ("id", "case_id", "received_on", "channel", "content", "substantive", "answered", "finding",
                                      "answer", "disqualifying", "answered_on"), objection_rows)
        self.counts["objections"] = len(objection_rows)

    def ratings(self):
        promoted = {plan.cadre[0] for plan in self.plans if plan.track == "promotion"}
        rows = [(self.next_id("democratic_rating"), cadre_id, self.today.year - 1, self.rng.randint(70, 98)) for cadre_id in sorted(promoted)]
        self.sink.write("democratic_rating", ("id", "cadre_id", "year", "approval_percent"), rows)

    def reviews(self):
        """Scheduled follow-up reviews: influence periods, each ending in an expiry evaluation (or the
        end of an admonishment's tracking); the cases' own measures first, then the rest of the province's."""
        rng, today = self.rng, self.today
        rows = [(self.next_id("sanction"), *s[:4], s[4] or "", s[5]) for s in self.case_sanctions]
        cadres = self.cadre_rows
        for _ in range(max(0, self.sizes.reviews - len(rows))):
            measure = rng.choice(STANDALONE_MEASURES)
            decided = today - timedelta(days=rng.randint(1, 3650))
            rows.append((self.next_id("sanction"), rng.choice(cadres)[0], measure, decided, own_end(measure, decided, self.rules),
                         "", None))
        self.sink.write("sanction", ("id", "cadre_id", "measure", "decided_on", "influence_ends_on", "note", "case_id"), rows)
        self.counts["reviews"] = len(rows)
        self.counts["follow_up_cases"] = sum(1 for p in self.plans if p.target == "follow_up")

    # the audit trail --------------------------------------------------------------------------

    EVENT_COLUMNS = ("id", "occurred_at", "actor_id", "kind", "case_id", "cadre_id", "unit_id", "summary", "before", "after",
                     "prev_hash", "hash", "json_as_shown")

    def events(self):
        """Case events and the everyday trail (sign-ins, cadre edits, assessments) merged in time order,
        hashed as ``audit.append`` hashes them, committed in batches with the chain head."""
        rng, today = self.rng, self.today
        head = self.sink.execute("SELECT last_event_id, last_hash FROM audit_head WHERE id = 1")
        self.last_event_id, self.last_hash = head[0] if head else (None, audit.GENESIS)
        self.head_row_exists = bool(head)
        self.event_id = self.sink.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event")[0][0]
        case_events = sum(len(p.moments) for p in self.plans)
        fillers = max(0, self.sizes.events - case_events)
        first = today - timedelta(days=TIMELINE_DAYS)
        days = sorted(set(self.by_day) | {first + timedelta(days=i) for i in range(TIMELINE_DAYS + 1)})
        days = [d for d in days if d <= today]
        per_day, extra = divmod(fillers, len(days))
        self.event_rows, self.record_rows = [], []
        self.pending = {}
        self.written = 0
        started = time.monotonic()
        self.officers = [u for u in self.user_ids if self.usernames[u].startswith("officer")] or self.user_ids
        for number, day in enumerate(days):
            todo = [(moment, 0, plan_index, index) for moment, plan_index, index in self.by_day.get(day, ())]
            for _ in range(per_day + (1 if number < extra else 0)):
                todo.append((self._moment(day, rng.randint(0, 60)), 1, None, None))
            todo.sort(key=lambda item: (item[0], item[1], item[2] or 0, item[3] or 0))
            for moment, is_filler, plan_index, index in todo:
                if is_filler:
                    self._filler(moment)
                else:
                    self._case_step(plan_index, index)
            if len(self.event_rows) >= 50_000:
                self._flush()
        self._flush()
        self.counts["audit_events"] = self.written
        self.log(f"  audit events written and chained ({time.monotonic() - started:.0f} s)")

    def _case_step(self, plan_index, index):
        """Replay a case when its opening comes up, then emit each step's record and event in turn."""
        plan = self.plans[plan_index]
        if index == 0:
            steps = []
            self.replay(plan, emit=lambda *args: steps.append(args))
            self.pending[plan_index] = steps
        trigger, role, before, data, moment, now = self.pending[plan_index][index]
        if index == len(plan.moments) - 1:
            del self.pending[plan_index]
        record_id = self.next_id("step_record")
        from_state = before[0] if before else None
        actor = {"inspector": self.users["inspector"], "discipline_liaison": self.users["liaison"],
                 "committee_secretary": self.users["secretary"]}.get(role, plan.opener)
        self.record_rows.append((record_id, plan.id, trigger, from_state, now["state"], data, actor, moment, None))
        if trigger == "open":
            after = {"state": now["state"], "version": now["version"], "record_id": record_id, "data": data,
                     "rule_set_version": self.rules_set.version, "target_position_id": plan.post[0] if plan.post else None,
                     "linked_case_id": None}
            summary = f"{plan.reference}: opened for {plan.cadre[1]}" + (f" → {plan.post[2]}" if plan.post else "")
            self._event(moment, actor, "case.opened", plan.id, plan.cadre[0], plan.unit_id, summary, None, after)
            return
        title = next(t.label for t in workflow_for(plan.track).from_state(from_state) if t.trigger == trigger)
        after = {"state": now["state"], "version": now["version"], "record_id": record_id, "trigger": trigger,
                 "data": data, "due_on": now["due_on"], "due_needs_review": now["due_needs_review"]}
        self._event(moment, actor, "case.transition", plan.id, plan.cadre[0], plan.unit_id,
                    f"{plan.reference}: {title} ({from_state} → {now['state']})",
                    {"state": from_state, "version": before[1]}, audit.jsonable(after))

    def _filler(self, moment):
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            user = rng.choice(self.user_ids)
            name, address = self.usernames[user], f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            self._event(moment, user, "login.success", None, None, None, f"Sign-in succeeded for '{name}' from {address}",
                        None, {"username": name, "address": address})
        elif roll < 0.55:
            name, address = rng.choice(("officer", "admin", "zhangsan", "test")), f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            self._event(moment, None, "login.failure", None, None, None, f"Sign-in failed for '{name}' from {address}",
                        None, {"username": name, "address": address})
        else:
            cadre = rng.choice(self.cadre_rows)
            actor = rng.choice(self.officers)
            if roll < 0.85:
                before, after = {"notes": ""}, {"notes": rng.choice(("参加省委党校培训。", "借调省发改委。", "完成挂职锻炼。"))}
                self._event(moment, actor, "cadre.updated", None, cadre[0], cadre[5], f"{cadre[1]}: profile updated (notes)",
                            before, after)
            else:
                year, result = moment.year - 1, rng.choice(("excellent", "competent", "competent"))
                self._event(moment, actor, "cadre.assessment", None, cadre[0], cadre[5],
                            f"{cadre[1]}: annual assessment {year} recorded", None, {"year": year, "result": result})

    def _event(self, at, actor, kind, case_id, cadre_id, unit_id, summary, before, after):
        self.event_id += 1
        event = _Event(at, actor, kind, case_id, cadre_id, unit_id, summary, before, after)
        digest = audit.event_hash(self.last_hash, event)  # exactly what append() computes
        (before_text, before_shown), (after_text, after_shown) = shown_json.stored(before), shown_json.stored(after)  # as append()
        self.event_rows.append((self.event_id, at, actor, kind, case_id, cadre_id, unit_id, summary, before_text, after_text,
                                self.last_hash, digest, before_shown and after_shown))
        self.last_hash, self.last_event_id = digest, self.event_id

    def _flush(self):
        """Write the step records and events so far and move the chain head in the same transaction."""
        if self.sink.dialect == "postgresql":
            locked = self.sink.execute("SELECT last_hash FROM audit_head WHERE id = 1 FOR UPDATE")
            expected = self.event_rows[0][10] if self.event_rows else self.last_hash
            if locked and locked[0][0] != expected:
                raise RefusedToGenerate("Someone appended to the audit trail while the generator ran; nothing of this batch was written.")
        self.sink.write("step_record", ("id", "case_id", "trigger", "from_state", "to_state", "data", "actor_id", "recorded_at",
                                        "corrects_id"), self.record_rows)
        self.sink.write("audit_event", self.EVENT_COLUMNS, self.event_rows)
        if self.event_rows:
            if self.head_row_exists:
                self.sink.execute("UPDATE audit_head SET last_event_id = %s, last_hash = %s WHERE id = 1",
                                  (self.last_event_id, self.last_hash))
            else:
                self.sink.execute("INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (1, %s, %s)",
                                  (self.last_event_id, self.last_hash))
                self.head_row_exists = True
        self.sink.commit()
        self.written += len(self.event_rows)
        self.counts["step_records"] = self.counts.get("step_records", 0) + len(self.record_rows)
        self.event_rows, self.record_rows = [], []

    def finish(self):
        if self.sink.dialect == "postgresql":
            for table in ("app_user", "unit", "position", "cadre", "annual_assessment", "democratic_rating", "sanction", "case",
                          "step_record", "objection", "audit_event"):
                self.sink.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")
            self.sink.commit()
            self.sink.conn.autocommit = True
            self.sink.execute("VACUUM ANALYZE")  # as autovacuum soon would after a bulk load: index-only scans work
        else:
            self.sink.execute("ANALYZE")
        self.sink.close()


class _Event:
    """What ``audit.event_hash`` reads from an AuditEvent."""

    __slots__ = ("occurred_at", "actor_id", "kind", "case_id", "cadre_id", "unit_id", "summary", "before", "after")

    def __init__(self, occurred_at, actor_id, kind, case_id, cadre_id, unit_id, summary, before, after):
        self.occurred_at, self.actor_id, self.kind = occurred_at, actor_id, kind
        self.case_id, self.cadre_id, self.unit_id = case_id, cadre_id, unit_id
        self.summary, self.before, self.after = summary, before, after


class _WhenCtx:
    """Enough of the door's Ctx for the branch selectors (``when``) of the scripted paths."""

    def __init__(self, data, sim, plan):
        self.data, self.case = data, _WhenCase(sim, plan)


class _WhenCase:
    def __init__(self, sim, plan):
        self.held_from = sim.held_from
        self.target_position = _WhenPost(plan.post[4]) if plan.post else None


class _WhenPost:
    def __init__(self, probation):
        self.probation_applies = probation


def _snapshot(sim):
    return {"state": sim.state, "version": sim.version, "due_on": sim.due_on, "due_needs_review": sim.due_needs_review}


_RECOMMEND = None  # set below (a Step, built like demo.paths' steps)


def _recommendation():
    from demo.paths import Step

    return Step("record_recommendation", "case_officer", lambda t: {
        "method": "meeting", "posts": 1, "participants": 45, "tallies": ["X 38", "其他人选 7"], "shortlist": ["X"]}, 0)


_RECOMMEND = _recommendation()


def generate(session, sizes: Sizes, today=None, seed=2026, log=print):
    """Build the province into the (migrated, unit-less) database behind ``session``."""
    if session.scalar(select(func.count()).select_from(Unit)):
        raise RefusedToGenerate("This database already holds units: generate into a freshly migrated database "
                                "(e.g. createdb cadreflow_scale && DATABASE_URL=... flask --app wsgi db upgrade).")
    from workflow import clock

    today = today or clock.today_local()
    log(f"Generating {sizes.cadres:,} cadres, {sizes.cases:,} cases, {sizes.events:,} audit events, "
        f"{sizes.reviews:,} scheduled reviews as of {today} on {db.engine.dialect.name}…")
    session.commit()
    generator = Generator(session, sizes, today, seed, log)
    try:
        return generator.run()
    finally:
        session.expire_all()
        db.engine.dispose()


__all__ = ["FULL", "Sizes", "generate"]
