#!/usr/bin/env bash
# The demo: migrate, load the demo organization on first start, start the scheduler process
# beside the web server, stop both together.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-5000}"
$BIN/flask --app wsgi db upgrade
$BIN/flask --app wsgi demo load
mkdir -p instance
$BIN/flask --app wsgi scheduler run > instance/scheduler.log 2>&1 &
scheduler=$!
trap 'kill $scheduler 2>/dev/null || true' EXIT INT TERM
echo "Scheduler running (pid $scheduler, log instance/scheduler.log)."
echo "Open http://127.0.0.1:$PORT/ and sign in with a demo login above."
$BIN/flask --app wsgi run --host 127.0.0.1 --port "$PORT"
