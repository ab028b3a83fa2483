"""Helpers of the console export tests (django-import-export's export form): the form as a
browser posts it and the sheet of the file it answers."""

import io
from collections.abc import Iterable

import openpyxl
from django.contrib import admin


def export_format_index(model, title: str = "xlsx") -> int:
    """The position of the ``title`` format in the choices of ``model``'s export form."""
    formats = admin.site._registry[model].get_export_formats()
    return next(i for i, fmt in enumerate(formats) if fmt().get_title() == title)


def export_form(model, resource, fields: Iterable[str], *, title: str = "xlsx") -> dict:
    """The export form of ``model``: the ``title`` format, the first resource and the
    ``fields`` of ``resource`` ticked."""
    data = {"format": export_format_index(model, title), "resource": 0}
    data.update({f"{resource.__name__.lower()}_{field}": "on" for field in fields})
    return data


def export_sheet(response):
    """The active sheet of the xlsx file a streamed export answered."""
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
