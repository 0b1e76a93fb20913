"""Configuration from the environment. Nothing secret is stored in the repository."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def from_environment(instance_path: str) -> dict:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    default_db = "sqlite:///" + os.path.join(instance_path, "cadreflow.sqlite")
    url = os.environ.get("DATABASE_URL", default_db)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    secure = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        # Long forms must survive: the CSRF token lives as long as the session, not an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_HOURS", "8"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        # Flask-Login's remember-me cookie (not offered today) gets the same flags.
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # Signed in but no request for this long: signed out on the next one (0 turns it off).
        "IDLE_MINUTES": _whole("IDLE_MINUTES", 30, allow_zero=True),
        # Sign-in limits (workflow/signin.py): failures per username / per client address within the
        # window lock that username / address for the lockout time.
        "SIGNIN_MAX_FAILURES": _whole("SIGNIN_MAX_FAILURES", 5),
        "SIGNIN_ADDRESS_MAX_FAILURES": _whole("SIGNIN_ADDRESS_MAX_FAILURES", 20),
        "SIGNIN_WINDOW_MINUTES": _whole("SIGNIN_WINDOW_MINUTES", 15),
        "SIGNIN_LOCKOUT_MINUTES": _whole("SIGNIN_LOCKOUT_MINUTES", 15),
        # Strict-Transport-Security is sent only when cookies are Secure (the site is on HTTPS).
        "HSTS_SECONDS": _whole("HSTS_SECONDS", 365 * 24 * 3600, allow_zero=True),
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", "20")),
        # The interface language when the browser states no preference (zh or en).
        "DEFAULT_LANGUAGE": os.environ.get("DEFAULT_LANGUAGE", "zh") if os.environ.get("DEFAULT_LANGUAGE") in ("zh", "en") else "zh",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "cadreflow@localhost"),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "0") == "1",
    }


def _whole(name: str, default: int, allow_zero: bool = False) -> int:
    """A whole number from the environment (minutes, counts or seconds), refused clearly if it is not one."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or (int(raw) == 0 and not allow_zero):
        raise ValueError(f"{name} must be a whole number{' (0 or more)' if allow_zero else ' above 0'}, not {raw!r}.")
    return int(raw)


def _instance_secret(instance_path: str) -> str:
    """A random key kept in instance/ (git-ignored) when SECRET_KEY is not set."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
