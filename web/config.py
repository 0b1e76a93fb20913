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
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance_path),
        # Long forms must survive: the CSRF token lives as long as the session, not an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_HOURS", "8"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "PAGE_SIZE": int(os.environ.get("PAGE_SIZE", "20")),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "cadreflow@localhost"),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "0") == "1",
    }


def _instance_secret(instance_path: str) -> str:
    """A random key kept in instance/ (git-ignored) when SECRET_KEY is not set."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
