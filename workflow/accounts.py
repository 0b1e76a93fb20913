"""Users: password hashing (argon2), sign-in with an audit event, creation."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from models import Unit, User

from . import audit, clock
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


def authenticate(session, username: str, password: str, address: str = ""):
    """The user if the password matches; every attempt is an audit event."""
    user = session.scalars(select(User).where(User.username == (username or "").strip())).one_or_none()
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY, password or "") and user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user.active
    audit.append(
        session, kind="login.success" if ok else "login.failure", actor=user if ok else None, at=clock.now(),
        summary=f"Sign-in {'succeeded' if ok else 'failed'} for '{(username or '')[:60]}' from {address}",
        after={"username": (username or "")[:60], "address": address},
    )
    session.commit()
    return user if ok else None


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

            raise InvalidData("That is not an e-mail address. 邮箱地址格式不正确。")
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
