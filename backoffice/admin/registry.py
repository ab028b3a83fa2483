"""Imports every domain module of the console so their registrations land on the one site.

The list is explicit: a new domain module (``backoffice/admin/<domain>.py`` or package)
is added here. The order is the registration order (the site's registry, which the
history and walk tests iterate). The other modules (``base``, ``queues``, ``navigation``,
``search`` ...) hold no ModelAdmin and are imported by the domain modules using them.
"""

# isort: off
from . import catalog
from . import contracts
from . import partners
from . import finance
from . import leads
from . import my_exports
from . import orders
from . import refunds
from . import statements
from . import system
from . import twofactor

# isort: on

DOMAIN_MODULES = (
    catalog,
    contracts,
    partners,
    finance,
    leads,
    my_exports,
    orders,
    refunds,
    statements,
    system,
    twofactor,
)
