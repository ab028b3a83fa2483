#!/usr/bin/env bash
# Run the web server and the django-q2 task worker together; one Ctrl-C stops both
# within 10 s (tests/backoffice/test_graceful_stop.py).
set -uo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
pids=()
cleanup() {
  trap - INT TERM EXIT
  # Ctrl-C already sent SIGINT to the whole foreground group; SIGTERM covers `kill <this
  # script>`. qcluster stops within about 8 s (running tasks get 4 s, then go back to the
  # queue: backoffice/core/worker.py); whatever still runs after 9 s is killed.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  (
    sleep 9 &
    trap 'kill $! 2>/dev/null; wait $!; exit 0' TERM
    wait $!
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  ) &
  local watchdog=$!
  wait "${pids[@]}" 2>/dev/null
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
}
trap cleanup INT TERM EXIT
"$PY" manage.py qcluster &
pids+=($!)
"$PY" manage.py runserver "0.0.0.0:${PORT}" --noreload &
pids+=($!)
# Stop everything as soon as either process exits.
wait -n
