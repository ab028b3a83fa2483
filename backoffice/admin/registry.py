"""Imports every domain module of the console so their registrations land on the one site.

A new ``backoffice/admin/<domain>.py`` is picked up without editing this file.
"""

import importlib
import pkgutil

INFRASTRUCTURE = {
    "apps",
    "base",
    "dashboard",
    "navigation",
    "paginator",
    "registry",
    "sites",
    "unfold_i18n",
}

for module in pkgutil.iter_modules(importlib.import_module("backoffice.admin").__path__):
    if module.name not in INFRASTRUCTURE and not module.name.startswith("_"):
        importlib.import_module(f"backoffice.admin.{module.name}")
