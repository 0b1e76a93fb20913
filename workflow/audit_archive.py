"""The operator's archive of old audit events (README, "Retention"). The web application never
calls this: it is a maintenance step run from the command line, with its own checks.

The archive file (a JSON Lines export) must hold exactly the events 1..N (or from the previous
checkpoint), each with the hash the database holds; then, in one transaction, a checkpoint with
event N's hash is written, events up to N are removed with the triggers lifted, and the
triggers are put back. Verification continues from the checkpoint.
"""
import json

from sqlalchemy import delete, select

from models import AuditCheckpoint, AuditEvent

from . import audit, audit_guard, clock
from .audit_export import file_sha256
from .audit_verify import verify


class ArchiveRefused(Exception):
    pass


def archive(session, archive_path, up_to_id, note=""):
    verdict = verify(session)
    if not verdict.intact:
        raise ArchiveRefused(f"The chain is not intact ({verdict.sentence()}); archive nothing until it is explained.")
    previous = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.up_to_event_id.desc())).first()
    first_id = previous.up_to_event_id + 1 if previous else 1
    in_db = {eid: h for eid, h in session.execute(
        select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id <= up_to_id).order_by(AuditEvent.id))}
    if not in_db or max(in_db) != up_to_id:
        raise ArchiveRefused(f"There is no event {up_to_id} to archive up to.")
    in_file = {}
    with open(archive_path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            in_file[row["id"]] = row["hash"]
    if in_file != in_db:
        missing = sorted(set(in_db) - set(in_file))[:5]
        raise ArchiveRefused(f"The archive file does not hold exactly events {first_id}..{up_to_id} with their hashes "
                             f"(first missing or different: {missing or sorted(set(in_file) ^ set(in_db))[:5]}).")
    last_hash = in_db[up_to_id]
    sha = file_sha256(archive_path)
    connection = session.connection()
    session.add(AuditCheckpoint(up_to_event_id=up_to_id, last_hash=last_hash, archive_sha256=sha,
                                archived_at=clock.now(), note=note))
    session.flush()
    audit_guard.remove(connection)
    session.execute(delete(AuditEvent).where(AuditEvent.id <= up_to_id))
    audit_guard.install(connection)
    audit.append(session, kind="audit.archived", actor=None, at=clock.now(),
                 summary=f"Audit events up to #{up_to_id} archived ({len(in_db)} events, sha256 {sha[:16]}…)",
                 after={"up_to_event_id": up_to_id, "events": len(in_db), "archive_sha256": sha, "last_hash": last_hash,
                        "note": note})
    session.commit()
    return len(in_db), sha
