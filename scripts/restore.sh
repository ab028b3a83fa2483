#!/usr/bin/env bash
# Restore a backup and verify it: README "Backups".
#   scripts/restore.sh [BACKUP_DIR]                          restore into a fresh database, verify, drop it
#   scripts/restore.sh BACKUP_DIR --into-database NAME [--media-to DIR]   the real restore
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --into-database "* ]]; then
  exec "${VENV:-.venv}/bin/python" scripts/backup.py restore "$@"
fi
exec "${VENV:-.venv}/bin/python" scripts/backup.py restore-check "$@"
