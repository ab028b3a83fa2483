import pytest
from django.db import transaction
from django_q.models import Success

from backoffice.core.tasks import enqueue_on_commit

CALLS: list[str] = []


def record(value: str) -> str:
    CALLS.append(value)
    return value


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


@pytest.mark.django_db(transaction=True)
def test_task_runs_only_after_commit():
    with transaction.atomic():
        enqueue_on_commit(record, "committed")
        assert CALLS == [], "a task must not run before the transaction commits"
    assert CALLS == ["committed"]
    assert Success.objects.filter(func="tests.backoffice.test_tasks.record").count() == 1


@pytest.mark.django_db(transaction=True)
def test_task_never_runs_after_rollback():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        enqueue_on_commit(record, "rolled back")
        raise Boom
    assert CALLS == []
    assert not Success.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_task_path_may_be_given_as_string():
    with transaction.atomic():
        enqueue_on_commit("tests.backoffice.test_tasks.record", "by path")
    assert CALLS == ["by path"]
