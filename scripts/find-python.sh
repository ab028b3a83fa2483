#!/usr/bin/env bash
# Print the path of a Python 3.12+ interpreter, or fail with a clear message.
# Order: $PYTHON, python3.13/3.12 on PATH, pyenv-installed versions, python3.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for v in python3.14 python3.13 python3.12; do
  p=$(command -v "$v" 2>/dev/null) && candidates+=("$p")
done
for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* /usr/local/bin /usr/bin; do
  for b in "$d"/bin/python3 "$d"/python3.13 "$d"/python3.12; do
    [ -x "$b" ] && candidates+=("$b")
  done
done
p=$(command -v python3 2>/dev/null) && candidates+=("$p")
for c in "${candidates[@]}"; do
  if ok "$c"; then
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "error: Python 3.12 or newer is required (Django 6.x). Install python3.12+ or set PYTHON=/path/to/python3.12." >&2
exit 1
