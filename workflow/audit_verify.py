"""Checking the audit chain: every event's hash, every link, and the head."""
from dataclasses import dataclass

from sqlalchemy import Text, cast, select

from models import AuditCheckpoint, AuditEvent, AuditHead
from models.shown_json import stored

from .audit import GENESIS, event_hash


@dataclass
class Verdict:
    intact: bool
    checked: int
    head: str
    broken_id: int | None = None
    problem: str = ""

    def sentence(self):
        if self.intact:
            return f"intact: {self.checked} events verified; chain head {self.head}"
        return f"BROKEN at event {self.broken_id}: {self.problem} ({self.checked} events checked before it)"


def _as_stored(value, text) -> bool:
    return (text is None and value is None) or stored(value)[0] == text


def verify(session, batch=5000) -> Verdict:
    """Walk the chain in id order, streaming, and stop at the first event that does not hold."""
    checkpoint = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.up_to_event_id.desc())).first()
    expected_prev = checkpoint.last_hash if checkpoint else GENESIS
    last_id = checkpoint.up_to_event_id if checkpoint else None
    checked = 0
    anchor = session.get(AuditHead, 1)
    # Plain rows, streamed (not ORM objects): the identity map stays empty however long the chain,
    # and event_hash reads the same attributes from a row as from an AuditEvent.
    table = AuditEvent.__table__
    # The stored JSON texts too: an event stored as the export shows it is exported as stored, so
    # its text must be exactly the shown form of the hashed value (not another text that parses to
    # it, such as one with a repeated key).
    query = (select(table, cast(table.c.before, Text).label("before_text"), cast(table.c.after, Text).label("after_text"))
             .order_by(AuditEvent.id).execution_options(yield_per=batch))
    if checkpoint:
        query = query.where(AuditEvent.id > checkpoint.up_to_event_id)
    for event in session.execute(query):
        if event.prev_hash != expected_prev:
            return Verdict(False, checked, expected_prev, event.id,
                           "its link to the previous event does not match (an event before it was removed, "
                           "inserted or reordered)")
        if event_hash(event.prev_hash, event) != event.hash or (
                event.json_as_shown and not (_as_stored(event.before, event.before_text)
                                             and _as_stored(event.after, event.after_text))):
            return Verdict(False, checked, expected_prev, event.id, "its content does not match its hash (it was changed)")
        expected_prev, last_id = event.hash, event.id
        checked += 1
    if anchor is None or anchor.last_hash != expected_prev or anchor.last_event_id != last_id:
        return Verdict(False, checked, expected_prev, (last_id or 0) + 1 if anchor else None,
                       "the chain head does not match the last event (events at the end were removed or added)")
    return Verdict(True, checked, expected_prev)
