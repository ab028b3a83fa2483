"""End customers (我的客户) of a partner company."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from ..models import (
    Company,
    EndCustomer,
    User,
)
from .base import PartnerError

END_CUSTOMER_FIELDS = ("name", "email", "company_name", "phone", "address")


@transaction.atomic
def end_customer_create(*, company: Company, actor: User, **fields) -> EndCustomer:
    customer = EndCustomer(
        company=company, created_by=actor, **{k: fields.get(k, "") for k in END_CUSTOMER_FIELDS}
    )
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def end_customer_update(*, customer: EndCustomer, **fields) -> EndCustomer:
    for key in END_CUSTOMER_FIELDS:
        if key in fields:
            setattr(customer, key, fields[key])
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def end_customer_delete(*, customer: EndCustomer) -> None:
    """Refused once an order uses the customer (orders keep a PROTECTed reference)."""
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError as exc:
        raise PartnerError(
            _("“%(name)s” is used by orders and cannot be deleted.") % {"name": customer.name},
            code="in_use",
        ) from exc
