"""One date and time format for the console and the portal, in both languages.

``2026-12-03 14:52``: Django's own zh-hans format ("2026年12月3日 14:52") and English one
("Dec. 3, 2026, 2:52 p.m.") differ and wrap in table cells. Templates write
``|date:"DATETIME_FORMAT"`` (or ``DATE_FORMAT``) and the console's lists use these too.
Input formats stay Django's.
"""
