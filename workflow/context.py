"""What a guard or an effect sees: the case, the actor, the typed data, the day and the rules."""
from dataclasses import dataclass, field
from datetime import date, datetime

from .calendar import WorkingDays
from .rules import Rules


@dataclass
class Ctx:
    session: object
    case: object
    actor: object
    now: datetime
    today: date
    rules: Rules
    calendar: WorkingDays
    from_state: str | None = None
    data: dict | None = None  # None while the page is only asking what is possible
    extra: dict = field(default_factory=dict)  # effects add facts to the step record here

    @property
    def cadre(self):
        return self.case.cadre
