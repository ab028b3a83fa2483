#!/usr/bin/env bash
# Run the web server and the django-q2 task worker together; one Ctrl-C stops both.
set -uo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup INT TERM EXIT
"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver "0.0.0.0:${PORT}" --noreload &
pids+=($!)
# Stop everything as soon as either process exits.
wait -n
