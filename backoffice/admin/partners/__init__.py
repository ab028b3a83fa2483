"""Console: partners domain.

Registration review (待审核 queue, approve / reject), companies (tier, business owner,
customer manager, enable / disable), users, membership tiers and their benefits, and
end customers, webhooks (read-only). Every state change goes through ``partners.services``; a domain
refusal (``PartnerError``) becomes a form error or an error message, never a success.

Modules: ``common`` (counts, date filter, qualification files), ``registrations``,
``companies``, ``users``, ``tiers`` and ``end_customers``. Importing the package registers
their admins, in this order.
"""

# Registered in the console's historical order.
# isort: off
from .registrations import RegistrationApplicationAdmin
from .companies import CompanyAdmin, CompanyResource
from .users import UserAdmin, UserResource
from .tiers import BenefitAdmin, TierAdmin
from .end_customers import EndCustomerAdmin
from .api_keys import ApiKeyAdmin
from .webhooks import WebhookDeliveryAdmin, WebhookEndpointAdmin

# isort: on

__all__ = [
    "ApiKeyAdmin",
    "BenefitAdmin",
    "CompanyAdmin",
    "CompanyResource",
    "EndCustomerAdmin",
    "RegistrationApplicationAdmin",
    "TierAdmin",
    "UserAdmin",
    "UserResource",
    "WebhookDeliveryAdmin",
    "WebhookEndpointAdmin",
]
