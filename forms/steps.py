"""Step forms built from the workflow's field specs, so the form and the door never disagree.

The forms only parse what the browser sent (a date is a date, a number a number); the door
validates required fields and guards, and its field errors are shown back on these forms.
"""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from workflow.i18n import _l, language, lazy_pick
from workflow.terms import VOTES, choices

from . import DateRange, ManyOptions, optional_id, strict_checkbox

VOTE_ROWS = 15


class VoteRow(Form):
    name = StringField(_l("Member"), validators=[Optional(), Length(max=60)])
    vote = SelectField(_l("Vote"), choices=[("", "—")] + choices(VOTES), validators=[Optional()])


class ActionForm(FlaskForm):
    version = HiddenField(validators=[Length(max=12)])


def _field(spec):
    # The form classes are made once and kept: the label follows the reader's language when shown.
    label, optional = lazy_pick(spec.en, spec.zh), [Optional()]
    if spec.kind == "text":
        return StringField(label, validators=optional, render_kw={"maxlength": spec.max_length})
    if spec.kind in ("textarea", "lines"):
        return TextAreaField(label, validators=optional, render_kw={"rows": 3})
    if spec.kind == "date":
        return DateField(label, validators=[*optional, DateRange()])
    if spec.kind == "int":
        return IntegerField(label, validators=optional, render_kw={"min": spec.minimum} if spec.minimum is not None else {})
    if spec.kind == "bool":
        return BooleanField(label, validators=[strict_checkbox])
    if spec.kind == "select":
        return SelectField(label, choices=[("", "—")] + choices(spec.choices), validators=optional)
    if spec.kind == "objection":
        return SelectField(label, choices=[], coerce=optional_id, validators=optional)
    if spec.kind == "position":  # a province offers thousands of posts: the one-pass widget
        return SelectField(label, choices=[], coerce=optional_id, validators=optional, widget=ManyOptions())
    if spec.kind == "votes":
        return FieldList(FormField(VoteRow), label=label, min_entries=VOTE_ROWS, max_entries=60)
    raise ValueError(spec.kind)


_CLASSES = {}


def step_form_class(track, transition):
    key = (track, transition.trigger)
    if key not in _CLASSES:
        attrs = {spec.name: _field(spec) for spec in transition.fields}
        _CLASSES[key] = type(f"{track.title()}{transition.trigger.title().replace('_', '')}Form", (ActionForm,), attrs)
    return _CLASSES[key]


def build_step_form(track, transition, case, ctx, formdata=None):
    """A form for one action on one case; fresh forms get the field defaults."""
    cls = step_form_class(track, transition)
    form = cls(formdata=formdata, prefix=transition.trigger)
    for spec in transition.fields:
        if spec.kind == "objection":
            getattr(form, spec.name).choices = [("", "—")] + [
                (o.id, f"#{o.id} {o.received_on.isoformat()} {o.content[:60]}") for o in case.objections if not o.answered
            ]
    for spec in transition.fields:
        if spec.options is None:
            continue
        # A fresh form offers what makes sense now; a submitted one parses against every valid choice.
        offered = spec.options(ctx) if (formdata is None or spec.kind == "position") else spec.choices
        chinese = language() == "zh"  # once, not per option: a post field offers thousands
        getattr(form, spec.name).choices = [("", "—")] + [(k, zh if chinese else en) for k, (en, zh) in offered.items()]
    if formdata is None:
        form.version.data = case.version
        for spec in transition.fields:
            if spec.default is not None:
                getattr(form, spec.name).data = spec.default(ctx)
    return form


def form_data(form, fields):
    """Plain data for the door."""
    out = {}
    for spec in fields:
        value = getattr(form, spec.name).data
        if spec.kind == "votes":
            value = [{"name": row.get("name"), "vote": row.get("vote")} for row in value]
        out[spec.name] = value
    return out


def show_errors(form, field_errors: dict):
    for name, message in field_errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [message]


def open_form_class(track, fields):
    """The form that opens a case: the cadre, and the track's opening fields."""
    key = (track, "__open__")
    if key not in _CLASSES:
        attrs = {spec.name: _field(spec) for spec in fields}
        attrs["cadre_id"] = SelectField(_l("Cadre"), coerce=optional_id, validators=[Optional()])
        _CLASSES[key] = type(f"Open{track.title()}Form", (FlaskForm,), attrs)
    return _CLASSES[key]
