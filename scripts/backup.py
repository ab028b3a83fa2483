"""Backups of the database and the media, and their verification (README "Backups").

    python scripts/backup.py backup [--out DIR]           # var/backups/<UTC time>/
    python scripts/backup.py restore-check [BACKUP_DIR]    # default: the newest backup
    python scripts/backup.py restore BACKUP_DIR --into-database NAME [--media-to DIR]

A backup directory holds ``db.dump`` (``pg_dump -Fc``), ``media/`` (the media folder,
or every object of the S3 bucket when AWS_STORAGE_BUCKET_NAME is set) and
``manifest.json``: the row count of every table, read in the very snapshot pg_dump
dumps (``pg_export_snapshot``), so the counts are exact even while the site runs, and
the SHA-256 of every media file.

``restore-check`` restores into a fresh database on the same server, compares every
table's row count with the manifest, runs ``check_ledgers`` on the restored database,
checks every media file against its checksum, then drops that database (``--keep``
keeps it). Any difference makes it exit non-zero. ``restore`` does the same into a
database you name (created if missing; it must be empty) and copies the media to a
folder or (no --media-to, S3 configured) back into the bucket.

Settings come from Django (DJANGO_SETTINGS_MODULE, default backoffice.settings.base):
DATABASE_URL must be PostgreSQL; ``--media-root`` overrides MEDIA_ROOT.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media"


class BackupError(Exception):
    pass


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.base")
    import django

    django.setup()


def _database() -> dict:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].rsplit(".", 1)[-1] != "postgresql":
        raise BackupError("Backups need PostgreSQL: set DATABASE_URL=postgres://...")
    return database


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program (Debian: postgresql-client)."""
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs.")
    return path


def _pg_env(database: dict) -> dict:
    """libpq environment for pg_dump/pg_restore/psql (the password never on a command line)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if database.get(key):
            env[variable] = str(database[key])
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    return env


def _connect(database: dict, name: str | None = None):
    import psycopg

    return psycopg.connect(
        dbname=name or database["NAME"],
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        autocommit=True,
    )


def _row_counts(cursor) -> dict[str, int]:
    """Exact row count of every table of the current schema (a full count: backup time)."""
    from psycopg import sql

    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    counts = {}
    for (table,) in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_manifest(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _bucket():
    """The S3 bucket (django-storages' boto3 Bucket) when media live there, else None."""
    from django.conf import settings
    from django.core.files.storage import storages

    if not settings.AWS_STORAGE_BUCKET_NAME:
        return None
    return storages["private"].bucket


def _media_root(args) -> Path:
    from django.conf import settings

    return Path(args.media_root or settings.MEDIA_ROOT)


# --------------------------------------------------------------------------
# backup
# --------------------------------------------------------------------------


def backup(args) -> Path:
    database = _database()
    target = Path(args.out or ROOT / "var" / "backups") / datetime.now(UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    target.mkdir(parents=True)
    with _connect(database) as connection, connection.cursor() as cursor:
        # One snapshot for the dump and the counts: they describe the same moment.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        subprocess.run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target / DUMP}",
                database["NAME"],
            ],
            env=_pg_env(database),
            check=True,
        )
        tables = _row_counts(cursor)
        cursor.execute("COMMIT")
    media = target / MEDIA
    bucket = _bucket()
    if bucket is not None:
        for item in bucket.objects.all():
            destination = media / item.key
            destination.parent.mkdir(parents=True, exist_ok=True)
            bucket.download_file(item.key, str(destination))
        source = f"s3://{bucket.name}"
    else:
        root = _media_root(args)
        if root.exists():
            shutil.copytree(root, media, symlinks=False)
        source = str(root)
    media.mkdir(exist_ok=True)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "database": database["NAME"],
        "tables": tables,
        "media_source": source,
        "media": _media_manifest(media),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    print(
        f"backup {target}: {len(tables)} tables, {sum(tables.values())} rows, "
        f"{len(manifest['media'])} media files"
    )
    return target


# --------------------------------------------------------------------------
# restore and verification
# --------------------------------------------------------------------------


def _latest(folder: Path) -> Path:
    candidates = sorted(p for p in folder.iterdir() if (p / MANIFEST).exists())
    if not candidates:
        raise BackupError(f"No backup under {folder}.")
    return candidates[-1]


def _restore_database(database: dict, source: Path, name: str, *, create: bool) -> None:
    from psycopg import sql

    with _connect(database, "postgres") as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and create:
            raise BackupError(f"Database {name} exists already.")
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with _connect(database, name) as connection:
        if _row_counts(connection.cursor()):
            raise BackupError(f"Database {name} is not empty.")
    subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={name}",
            str(source / DUMP),
        ],
        env=_pg_env(database),
        check=True,
    )


def _drop_database(database: dict, name: str) -> None:
    from psycopg import sql

    with _connect(database, "postgres") as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _database_url(database: dict, name: str) -> str:
    from urllib.parse import quote

    user = quote(database.get("USER") or "", safe="")
    password = quote(database.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"


def verify(database: dict, source: Path, name: str, media: Path) -> list[str]:
    """Every difference between the backup's manifest and the restored database and media."""
    manifest = json.loads((source / MANIFEST).read_text())
    problems = []
    with _connect(database, name) as connection:
        restored = _row_counts(connection.cursor())
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(restored)):
        if expected.get(table) != restored.get(table):
            problems.append(
                f"table {table}: {expected.get(table)} rows backed up, "
                f"{restored.get(table)} restored"
            )
    files = _media_manifest(media)
    for path in sorted(set(manifest["media"]) | set(files)):
        if manifest["media"].get(path) != files.get(path):
            problems.append(f"media {path}: checksum or presence differs")
    # The restored ledgers must balance (every invariant of check_ledgers).
    env = {**os.environ, "DATABASE_URL": _database_url(database, name)}
    check = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check_ledgers"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(check.stdout.strip())
    if check.returncode:
        problems.append(f"check_ledgers failed: {(check.stderr or check.stdout).strip()}")
    return problems


def _report(problems: list[str], source: Path, name: str) -> int:
    if problems:
        for problem in problems:
            print(f"  DIFFERENCE {problem}", file=sys.stderr)
        print(f"restore of {source} into {name}: {len(problems)} difference(s)", file=sys.stderr)
        return 1
    print(f"restore of {source} into {name}: row counts, ledgers and media match")
    return 0


def restore_check(args) -> int:
    database = _database()
    source = Path(args.backup) if args.backup else _latest(ROOT / "var" / "backups")
    name = f"{database['NAME']}_restorecheck_{os.getpid()}"[:63]
    _restore_database(database, source, name, create=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            media = Path(folder) / MEDIA
            shutil.copytree(source / MEDIA, media)
            problems = verify(database, source, name, media)
    finally:
        if not args.keep:
            _drop_database(database, name)
    return _report(problems, source, name)


def restore(args) -> int:
    database = _database()
    source = Path(args.backup)
    _restore_database(database, source, args.into_database, create=False)
    bucket = None if args.media_to else _bucket()
    if bucket is not None:
        for path in (source / MEDIA).rglob("*"):
            if path.is_file():
                bucket.upload_file(str(path), path.relative_to(source / MEDIA).as_posix())
        media = source / MEDIA
    else:
        media = Path(args.media_to or _media_root(args))
        shutil.copytree(source / MEDIA, media, dirs_exist_ok=True)
    return _report(verify(database, source, args.into_database, media), source, args.into_database)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--media-root", help="media folder (default: MEDIA_ROOT)")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="dump the database and copy the media")
    make.add_argument("--out", help="parent folder (default: var/backups)")
    check = commands.add_parser("restore-check", help="restore into a fresh database and verify")
    check.add_argument("backup", nargs="?", help="backup folder (default: the newest)")
    check.add_argument("--keep", action="store_true", help="keep the restored database")
    into = commands.add_parser("restore", help="restore into a named database and verify")
    into.add_argument("backup", help="backup folder")
    into.add_argument("--into-database", required=True, help="empty or new database name")
    into.add_argument("--media-to", help="media folder (default: MEDIA_ROOT, or the bucket)")
    args = parser.parse_args(argv)
    _django()
    try:
        if args.command == "backup":
            backup(args)
            return 0
        return restore_check(args) if args.command == "restore-check" else restore(args)
    except (BackupError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
