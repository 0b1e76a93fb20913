"""Structured logs: one JSON object per line, for gunicorn (error and access logs) and the scheduler.

``LOG_FORMAT=json`` (the default in gunicorn.conf.py) turns them on; ``text`` keeps the classic lines.
"""
import json
import logging
from datetime import UTC, datetime

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# gunicorn's access logger passes its atoms as the record's args: these become fields.
ACCESS_ATOMS = {"h": "remote", "m": "method", "U": "path", "q": "query", "s": "status", "B": "bytes", "a": "agent",
                "f": "referer"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            out["msg"] = "request"
            for atom, name in ACCESS_ATOMS.items():
                if atom in atoms:
                    out[name] = atoms[atom]
            if "D" in atoms:  # microseconds
                out["duration_ms"] = round(int(atoms["D"]) / 1000, 3)
            if isinstance(out.get("status"), str) and out["status"].isdigit():
                out["status"] = int(out["status"])
        else:
            out["msg"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(fmt="text", level=logging.INFO):
    """Root logging for a process of ours (the scheduler): JSON lines or text, to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
