"""Dates typed into a step: not before the step they follow, not far back, not far ahead."""
from datetime import date, timedelta

from .definition import Guard
from .i18n import _


def _recorded_on(ctx, *triggers):
    """The local date the latest of these steps was recorded in the system."""
    from .clock import local_date

    record = ctx.case.last_record(*triggers)
    return local_date(record.recorded_at) if record else None


def _data_date(ctx, trigger, key):
    record = ctx.case.last_record(trigger)
    return date.fromisoformat(record.data[key]) if record and record.data.get(key) else None


def g_date(field_name, *bounds, future=True, backdating=True):
    """A step's date may not precede the step it follows, lie too far back (the rule set's
    backdating allowance) or too far ahead. ``bounds``: (ctx) -> (date, words, strictly_after), the
    words in the reader's language (made with ``_()``): "the day the case was opened"."""

    def check(ctx):
        value = ctx.data.get(field_name)
        if value is None:
            return None
        out = []
        allowance = ctx.rules["backdating_days"]
        if backdating and value < ctx.today - timedelta(days=allowance):
            out.append(_("%(day)s is more than %(days)s days ago: record each step when it happens.",
                         day=value.isoformat(), days=allowance))
        ahead = ctx.rules["future_days"] if future else 0
        if value > ctx.today + timedelta(days=ahead):
            out.append(_("%(day)s is more than %(days)s days ahead.", day=value.isoformat(), days=ahead) if ahead
                       else _("%(day)s is in the future.", day=value.isoformat()))
        for bound in bounds:
            limit, words, strictly = bound(ctx)
            if limit is not None and (value <= limit if strictly else value < limit):
                shown = dict(day=value.isoformat(), what=words, limit=limit.isoformat())
                out.append(_("%(day)s must be after %(what)s (%(limit)s).", **shown) if strictly
                           else _("%(day)s must be on or after %(what)s (%(limit)s).", **shown))
        return out

    return Guard(f"date:{field_name}", check, needs_data=True)
