"""The task of tests/backoffice/test_graceful_stop.py, run by a real qcluster."""

import time
from pathlib import Path


def nap(marker_dir: str, name: str, seconds: float) -> str:
    """Mark the start, sleep, mark the end: the test sees which tasks ran and finished."""
    Path(marker_dir, f"{name}.started").touch()
    time.sleep(seconds)
    Path(marker_dir, f"{name}.done").touch()
    return name
