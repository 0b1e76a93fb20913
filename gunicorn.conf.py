"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app`` (or ``make serve``).

Everything that differs between machines comes from the environment:

| variable | default | meaning |
|---|---|---|
| `BIND` | `127.0.0.1:8000` | address to listen on (put nginx or another proxy in front; set `TRUSTED_PROXIES`) |
| `WEB_CONCURRENCY` | `2 × cores + 1` | worker processes (sync workers: one request at a time each) |
| `GUNICORN_TIMEOUT` | `60` | seconds before a stuck worker is killed and replaced |
| `GUNICORN_MAX_REQUESTS` | `5000` | a worker is recycled after this many requests (with jitter): memory stays bounded |
| `LOG_FORMAT` | `json` | `json`: one JSON object per line for the error and access logs; `text`: gunicorn's lines |
| `LOG_LEVEL` | `info` | |

The scheduler is NOT started here (nor by the app factory): run ``flask --app wsgi scheduler run``
as its own process, on one or two hosts (see README, "Production deployment").
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 2
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# Each worker builds the app itself: no database connection is ever shared across a fork.
preload_app = False
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file; a slow disk must not make workers look dead
proc_name = "cadreflow"

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "web.jsonlog.JsonFormatter"}},
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "root": {"level": loglevel.upper(), "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
