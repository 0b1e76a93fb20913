"""Step records as a person reads them: labels from the workflow definition, codes as terms."""
from .i18n import _, pick, series
from .registry import open_fields, workflow_for
from .terms import RANKS, VOTES, label

EXTRA_LABELS = {  # facts a step adds to what was typed, named like terms: (en, zh)
    "publicity_end": ("Publicity ends", "公示截止"),
    "needs_review": ("Date needs checking by hand", "日期需人工核对"),
    "objection_id": ("Objection number", "反映编号"),
    "suspended_on": ("Publicity suspended on", "公示暂停日期"),
    "probation_end": ("Probation ends", "试用期满"),
    "previous": ("Previous post and rank", "原任职务职级"),
}


def step_title(track, trigger):
    if trigger == "open":
        return _("Case opened")
    workflow = workflow_for(track)
    return next((t.label for t in workflow.transitions if t.trigger == trigger), trigger)


def record_rows(track, record):
    """[(label, text)] for one step record, in the order of the step's fields."""
    fields = open_fields(track) if record.trigger == "open" else next(
        (t.fields for t in workflow_for(track).transitions if t.trigger == record.trigger), ())
    specs = {f.name: f for f in fields}
    rows = []
    for key, value in record.data.items():
        if value in (None, "", [], False) and key != "needs_review":
            continue
        spec = specs.get(key)
        if spec is not None:
            rows.append((spec.label, _text(spec, value)))
        elif key in EXTRA_LABELS:
            if key == "needs_review" and not value:
                continue
            if key == "previous" and isinstance(value, dict):
                value = _previous(value)
            rows.append((label(EXTRA_LABELS, key), _plain(value)))
    return rows


def _text(spec, value):
    if spec.kind == "select" and spec.choices:
        return label(spec.choices, value)
    if spec.kind == "bool":
        return _("Yes") if value else _("No")
    if spec.kind == "votes":
        return series(f"{row['name']}{pick(': ', '：')}{label(VOTES, row['vote'])}" for row in value)
    if spec.kind == "lines":
        return series(value)
    if spec.kind == "position":
        from models import Position, db

        position = db.session.get(Position, value)
        return position.label if position else str(value)
    return _plain(value)


def _previous(value):
    from models import Position, db

    post = db.session.get(Position, value["position_id"]) if value.get("position_id") else None
    where = post.label if post else _("no post")
    return _("%(post)s · %(rank)s since %(since)s", post=where, rank=label(RANKS, value.get("rank")), since=value.get("rank_since"))


def _plain(value):
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    return str(value)
