#!/usr/bin/env bash
# Back up the database (pg_dump -Fc) and the media: README "Backups". Extra arguments go to
# scripts/backup.py backup (e.g. --out /srv/backups).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/python" scripts/backup.py backup "$@"
