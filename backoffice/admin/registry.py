"""Imports every console module so their registrations land on the one site."""

from . import partners, system  # noqa: F401
