"""Migration operations that build and drop indexes without locking writes on PostgreSQL.

A plain ``CREATE INDEX`` holds a SHARE lock on the table for the whole build, so on the
big tables (orders, ledgers) a deploy would block every write for tens of seconds.
PostgreSQL's ``CREATE/DROP INDEX CONCURRENTLY`` avoids that, and Django ships it as
``AddIndexConcurrently`` / ``RemoveIndexConcurrently``. Those refuse to run inside a
transaction, and they cannot run on SQLite at all: SQLite's schema editor has no
``concurrently`` argument. The test suite and ``make run`` use SQLite, so the operations
below run concurrently on PostgreSQL and exactly like plain ``AddIndex`` /
``RemoveIndex`` anywhere else. Their state changes are those of ``AddIndex`` /
``RemoveIndex``, so ``makemigrations`` sees no difference.

Use them in a migration with ``atomic = False`` (PostgreSQL cannot build concurrently in
a transaction). The helpers :func:`drop_invalid_index` and
:func:`create_index_concurrently` do the same for raw SQL indexes in ``RunPython``.

A concurrent build that fails (deadlock, unique violation, cancelled deploy) leaves an
INVALID index behind: it is not used by queries but is still updated on every write,
and its name is taken, so a re-run would fail on "already exists" or, with
``IF NOT EXISTS``, silently keep the broken index. Every build here therefore drops an
invalid index of the same name first. And since such a migration is not atomic, a deploy
that fails halfway leaves its first indexes built without recording the migration: the
builds here skip a *valid* index of the same name, so the re-run gets past them.
"""

from typing import Literal

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import AddIndex, RemoveIndex
from django.db.migrations.state import ProjectState

__all__ = [
    "AddIndexConcurrentlyOnPostgres",
    "RemoveIndexConcurrentlyOnPostgres",
    "create_index_concurrently",
    "drop_invalid_index",
    "index_is_valid",
    "is_postgresql",
    "needs_build",
]


def is_postgresql(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def index_is_valid(schema_editor: BaseDatabaseSchemaEditor, name: str) -> bool | None:
    """Whether the PostgreSQL index ``name`` (resolved through the search path, like
    Django's unqualified index names) is valid; ``None`` if there is no such index."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indisvalid FROM pg_catalog.pg_index WHERE indexrelid = to_regclass(%s)",
            [schema_editor.quote_name(name)],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def drop_invalid_index(schema_editor: BaseDatabaseSchemaEditor, name: str) -> bool:
    """Drop the index ``name`` if a failed concurrent build left it INVALID, so the next
    build starts clean. Returns whether one was dropped.

    Does nothing on other databases, and when only collecting SQL (``sqlmigrate``):
    the printed SQL must not depend on the state of the database it was printed from.
    """
    if not is_postgresql(schema_editor) or schema_editor.collect_sql:
        return False
    if index_is_valid(schema_editor, name) is not False:
        return False
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")
    return True


def needs_build(schema_editor: BaseDatabaseSchemaEditor, name: str) -> bool:
    """Before a concurrent build of ``name`` on PostgreSQL: drop an invalid leftover, and
    say whether the index still has to be built.

    A valid index of that name is kept (``False``): the migrations using these
    operations are non-atomic, so a deploy that failed halfway has applied the first
    operations without recording the migration, and the re-run must get past them, like
    ``CREATE INDEX IF NOT EXISTS``. When only collecting SQL, always ``True``.
    """
    if schema_editor.collect_sql:
        return True
    drop_invalid_index(schema_editor, name)
    return index_is_valid(schema_editor, name) is None


def create_index_concurrently(
    schema_editor: BaseDatabaseSchemaEditor, name: str, definition: str
) -> None:
    """``CREATE INDEX CONCURRENTLY IF NOT EXISTS name definition`` on PostgreSQL, after
    dropping an invalid leftover of the same name.

    ``definition`` is the SQL after the index name (``ON table USING ... (...)``). Only
    for ``RunPython`` functions already guarded to PostgreSQL, in a non-atomic migration.
    """
    drop_invalid_index(schema_editor, name)
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {schema_editor.quote_name(name)} {definition}"
    )


class _ConcurrentlyOnPostgres:
    """On PostgreSQL, the concurrent operation (``_postgres_forwards`` and
    ``_postgres_backwards``); on any other database, ``plain``, its non-concurrent twin,
    in or out of a transaction."""

    plain: type[AddIndex | RemoveIndex]

    def describe(self) -> str:
        return f"{self.plain.describe(self)} (concurrently on PostgreSQL)"

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._run("forwards", app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._run("backwards", app_label, schema_editor, from_state, to_state)

    def _run(
        self,
        direction: Literal["forwards", "backwards"],
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        """Run ``_postgres_<direction>`` on PostgreSQL, else ``plain.database_<direction>``."""
        if is_postgresql(schema_editor):
            getattr(self, f"_postgres_{direction}")(app_label, schema_editor, from_state, to_state)
        else:
            plain_run = getattr(self.plain, f"database_{direction}")
            plain_run(self, app_label, schema_editor, from_state, to_state)

    def _build_concurrently(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, to_state: ProjectState, index
    ) -> None:
        """Build ``index`` concurrently, re-run safe (see :func:`needs_build`)."""
        self._ensure_not_in_transaction(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model) and needs_build(
            schema_editor, index.name
        ):
            schema_editor.add_index(model, index, concurrently=True)


class AddIndexConcurrentlyOnPostgres(_ConcurrentlyOnPostgres, AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, re-run safe (see :func:`needs_build`);
    plain ``AddIndex`` on any other database, in or out of a transaction."""

    plain = AddIndex

    def _postgres_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._build_concurrently(app_label, schema_editor, to_state, self.index)

    def _postgres_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # DROP INDEX CONCURRENTLY IF EXISTS: already re-run safe.
        AddIndexConcurrently.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class RemoveIndexConcurrentlyOnPostgres(_ConcurrentlyOnPostgres, RemoveIndexConcurrently):
    """``RemoveIndexConcurrently`` on PostgreSQL (re-creating the index on the way back
    is re-run safe, see :func:`needs_build`); plain ``RemoveIndex`` on any other
    database, in or out of a transaction."""

    plain = RemoveIndex

    def _postgres_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # DROP INDEX CONCURRENTLY IF EXISTS: already re-run safe.
        RemoveIndexConcurrently.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def _postgres_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        self._build_concurrently(app_label, schema_editor, to_state, index)
