"""Who may be taken forward for inspection: exclusions, qualifications, exception windows.

Each function returns sentences a person can read; an empty list means nothing stands in the way.
"""
from datetime import date

from .clock import add_months
from .influence import combined
from .terms import ASSESSMENT, EDUCATION, EDUCATION_ORDER, MEASURES, RANK_LEVEL, RANK_ORDER, RANKS, label


def full_years(since: date | None, today: date) -> int:
    if since is None:
        return 0
    years = today.year - since.year
    if (today.month, today.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)


def rank_step(from_rank: str, to_rank: str) -> int:
    return RANK_ORDER.index(to_rank) - RANK_ORDER.index(from_rank)


def exclusions(cadre, position, today: date, rules) -> list[str]:
    out = []
    if cadre.political_discipline_problem:
        out.append("A serious political-discipline problem is on record. 有严重违反政治纪律问题，不得列为考察对象。")
    if cadre.ratings:
        latest = cadre.ratings[0]
        if float(latest.approval_percent) < rules["low_recognition_percent"]:
            out.append(
                f"Low recognition in the {latest.year} democratic rating: {float(latest.approval_percent):g}% "
                f"(below {rules['low_recognition_percent']}%). 民主测评认可度低。"
            )
    last_year = today.year - 1
    result = cadre.assessment_for(last_year)
    if result in rules["excluded_assessments"]:
        out.append(
            f"Annual assessment for {last_year} was '{label(ASSESSMENT, result)}'. "
            "上一年度考核为基本称职及以下，不得列为考察对象。"
        )
    if cadre.canvassing_found:
        out.append("Seeking office or canvassing was found. 有跑官要官、拉票贿选行为。")
    if cadre.family_emigrated and not (position and position.emigration_exempt):
        out.append("Spouse and all children have emigrated. 配偶已移居国（境）外且子女均已移居。")
    influence = combined(cadre.sanctions, rules)
    if influence.in_force(today):
        measures = ", ".join(label(MEASURES, s.measure) for s in influence.making_it)
        out.append(f"Inside the influence period until {influence.ends_on.isoformat()} ({measures}). 处于影响期内。")
    return out


def step_problems(cadre, position) -> list[str]:
    """Problems no exception can waive: not a promotion, or two levels at once."""
    step = rank_step(cadre.rank, position.rank)
    if step <= 0:
        return [
            f"The post's rank ({label(RANKS, position.rank)}) is not above the cadre's "
            f"({label(RANKS, cadre.rank)}): this is not a promotion. 非晋升职务。"
        ]
    if step > 1:
        return [
            f"From {label(RANKS, cadre.rank)} to {label(RANKS, position.rank)} is two levels at once, "
            "which is never allowed. 不得越两级提拔。"
        ]
    return []


def qualification_gaps(cadre, position, today: date, rules) -> list[str]:
    out = []
    needed = rules.min_years(cadre.rank, position.rank)
    held = full_years(cadre.rank_since, today)
    if needed and held < needed:
        out.append(
            f"{needed} years as {label(RANKS, cadre.rank)} are required; the cadre has {held}. 任职年限不足。"
        )
    level = RANK_LEVEL[position.rank]
    if level in ("division", "bureau"):
        work = full_years(cadre.work_start, today)
        if work < rules["division_min_work_years"]:
            out.append(
                f"{rules['division_min_work_years']} years of work are required; the cadre has {work}. 工作年限不足。"
            )
        if cadre.grassroots_years < rules["division_min_grassroots_years"]:
            out.append(
                f"{rules['division_min_grassroots_years']} years at grassroots are required; "
                f"the cadre has {cadre.grassroots_years}. 基层工作经历不足。"
            )
    minimum = rules["education_min"].get(level)
    if minimum and EDUCATION_ORDER.index(cadre.education) < EDUCATION_ORDER.index(minimum):
        out.append(f"Education of at least '{label(EDUCATION, minimum)}' is required for this level. 学历不符合要求。")
    return out


def exception_window_problems(cadre, today: date, rules) -> list[str]:
    out = []
    if cadre.probation_until and cadre.probation_until >= today:
        out.append(
            f"Still on probation until {cadre.probation_until.isoformat()}: no exception is allowed. 试用期内不得破格提拔。"
        )
    months = rules["exception_min_months_since_promotion"]
    if cadre.last_promotion_on and add_months(cadre.last_promotion_on, months) > today:
        out.append(
            f"Last promoted on {cadre.last_promotion_on.isoformat()}, less than {months} months ago: "
            "no exception is allowed. 提任现职不满一年不得破格提拔。"
        )
    return out
