"""Domain vocabulary with its English and Chinese names (domain.md, "Terms")."""
from .i18n import language, lazy_pick

ROLES = {
    "case_officer": ("Case officer", "干部工作人员"),
    "inspector": ("Inspection team member", "考察组成员"),
    "discipline_liaison": ("Discipline liaison", "纪检联络人"),
    "committee_secretary": ("Committee secretary", "党委秘书"),
    "auditor": ("Auditor", "审计员"),
    "administrator": ("Administrator", "系统管理员"),
}

RANKS = {  # in order; a promotion moves one step up this list
    "staff": ("Staff member", "科员"),
    "section_deputy": ("Deputy section chief", "副科级"),
    "section_chief": ("Section chief", "正科级"),
    "division_deputy": ("Deputy division / county head", "副处级"),
    "division_chief": ("Division / county head", "正处级"),
    "bureau_deputy": ("Deputy bureau head", "副厅级"),
    "bureau_chief": ("Bureau head", "正厅级"),
}
RANK_ORDER = list(RANKS)
RANK_LEVEL = {
    "staff": "staff",
    "section_deputy": "section", "section_chief": "section",
    "division_deputy": "division", "division_chief": "division",
    "bureau_deputy": "bureau", "bureau_chief": "bureau",
}

EDUCATION = {  # in order
    "high_school": ("High school / technical school", "高中/中专"),
    "college": ("College (3-year)", "大学专科"),
    "bachelor": ("Bachelor", "大学本科"),
    "master": ("Master", "硕士研究生"),
    "doctorate": ("Doctorate", "博士研究生"),
}
EDUCATION_ORDER = list(EDUCATION)

ASSESSMENT = {
    "excellent": ("Excellent", "优秀"),
    "competent": ("Competent", "称职"),
    "basically_competent": ("Basically competent", "基本称职"),
    "incompetent": ("Incompetent", "不称职"),
}

NOMINATION_SOURCES = {
    "organization": ("Organization nomination", "组织推荐"),
    "democratic": ("Democratic recommendation", "民主推荐"),
    "self": ("Self-recommendation", "自我推荐"),
}

MEASURES = {  # sanctions and measures that carry an influence period
    "party_warning": ("Party warning", "党内警告"),
    "party_serious_warning": ("Party serious warning", "党内严重警告"),
    "party_post_removal": ("Removal from Party post", "撤销党内职务"),
    "party_probation": ("Party probation", "留党察看"),
    "gov_warning": ("Government sanction: warning", "政务警告"),
    "gov_demerit": ("Government sanction: demerit", "政务记过"),
    "gov_major_demerit": ("Government sanction: major demerit", "政务记大过"),
    "gov_downgrade": ("Government sanction: downgrade", "政务降级"),
    "gov_dismissal": ("Government sanction: dismissal", "政务撤职"),
    "transfer_from_post": ("Transfer from post", "调离岗位"),
    "removal": ("Removal", "免职"),
    "ordered_resignation": ("Ordered resignation", "责令辞职"),
    "demotion": ("Demotion", "降职"),
    "admonishment": ("Admonishment", "诫勉"),
}

EXCEPTION_GROUNDS = {
    "crisis": ("Proven results in a crisis or emergency", "在急难险重任务中实绩突出"),
    "hard_area": ("Proven results in a hard area", "在艰苦边远地区实绩突出"),
    "notable_work": ("Especially notable work", "工作实绩特别突出"),
    "structural_need": ("Structural or special need", "班子结构或特殊岗位需要"),
}

INSPECTION_CHECKS = {
    "personnel_file": ("Personnel file reviewed", "干部人事档案审核"),
    "personal_matters": ("Personal-matters report verified", "个人有关事项报告核查"),
    "integrity_opinion": ("Integrity opinion received", "党风廉政意见回复"),
    "complaints": ("Specific complaints investigated", "信访举报核查"),
}

VOTES = {
    "agree": ("Agree", "同意"),
    "disagree": ("Disagree", "不同意"),
    "defer": ("Defer", "暂缓"),
    "absent": ("Absent", "缺席"),
    "recused": ("Recused", "回避"),
}


def label(vocabulary: dict, code, lang: str | None = None) -> str:
    """The term in the reader's language (lang "en", "zh", or "both" for '考察 Inspection');
    unknown codes are shown as they are."""
    if code not in vocabulary:
        return "" if code is None else str(code)
    en, zh = vocabulary[code]
    return {"en": en, "zh": zh}.get(lang or language(), f"{zh} {en}")


def choices(vocabulary: dict):
    """Select choices whose labels follow the reader's language when shown (safe at import time)."""
    return [(code, lazy_pick(en, zh)) for code, (en, zh) in vocabulary.items()]

TRIGGER_SOURCES = {
    "assessment": ("Annual assessment result", "年度考核结果"),
    "rating": ("Democratic rating", "民主测评"),
    "accountability": ("Accountability decision", "问责决定"),
    "sanction": ("Party or government sanction", "党纪政务处分"),
    "inspection_tour": ("Inspection tour finding", "巡视巡察发现"),
    "audit": ("Audit finding", "审计发现"),
    "petition": ("Petition finding", "信访举报"),
    "public_clue": ("Public clue", "群众线索"),
    "health": ("Unable to work for health reasons over a year", "因健康原因一年以上不能正常工作"),
    "resignation": ("Voluntary resignation or early retirement", "自愿辞职或提前退休"),
    "probation_failed": ("Probation failed", "试用期考核不合格"),
    "publicity_objection": ("Objection during publicity", "任前公示反映"),
}

CLUE_CATEGORIES = {
    "no_initiative": ("No initiative (lying flat)", "不思进取、躺平"),
    "passing_the_buck": ("Passing the buck", "推诿扯皮"),
    "unreachable": ("Unreachable / absent from post", "联系不上、不在岗"),
    "doing_nothing": ("Doing nothing / slow to act", "不作为、慢作为"),
    "arbitrary_action": ("Arbitrary action", "乱作为"),
    "discipline": ("Breach of discipline", "违反纪律"),
    "other": ("Other", "其他"),
}

VERIFICATION_CONCLUSIONS = {
    "unfounded": ("Unfounded", "不属实"),
    "partly": ("Partly founded", "部分属实"),
    "founded": ("Founded", "属实"),
}

CLARIFICATION_METHODS = {
    "letter": ("Letter", "书面澄清"),
    "in_person": ("In-person explanation", "当面澄清"),
    "public_notice": ("Public notice", "公开澄清"),
}

FT_DETERMINATIONS = {
    "tolerated": ("Tolerated: no liability, no influence period", "予以容错，免责"),
    "mitigated": ("Mitigated", "从轻、减轻处理"),
    "rejected": ("Rejected", "不予容错"),
}

WARNING_MEASURES = {
    "reminder_talk": ("Reminder talk", "提醒谈话"),
    "letter_inquiry": ("Letter inquiry (written explanation)", "函询"),
    "admonishment": ("Admonishment", "诫勉"),
}

ADJUSTMENT_METHODS = {
    "transfer_from_post": ("Transfer from post", "调离岗位"),
    "rank_only_post": ("Change to a rank-only post", "改任职级"),
    "removal": ("Removal", "免职"),
    "demotion": ("Demotion", "降职"),
}

VISIT_RATINGS = {
    "good": ("Good", "好"),
    "fair": ("Fair", "较好"),
    "poor": ("Poor", "差"),
}

APPEAL_OUTCOMES = {
    "upheld": ("Decision upheld", "维持原决定"),
    "varied": ("Decision varied", "变更原决定"),
    "revoked": ("Decision revoked", "撤销原决定"),
}
