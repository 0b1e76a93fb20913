"""Dates typed into a step: not before the step they follow, not far back, not far ahead."""
from datetime import date, timedelta

from .definition import Guard


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
    backdating allowance) or too far ahead. ``bounds``: (ctx) -> (date, words, strictly_after)."""

    def check(ctx):
        value = ctx.data.get(field_name)
        if value is None:
            return None
        out = []
        allowance = ctx.rules["backdating_days"]
        if backdating and value < ctx.today - timedelta(days=allowance):
            out.append(f"{value.isoformat()} is more than {allowance} days ago: record each step when it happens. "
                       f"日期早于允许补录的{allowance}天。")
        ahead = ctx.rules["future_days"] if future else 0
        if value > ctx.today + timedelta(days=ahead):
            out.append(f"{value.isoformat()} is more than {ahead} days ahead. 日期过远。" if ahead
                       else f"{value.isoformat()} is in the future. 日期不能晚于今天。")
        for bound in bounds:
            limit, words, strictly = bound(ctx)
            if limit is not None and (value <= limit if strictly else value < limit):
                out.append(f"{value.isoformat()} must be {'after' if strictly else 'on or after'} {words} "
                           f"({limit.isoformat()}). 日期不能早于前一步骤。")
        return out

    return Guard(f"date:{field_name}", check, needs_data=True)
