"""The kernel: the ground floor every domain and front door stands on.

Money (``money``), document numbers and their counters (``numbering``), the mail outbox
(``mail``, ``models``), tasks queued on commit (``tasks``), private storage and file
responses (``storage``, ``files``), the CJK PDF font (``fonts``) and the migration
operations (``migration_operations``). It imports no domain app and no front door
(import-linter checks it: pyproject.toml).
"""
