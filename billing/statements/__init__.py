"""Revenue-share statements (分账管理, spec 9, decisions 7 and 8).

- ``services``: generation (set-based, idempotent) and large exports
- ``workflow``: the status workflow (confirm, dispute, resolve, adjust, voucher, complete)
- ``selectors``: header totals per currency, portal and console querysets
- ``excel`` / ``pdf``: the downloadable documents
- ``tasks``: the monthly schedule and large exports (django-q2)

The models live in ``billing/models/statements.py`` (a sub-package has no app).
"""
