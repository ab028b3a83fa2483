"""End customers (我的客户, scope ``customers:manage``): the key's own company only."""

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from partners import services as partner_services
from partners.models import ApiScope, EndCustomer
from partners.selectors import end_customers

from .auth import scoped
from .pagination import page_of

router = Router(tags=["customers"])


class CustomerIn(Schema):
    name: str = Field(max_length=50)
    email: str = Field(max_length=254)
    company_name: str = Field(max_length=100)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class CustomerPatch(Schema):
    name: str | None = Field(None, max_length=50)
    email: str | None = Field(None, max_length=254)
    company_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    company_name: str
    phone: str
    address: str
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


def _own(request: HttpRequest, pk: int) -> EndCustomer:
    customer = end_customers(company=request.user.company).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


@router.get("", response=CustomerPage, auth=scoped(ApiScope.CUSTOMERS_MANAGE))
def customers(request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = 20):
    queryset = end_customers(company=request.user.company, search=q[:100])
    return page_of(queryset, cursor=cursor, limit=limit)


@router.post("", response={201: CustomerOut}, auth=scoped(ApiScope.CUSTOMERS_MANAGE))
def customer_create(request: HttpRequest, body: CustomerIn):
    return Status(
        201,
        partner_services.end_customer_create(
            company=request.user.company, actor=request.user, **body.dict()
        ),
    )


@router.get("/{int:pk}", response=CustomerOut, auth=scoped(ApiScope.CUSTOMERS_MANAGE))
def customer(request: HttpRequest, pk: int):
    return _own(request, pk)


@router.patch("/{int:pk}", response=CustomerOut, auth=scoped(ApiScope.CUSTOMERS_MANAGE))
def customer_update(request: HttpRequest, pk: int, body: CustomerPatch):
    customer = _own(request, pk)
    return partner_services.end_customer_update(customer=customer, **body.dict(exclude_none=True))


@router.delete("/{int:pk}", response={204: None}, auth=scoped(ApiScope.CUSTOMERS_MANAGE))
def customer_delete(request: HttpRequest, pk: int):
    partner_services.end_customer_delete(customer=_own(request, pk))
    return Status(204, None)
