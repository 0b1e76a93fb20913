#!/usr/bin/env bash
# Runs the whole suite on SQLite, then on PostgreSQL:
#  - TEST_DATABASE_URL set (CI sets it): that database must be reachable, or the run fails;
#  - not set: the local default postgresql://postgres@127.0.0.1:5432/test is tried, and the
#    PostgreSQL run is skipped with a message when nothing answers there.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
status=0

echo "=== Test suite on SQLite ==="
env -u TEST_DATABASE_URL $BIN/python -m pytest "$@" || status=$?

pg_url="${TEST_DATABASE_URL:-}"
required=1
if [ -z "$pg_url" ]; then
  pg_url="postgresql://postgres@127.0.0.1:5432/test"
  required=0
fi
if $BIN/python - "$pg_url" <<'PY'
import sys, psycopg
url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "=== Test suite on PostgreSQL ($pg_url) ==="
  TEST_DATABASE_URL="$pg_url" $BIN/python -m pytest "$@" || status=$?
elif [ "$required" = 1 ]; then
  echo "TEST_DATABASE_URL is set but PostgreSQL does not answer: failing." >&2
  status=1
else
  echo "=== PostgreSQL run skipped: no PostgreSQL answers at $pg_url (set TEST_DATABASE_URL to use another) ==="
fi
exit $status
