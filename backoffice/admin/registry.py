"""Imports every console module so their registrations land on the one site."""

from . import finance, partners, system  # noqa: F401
