"""State-changing functions of the partners domain.

One module per area; every public name is re-exported here, so callers keep importing
``partners.services`` (``from partners import services``; ``services.registration_submit``).

* ``staff``: staff users of the console and their role groups
* ``registration``: registration applications and their review
* ``accounts``: activation and password reset
* ``companies``: companies, their users, sub-resellers, status and terms
* ``customers``: end customers (我的客户)
* ``base``: ``PartnerError`` and the checks several of them share
"""

from .accounts import (
    activation_mail_enqueue,
    activation_resend,
    password_reset_complete,
    password_reset_request,
    user_activate,
    user_set_language,
)
from .api_keys import api_key_create, api_key_revoke, api_key_touch
from .base import PartnerError, company_name_taken, default_tier
from .companies import (
    COMPANY_CREATE_FIELDS,
    can_manage_company_users,
    company_admin_transfer,
    company_create,
    company_set_status,
    company_terms_set,
    company_user_delete,
    company_user_invite,
    company_user_update,
    company_users_set_active,
    sub_reseller_create,
    sub_reseller_update,
    sub_resellers_set_status,
)
from .customers import (
    END_CUSTOMER_FIELDS,
    end_customer_create,
    end_customer_delete,
    end_customer_update,
)
from .grants import co_admin_allocate_grant
from .registration import registration_approve, registration_reject, registration_submit
from .staff import staff_roles_sync, staff_user_upsert

__all__ = [
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "COMPANY_CREATE_FIELDS",
    "END_CUSTOMER_FIELDS",
    "PartnerError",
    "co_admin_allocate_grant",
    "activation_mail_enqueue",
    "activation_resend",
    "can_manage_company_users",
    "company_admin_transfer",
    "company_create",
    "company_name_taken",
    "company_set_status",
    "company_terms_set",
    "company_user_delete",
    "company_user_invite",
    "company_user_update",
    "company_users_set_active",
    "default_tier",
    "end_customer_create",
    "end_customer_delete",
    "end_customer_update",
    "password_reset_complete",
    "password_reset_request",
    "registration_approve",
    "registration_reject",
    "registration_submit",
    "staff_roles_sync",
    "staff_user_upsert",
    "sub_reseller_create",
    "sub_reseller_update",
    "sub_resellers_set_status",
    "user_activate",
    "user_set_language",
]
