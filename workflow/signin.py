"""Signing in with rate limiting and a temporary lockout after repeated failures.

* ``max_failures`` failed sign-ins for one username within ``window`` lock that username for
  ``lockout``; ``address_max_failures`` failures from one client address within ``window`` lock
  that address for ``lockout`` (so one address cannot spray many usernames).
* While locked, every attempt is refused before the password is looked at, even the right one,
  and the person is told when to try again. Usernames are counted as typed, whether or not such
  a user exists, so an unknown username behaves exactly like a known one.
* A successful sign-in resets the username's count (not the address's: signing in to one's own
  account must not buy more guesses at others). The count also starts afresh after a lockout.
* Each success, failure, lockout and refused attempt is an audit event, written in the same
  transaction as the attempt row.

Time comes from ``workflow.clock`` only.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from models import AuditHead, SigninAttempt, User

from . import accounts, audit, clock

KEEP_ROWS = timedelta(days=1)  # attempt rows older than this (and than any lockout) are pruned


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    address_max_failures: int = 20

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(
            max_failures=max(1, int(config.get("SIGNIN_MAX_FAILURES", cls.max_failures))),
            window=timedelta(minutes=max(1, int(config.get("SIGNIN_WINDOW_MINUTES", 15)))),
            lockout=timedelta(minutes=max(1, int(config.get("SIGNIN_LOCKOUT_MINUTES", 15)))),
            address_max_failures=max(1, int(config.get("SIGNIN_ADDRESS_MAX_FAILURES", cls.address_max_failures))),
        )


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    # Set when the attempt was refused because of a lockout, or when this failure began one.
    locked_until: datetime | None = None
    refused: bool = False  # refused unseen because a lockout was in force

    @property
    def ok(self):
        return self.user is not None


def printable(value: str) -> str:
    return "".join(ch for ch in value if ch.isprintable())


def key_for(username: str) -> str:
    return (username or "").strip()[:60].lower()


def sign_in(session, username: str, password: str, address: str = "", limits: Limits | None = None) -> Outcome:
    limits = limits or Limits()
    now = clock.now()
    # Control and other unprintable characters (NUL, which PostgreSQL cannot store; direction
    # overrides that would disguise the audit summary) are dropped; such a name is nobody's.
    typed = username or ""
    clean = printable(typed)
    key, address = key_for(clean), printable(address or "")[:64]
    shown = clean.strip()[:60]

    # A cheap check first, so a locked-out flood costs no password hashing.
    until = locked_until(session, key, address, now)
    if until is None:
        user = accounts.verify_credentials(session, typed if clean == typed else None, password)
        # Then decide under the audit head's row lock (the lock every audit writer takes anyway), so
        # concurrent attempts are counted one after the other and none slips past a lockout.
        session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())
        until = locked_until(session, key, address, now)
    if until is not None:
        session.add(SigninAttempt(at=now, username=key, address=address, outcome="refused"))
        audit.append(session, kind="login.refused", actor=None, at=now,
                     summary=f"Sign-in refused for '{shown}' from {address}: locked until {until.isoformat()}",
                     after={"username": shown, "address": address, "locked_until": until})
        session.commit()
        return Outcome(locked_until=until, refused=True)

    _prune(session, now, limits)
    if user is not None:
        session.add(SigninAttempt(at=now, username=key, address=address, outcome="success"))
        audit.append(session, kind="login.success", actor=user, at=now,
                     summary=f"Sign-in succeeded for '{shown}' from {address}", after={"username": shown, "address": address})
        session.commit()
        return Outcome(user=user)

    session.add(SigninAttempt(at=now, username=key, address=address, outcome="failure"))
    audit.append(session, kind="login.failure", actor=None, at=now,
                 summary=f"Sign-in failed for '{shown}' from {address}", after={"username": shown, "address": address})
    session.flush()
    began = None
    if _failures(session, SigninAttempt.username == key, USER_RESET, now, limits) >= limits.max_failures:
        began = _lock(session, "username", key, address, shown, now, limits, limits.max_failures)
    if address and _failures(session, SigninAttempt.address == address, ADDRESS_RESET, now, limits) >= limits.address_max_failures:
        began = max(began or now, _lock(session, "address", key, address, shown, now, limits, limits.address_max_failures))
    session.commit()
    return Outcome(locked_until=began)


def locked_until(session, key: str, address: str, now: datetime) -> datetime | None:
    """The end of the lockout in force for this username or this address, if any."""
    conditions = [(SigninAttempt.scope == "username") & (SigninAttempt.username == key)]
    if address:
        conditions.append((SigninAttempt.scope == "address") & (SigninAttempt.address == address))
    return session.scalar(select(func.max(SigninAttempt.locked_until)).where(
        SigninAttempt.outcome == "lockout", SigninAttempt.locked_until > now, or_(*conditions)))


# What starts a count afresh: for a username its last success or lockout, for an address its last lockout.
USER_RESET = or_(SigninAttempt.outcome == "success", (SigninAttempt.outcome == "lockout") & (SigninAttempt.scope == "username"))
ADDRESS_RESET = (SigninAttempt.outcome == "lockout") & (SigninAttempt.scope == "address")


def _failures(session, who, reset, now, limits):
    """Failures inside the window after the last reset. Rows are ordered by id, not time: ids are
    given out under the lock taken in ``sign_in``, and a frozen clock gives many rows one instant."""
    reset_id = session.scalar(select(func.max(SigninAttempt.id)).where(who, reset)) or 0
    return session.scalar(select(func.count()).select_from(SigninAttempt).where(
        who, SigninAttempt.outcome == "failure", SigninAttempt.at >= now - limits.window, SigninAttempt.id > reset_id))


def _lock(session, scope, key, address, shown, now, limits, threshold):
    until = now + limits.lockout
    session.add(SigninAttempt(at=now, username=key, address=address, outcome="lockout", scope=scope, locked_until=until))
    what = f"username '{shown}'" if scope == "username" else f"address {address}"
    audit.append(session, kind="login.lockout", actor=None, at=now,
                 summary=f"Sign-in locked for {what} until {until.isoformat()} after {threshold} failures "
                         f"within {int(limits.window.total_seconds() // 60)} minutes",
                 after={"scope": scope, "username": shown, "address": address, "locked_until": until,
                        "failures": threshold, "window_minutes": int(limits.window.total_seconds() // 60)})
    session.flush()
    return until


def unlock(session, username: str = "", address: str = "", by: str = "") -> list[tuple[str, datetime]]:
    """Lift the lockouts in force for ``username`` and/or ``address`` (an operator's act, for someone
    who proved who they are another way): each ends now, and the count starts afresh. Returns
    [(what, was locked until)]; one audit event per lockout lifted, in the same transaction."""
    now = clock.now()
    key, address = key_for(printable(username or "")), printable(address or "")[:64]
    conditions = []
    if key:
        conditions.append((SigninAttempt.scope == "username") & (SigninAttempt.username == key))
    if address:
        conditions.append((SigninAttempt.scope == "address") & (SigninAttempt.address == address))
    if not conditions:
        raise ValueError("Name a username or a client address.")
    by = printable(by or "")[:60]
    session.execute(select(AuditHead.id).where(AuditHead.id == 1).with_for_update())  # as sign_in: one after the other
    lifted = []
    for row in session.scalars(select(SigninAttempt).where(
            SigninAttempt.outcome == "lockout", SigninAttempt.locked_until > now, or_(*conditions)).order_by(SigninAttempt.id)):
        what = f"username '{row.username}'" if row.scope == "username" else f"address {row.address}"
        lifted.append((what, row.locked_until))
        audit.append(session, kind="login.unlocked", actor=None, at=now,
                     summary=f"Sign-in lockout lifted for {what} (was until {row.locked_until.isoformat()})"
                             + (f" by {by}" if by else ""),
                     before={"locked_until": row.locked_until},
                     after={"scope": row.scope, "username": row.username, "address": row.address, "locked_until": now,
                            "by": by})
        row.locked_until = now
    session.commit()
    return lifted


def _prune(session, now, limits):
    horizon = now - max(KEEP_ROWS, limits.window + limits.lockout)
    session.execute(delete(SigninAttempt).where(
        SigninAttempt.at < horizon, or_(SigninAttempt.locked_until.is_(None), SigninAttempt.locked_until < now)))
