"""Index migrations that build CONCURRENTLY on PostgreSQL and plainly on SQLite.

``billing 0008`` and ``partners 0006`` add indexes to the big tables (orders, ledgers):
on PostgreSQL they must build and drop them concurrently (no write lock during a
deploy), and on SQLite (tests, ``make run``) they must do exactly what plain
``AddIndex`` / ``RemoveIndex`` do.
"""

import importlib
from collections.abc import Iterator

import pytest
from django.db import NotSupportedError, connection, migrations, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState
from django.test.utils import CaptureQueriesContext

from backoffice.core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
    create_index_concurrently,
    drop_invalid_index,
)

pytestmark = pytest.mark.django_db(transaction=True)

BILLING_BEFORE = ("billing", "0007_pending_postings")
BILLING_AFTER = ("billing", "0008_console_list_indexes")
PARTNERS_BEFORE = ("partners", "0005_staff_role_groups")
PARTNERS_AFTER = ("partners", "0006_console_search_trgm")

billing_0008 = importlib.import_module("billing.migrations.0008_console_list_indexes")
partners_0006 = importlib.import_module("partners.migrations.0006_console_search_trgm")

# The model indexes billing 0008 creates (or re-creates), by table.
BILLING_0008_INDEXES = {
    "billing_creditentry": ["billing_credit_order_idx", "billing_credit_created_idx"],
    "billing_rebateentry": ["billing_rebate_order_idx", "billing_rebate_created_idx"],
    "billing_statement": ["billing_stmt_list_idx"],
}
TRIGRAM_INDEXES = [*billing_0008.TRIGRAM_INDEXES, *partners_0006.TRIGRAM_INDEXES]
ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    """A migration executor; whatever the test migrated, every app is back at its latest
    migration afterwards."""
    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(executor: MigrationExecutor, *targets: tuple[str, str]) -> None:
    executor.loader.build_graph()  # re-read which migrations are applied
    executor.migrate(list(targets))


def indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: info for name, info in constraints.items() if info["index"]}


def invalid_indexes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE NOT i.indisvalid"
        )
        return [name for (name,) in cursor.fetchall()]


def index_definition(name: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else None


def mark_invalid(name: str) -> None:
    """What a failed ``CREATE INDEX CONCURRENTLY`` leaves behind: an INVALID index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s)", [name]
        )
    assert name in invalid_indexes()


def as_plain(operation: migrations.operations.base.Operation):
    """The plain Django operation ours stands for."""
    if isinstance(operation, AddIndexConcurrentlyOnPostgres):
        return migrations.AddIndex(model_name=operation.model_name, index=operation.index)
    if isinstance(operation, RemoveIndexConcurrentlyOnPostgres):
        return migrations.RemoveIndex(model_name=operation.model_name, name=operation.name)
    return operation


def collected_sql(operations: list, state: ProjectState, *, backwards: bool = False) -> list[str]:
    """The SQL ``sqlmigrate`` would print for the index operations, without comments."""
    migration = migrations.Migration("probe", "billing")
    migration.operations = operations
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        if backwards:
            migration.unapply(state.clone(), editor, collect_sql=True)
        else:
            migration.apply(state.clone(), editor, collect_sql=True)
    return [sql for sql in editor.collected_sql if not sql.startswith("--")]


# --------------------------------------------------------------------------
# Any database
# --------------------------------------------------------------------------


def test_migrations_are_non_atomic_and_use_the_concurrent_operations():
    assert billing_0008.Migration.atomic is False
    assert partners_0006.Migration.atomic is False
    index_operations = [
        op
        for op in billing_0008.Migration.operations
        if isinstance(op, migrations.AddIndex | migrations.RemoveIndex)
    ]
    assert len(index_operations) == 7
    assert all(
        isinstance(op, AddIndexConcurrentlyOnPostgres | RemoveIndexConcurrentlyOnPostgres)
        for op in index_operations
    )


def test_billing_0008_backwards_and_forwards_leaves_its_indexes(executor):
    migrate(executor, BILLING_BEFORE)
    before = {table: indexes(table) for table in BILLING_0008_INDEXES}
    assert "billing_credit_created_idx" not in before["billing_creditentry"]
    assert "billing_stmt_list_idx" not in before["billing_statement"]
    assert "billing_credit_order_idx" in before["billing_creditentry"]  # the old one
    if ON_POSTGRES:
        assert index_definition("billing_order_customer_company_trgm") is None
        assert "varchar_pattern_ops" not in index_definition("billing_credit_order_idx")

    with CaptureQueriesContext(connection) as captured:
        migrate(executor, BILLING_AFTER)

    for table, names in BILLING_0008_INDEXES.items():
        assert set(names) <= set(indexes(table)), table
    assert indexes("billing_creditentry")["billing_credit_created_idx"]["columns"] == [
        "created_at",
        "id",
    ]
    assert indexes("billing_statement")["billing_stmt_list_idx"]["orders"] == [
        "DESC",
        "ASC",
        "ASC",
        "DESC",
    ]
    ddl = [q["sql"] for q in captured if q["sql"].startswith(("CREATE INDEX", "DROP INDEX"))]
    assert len(ddl) == 2 + 5 + (2 if ON_POSTGRES else 0)
    if ON_POSTGRES:
        assert all(" CONCURRENTLY " in sql for sql in ddl), ddl
        assert invalid_indexes() == []
        for name in ("billing_credit_order_idx", "billing_rebate_order_idx"):
            assert "varchar_pattern_ops" in index_definition(name)
        for name in billing_0008.TRIGRAM_INDEXES:
            assert "gin_trgm_ops" in index_definition(name)
    else:
        assert not any("CONCURRENTLY" in sql for sql in ddl), ddl


def test_the_operations_emit_the_sql_of_plain_add_and_remove_index(executor):
    """Same statements as plain AddIndex/RemoveIndex, forwards and backwards; on
    PostgreSQL only the CONCURRENTLY keyword differs."""
    state = executor.loader.project_state(BILLING_BEFORE)
    ours = [op for op in billing_0008.Migration.operations if as_plain(op) is not op]
    plain = [as_plain(op) for op in ours]
    after = executor.loader.project_state(BILLING_AFTER)
    for backwards, start in ((False, state), (True, after)):
        ours_sql = collected_sql(ours, start, backwards=backwards)
        plain_sql = collected_sql(plain, start, backwards=backwards)
        assert len(ours_sql) == 7
        if ON_POSTGRES:
            assert all(" CONCURRENTLY " in sql for sql in ours_sql)
            ours_sql = [sql.replace(" CONCURRENTLY ", " ") for sql in ours_sql]
        assert ours_sql == plain_sql


def test_the_state_changes_are_those_of_plain_add_and_remove_index(executor):
    start = executor.loader.project_state(BILLING_BEFORE)
    ours, plain = start.clone(), start.clone()
    for operation in billing_0008.Migration.operations:
        operation.state_forwards("billing", ours)
        as_plain(operation).state_forwards("billing", plain)
    for key in (("billing", "creditentry"), ("billing", "rebateentry"), ("billing", "statement")):
        assert ours.models[key].options["indexes"] == plain.models[key].options["indexes"]


def test_deconstruct_keeps_the_arguments_for_the_migration_writer():
    index = models.Index(fields=["-created_at"], name="probe_idx")
    name, args, kwargs = AddIndexConcurrentlyOnPostgres("statement", index).deconstruct()
    assert (name, args, kwargs) == (
        "AddIndexConcurrentlyOnPostgres",
        [],
        {"model_name": "statement", "index": index},
    )
    name, args, kwargs = RemoveIndexConcurrentlyOnPostgres("statement", "probe_idx").deconstruct()
    assert (name, kwargs) == (
        "RemoveIndexConcurrentlyOnPostgres",
        {"model_name": "statement", "name": "probe_idx"},
    )


# --------------------------------------------------------------------------
# SQLite (and any database but PostgreSQL): plain AddIndex / RemoveIndex
# --------------------------------------------------------------------------


@pytest.mark.skipif(ON_POSTGRES, reason="the non-PostgreSQL fallback")
def test_on_other_databases_the_operations_also_run_in_a_transaction(executor):
    """Django's concurrent operations refuse an atomic migration; plain AddIndex does not,
    so neither do ours off PostgreSQL."""
    state = executor.loader.project_state(BILLING_AFTER)
    index = models.Index(fields=["currency", "-id"], name="billing_stmt_probe_idx")
    add = AddIndexConcurrentlyOnPostgres(model_name="statement", index=index)
    remove = RemoveIndexConcurrentlyOnPostgres(model_name="statement", name=index.name)
    added = state.clone()
    add.state_forwards("billing", added)

    with connection.schema_editor(atomic=True) as editor:
        assert connection.in_atomic_block
        add.database_forwards("billing", editor, state, added)
    assert indexes("billing_statement")[index.name]["columns"] == ["currency", "id"]

    with connection.schema_editor(atomic=True) as editor:
        remove.database_forwards("billing", editor, added, state)
    assert index.name not in indexes("billing_statement")

    with connection.schema_editor(atomic=True) as editor:
        remove.database_backwards("billing", editor, state, added)
    assert index.name in indexes("billing_statement")

    with connection.schema_editor(atomic=True) as editor:
        add.database_backwards("billing", editor, added, state)
    assert index.name not in indexes("billing_statement")


@pytest.mark.skipif(ON_POSTGRES, reason="the non-PostgreSQL fallback")
def test_on_other_databases_the_trigram_functions_do_nothing(executor):
    migrate(executor, BILLING_BEFORE, PARTNERS_BEFORE)
    migrate(executor, BILLING_AFTER, PARTNERS_AFTER)
    for table in ("billing_order", "billing_statement", "partners_company", "partners_user"):
        assert not any(name.endswith("_trgm") for name in indexes(table))


# --------------------------------------------------------------------------
# PostgreSQL: concurrently, outside transactions, and recovering from a failed build
# --------------------------------------------------------------------------


@pytest.mark.postgres
def test_partners_0006_backwards_and_forwards_builds_concurrently(executor):
    migrate(executor, PARTNERS_BEFORE)
    for name in partners_0006.TRIGRAM_INDEXES:
        assert index_definition(name) is None

    with CaptureQueriesContext(connection) as captured:
        migrate(executor, PARTNERS_AFTER)

    creates = [q["sql"] for q in captured if q["sql"].startswith("CREATE INDEX")]
    assert len(creates) == 3
    assert all(sql.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS") for sql in creates)
    for name in partners_0006.TRIGRAM_INDEXES:
        assert "gin_trgm_ops" in index_definition(name)
    assert invalid_indexes() == []


@pytest.mark.postgres
def test_on_postgres_the_operations_refuse_a_transaction(executor):
    state = executor.loader.project_state(BILLING_AFTER)
    operation = RemoveIndexConcurrentlyOnPostgres(
        model_name="statement", name="billing_stmt_list_idx"
    )
    with (
        pytest.raises(NotSupportedError, match="atomic = False"),
        connection.schema_editor(atomic=True) as editor,
    ):
        operation.database_forwards("billing", editor, state, state)
    assert "billing_stmt_list_idx" in indexes("billing_statement")


@pytest.mark.postgres
def test_a_deploy_that_failed_halfway_is_finished_by_the_next_migrate(executor):
    """The migrations are not atomic: a failed deploy leaves some indexes built (valid),
    the one being built INVALID, and the migration unrecorded. Migrating again skips the
    valid ones and rebuilds the invalid ones rather than failing on "already exists" or
    keeping a broken index."""
    # The failed deploy: every index built, two of them invalid, neither migration
    # recorded (pg_index is what a failed CREATE INDEX CONCURRENTLY leaves behind).
    for name in ("billing_credit_created_idx", "billing_stmt_company_name_trgm"):
        mark_invalid(name)
    mark_invalid("partners_user_email_trgm")
    executor.recorder.record_unapplied(*BILLING_AFTER)
    executor.recorder.record_unapplied(*PARTNERS_AFTER)

    with CaptureQueriesContext(connection) as captured:
        migrate(executor, BILLING_AFTER, PARTNERS_AFTER)

    assert invalid_indexes() == []
    drops = [q["sql"] for q in captured if q["sql"].startswith("DROP INDEX CONCURRENTLY")]
    assert len(drops) == 2 + 3  # the two order_number indexes, the three invalid ones
    assert "varchar_pattern_ops" in index_definition("billing_credit_order_idx")
    assert "gin_trgm_ops" in index_definition("billing_stmt_company_name_trgm")
    assert "gin_trgm_ops" in index_definition("partners_user_email_trgm")
    assert index_definition("billing_credit_created_idx") is not None


@pytest.mark.postgres
def test_re_creating_a_removed_index_drops_an_invalid_leftover(executor):
    """Backwards, RemoveIndex re-creates the 0007 index: an invalid one of that name
    (a failed earlier attempt) is dropped and rebuilt."""
    migrate(executor, BILLING_BEFORE)
    before = executor.loader.project_state(BILLING_BEFORE)
    after = executor.loader.project_state(BILLING_AFTER)
    operation = RemoveIndexConcurrentlyOnPostgres(
        model_name="creditentry", name="billing_credit_order_idx"
    )
    mark_invalid("billing_credit_order_idx")

    with (
        CaptureQueriesContext(connection) as captured,
        connection.schema_editor(atomic=False) as editor,
    ):
        operation.database_backwards("billing", editor, after, before)

    assert invalid_indexes() == []
    assert [q["sql"].split(" ON ")[0] for q in captured if "INDEX" in q["sql"]] == [
        'DROP INDEX CONCURRENTLY IF EXISTS "billing_credit_order_idx"',
        'CREATE INDEX CONCURRENTLY "billing_credit_order_idx"',
    ]
    assert "varchar_pattern_ops" not in index_definition("billing_credit_order_idx")


@pytest.mark.postgres
def test_drop_invalid_index_leaves_valid_and_missing_indexes_alone():
    with connection.schema_editor(atomic=False) as editor:
        assert drop_invalid_index(editor, "billing_stmt_list_idx") is False
        assert drop_invalid_index(editor, "no_such_index") is False
    assert index_definition("billing_stmt_list_idx") is not None

    mark_invalid("billing_stmt_list_idx")
    with connection.schema_editor(atomic=False) as editor:
        assert drop_invalid_index(editor, "billing_stmt_list_idx") is True
    assert index_definition("billing_stmt_list_idx") is None

    with connection.schema_editor(atomic=False) as editor:
        create_index_concurrently(
            editor,
            "billing_stmt_list_idx",
            'ON "billing_statement" ("period_start" DESC, "company_name", "currency", "id" DESC)',
        )
    assert invalid_indexes() == []
