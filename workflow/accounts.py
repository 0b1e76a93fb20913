"""Users: password hashing (argon2), checking a password, creation. Signing in (rate limits,
lockout, audit) is workflow/signin.py."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from models import Unit, User

from . import audit, clock
from .i18n import _
from .terms import ROLES

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("timing-equaliser")


def use_cheap_hashing():
    """Tests only: argon2 with minimal cost, so creating users does not dominate the suite."""
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    _DUMMY = _hasher.hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_credentials(session, username: str, password: str):
    """The active user whose password this is, or None. No audit, no rate limit: see signin.sign_in.

    An unknown (or None) username is checked against a dummy hash, so it costs the same time as a known one."""
    name = (username or "").strip()
    user = session.scalars(select(User).where(User.username == name)).one_or_none() if name else None
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY, password or "") and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    return user if ok and user.active else None


def authenticate(session, username: str, password: str, address: str = "", limits=None):
    """The user if the password matches and no lockout is in force; every attempt is an audit
    event. (The sign-in page uses ``signin.sign_in`` directly, to say when a lockout ends.)"""
    from .signin import sign_in

    return sign_in(session, username, password, address, limits).user


def create_user(session, username, password, role, unit_codes, display_name=None, email="", actor=None):
    if role not in ROLES:
        raise ValueError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    if session.scalars(select(User).where(User.username == username)).first():
        raise ValueError(f"User '{username}' exists already.")
    units = session.scalars(select(Unit).where(Unit.code.in_(unit_codes))).all()
    missing = set(unit_codes) - {u.code for u in units}
    if missing:
        raise ValueError(f"Unknown unit code(s): {', '.join(sorted(missing))}")
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                role=role, email=email, units=list(units))
    session.add(user)
    session.flush()
    audit.append(session, kind="user.created", actor=actor, at=clock.now(), summary=f"User {username} ({role}) created",
                 after={"username": username, "role": role, "units": sorted(unit_codes)})
    return user


def set_email_reminders(session, user, enabled: bool, email: str | None = None):
    """The user's own reminder e-mail preference and address, audited."""
    before = {"email_reminders": user.email_reminders, "email": user.email}
    if email is not None:
        email = email.strip()
        if email and ("@" not in email or len(email) > 120 or any(ch.isspace() for ch in email)):
            from .errors import InvalidData

            raise InvalidData(_("That is not an e-mail address."))
        user.email = email
    user.email_reminders = enabled
    after = {"email_reminders": user.email_reminders, "email": user.email}
    if after == before:
        return
    changes = []
    if after["email_reminders"] != before["email_reminders"]:
        changes.append(f"turned reminder e-mails {'on' if enabled else 'off'}")
    if after["email"] != before["email"]:
        changes.append("changed the e-mail address")
    audit.append(session, kind="user.updated", actor=user, at=clock.now(),
                 summary=f"{user.username} {' and '.join(changes)}", before=before, after=after)
    session.commit()
