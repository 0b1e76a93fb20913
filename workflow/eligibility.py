"""Who may be taken forward for inspection: exclusions, qualifications, exception windows.

Each function returns sentences a person can read; an empty list means nothing stands in the way.
"""
from datetime import date

from .clock import add_months
from .i18n import _, listing
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
        out.append(_("A serious political-discipline problem is on record."))
    if cadre.ratings:
        latest = cadre.ratings[0]
        if float(latest.approval_percent) < rules["low_recognition_percent"]:
            out.append(_(
                "Low recognition in the %(year)s democratic rating: %(percent)s%% (below %(threshold)s%%).",
                year=latest.year, percent=f"{float(latest.approval_percent):g}", threshold=rules["low_recognition_percent"],
            ))
    last_year = today.year - 1
    result = cadre.assessment_for(last_year)
    if result in rules["excluded_assessments"]:
        out.append(_("Annual assessment for %(year)s was '%(result)s'.", year=last_year, result=label(ASSESSMENT, result)))
    if cadre.canvassing_found:
        out.append(_("Seeking office or canvassing was found."))
    if cadre.family_emigrated and not (position and position.emigration_exempt):
        out.append(_("Spouse and all children have emigrated."))
    influence = combined(cadre.sanctions, rules)
    if influence.in_force(today):
        measures = listing(label(MEASURES, s.measure) for s in influence.making_it)
        out.append(_("Inside the influence period until %(end)s (%(measures)s).",
                     end=influence.ends_on.isoformat(), measures=measures))
    return out


def step_problems(cadre, position) -> list[str]:
    """Problems no exception can waive: not a promotion, or two levels at once."""
    step = rank_step(cadre.rank, position.rank)
    if step <= 0:
        return [_("The post's rank (%(post_rank)s) is not above the cadre's (%(rank)s): this is not a promotion.",
                  post_rank=label(RANKS, position.rank), rank=label(RANKS, cadre.rank))]
    if step > 1:
        return [_("From %(rank)s to %(post_rank)s is two levels at once, which is never allowed.",
                  rank=label(RANKS, cadre.rank), post_rank=label(RANKS, position.rank))]
    return []


def qualification_gaps(cadre, position, today: date, rules) -> list[str]:
    out = []
    needed = rules.min_years(cadre.rank, position.rank)
    held = full_years(cadre.rank_since, today)
    if needed and held < needed:
        out.append(_("%(needed)s years as %(rank)s are required; the cadre has %(held)s.",
                     needed=needed, rank=label(RANKS, cadre.rank), held=held))
    level = RANK_LEVEL[position.rank]
    if level in ("division", "bureau"):
        work = full_years(cadre.work_start, today)
        if work < rules["division_min_work_years"]:
            out.append(_("%(needed)s years of work are required; the cadre has %(held)s.",
                         needed=rules["division_min_work_years"], held=work))
        if cadre.grassroots_years < rules["division_min_grassroots_years"]:
            out.append(_("%(needed)s years at grassroots are required; the cadre has %(held)s.",
                         needed=rules["division_min_grassroots_years"], held=cadre.grassroots_years))
    minimum = rules["education_min"].get(level)
    if minimum and EDUCATION_ORDER.index(cadre.education) < EDUCATION_ORDER.index(minimum):
        out.append(_("Education of at least '%(education)s' is required for this level.",
                     education=label(EDUCATION, minimum)))
    return out


def exception_window_problems(cadre, today: date, rules) -> list[str]:
    out = []
    if cadre.probation_until and cadre.probation_until >= today:
        out.append(_("Still on probation until %(end)s: no exception is allowed.", end=cadre.probation_until.isoformat()))
    months = rules["exception_min_months_since_promotion"]
    if cadre.last_promotion_on and add_months(cadre.last_promotion_on, months) > today:
        out.append(_("Last promoted on %(day)s, less than %(months)s months ago: no exception is allowed.",
                     day=cadre.last_promotion_on.isoformat(), months=months))
    return out
