"""Revenue-share statements (分账管理, spec 9, decisions 7 and 8).

- ``services``: generation (set-based, idempotent) and the status workflow
- ``selectors``: header totals per currency, portal and console querysets
- ``excel`` / ``pdf``: the downloadable documents
- ``tasks``: the monthly schedule and large exports (django-q2)

The models live at the end of ``billing/models.py`` (a sub-package has no app).
"""
