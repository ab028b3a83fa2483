"""Run one heavy scenario in a fresh process: ``python -m bench.worker NAME '{json kwargs}'``.

Prints the scenario's result as one JSON line, so the runner gets figures (and a peak
memory) that belong to that scenario alone.
"""

import json
import os
import sys


def main(argv: list[str]) -> None:
    name, kwargs = argv[0], json.loads(argv[1] if len(argv) > 1 else "{}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from . import scenarios

    functions = {
        "statements": scenarios.statements_generation,
        "excel": scenarios.excel_export,
        "export": scenarios.orders_export,
        "pdf": scenarios.contract_pdf,
    }
    result = functions[name](**kwargs)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
