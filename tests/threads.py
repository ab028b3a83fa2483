"""Concurrency tests' plumbing (PostgreSQL): steps on their own threads and connections."""

import threading
from collections.abc import Callable


def run_together(
    *steps: Callable[[], object], start_timeout: float = 30, join_timeout: float = 120
) -> list[BaseException]:
    """Run each step on its own thread (so its own database connections), all released at
    once by a barrier, and wait for them. Returns what the steps raised (a broken barrier
    too), for the test to assert on."""
    from django.db import connections

    barrier = threading.Barrier(len(steps))
    errors: list[BaseException] = []

    def run(step: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=start_timeout)
            step()
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    return errors
