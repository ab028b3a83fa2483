"""Personal center (个人中心): profile, benefits, company users, sub-resellers, end customers.

Views are thin: every object is looked up through a company-scoped selector (another
company's id answers 404), input is validated by a form, and state changes only
through ``partners.services``. A service's domain error becomes a form error or an
error message, never a false success.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.core.files import private_file_response
from partners import selectors, services
from partners.models import Company, CompanyRole, CompanyStatus, User

from ..errors import errors_to_messages, form_submit
from ..forms.account import (
    BulkActionForm,
    CompanyUserForm,
    EndCustomerForm,
    InviteForm,
    ResellerForm,
    SearchForm,
    TransferAdminForm,
)
from ..navigation import can_manage_resellers, can_manage_users
from .base import paginate, partner_view, render_account

ENABLE_DISABLE = [("enable", gettext_lazy("Enable")), ("disable", gettext_lazy("Disable"))]
USER_ACTIONS = [*ENABLE_DISABLE, ("delete", gettext_lazy("Delete"))]


# --------------------------------------------------------------------------
# Plumbing
# --------------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, section: str, context: dict | None = None
) -> HttpResponse:
    return render_account(request, f"portal/account/{template}", section, context)


def _search_list(
    request: HttpRequest, template: str, section: str, rows: Callable[..., QuerySet], **scope
) -> HttpResponse:
    """A list page with its search box: the ``?page=`` page of the selector
    ``rows(**scope, search=term)``."""
    search = SearchForm(request.GET)
    page, page_range = paginate(request, rows(**scope, search=search.term()))
    return _render(
        request, template, section, {"search": search, "page": page, "page_range": page_range}
    )


def _bulk_form(request: HttpRequest, *, queryset: QuerySet, actions) -> BulkActionForm | None:
    form = BulkActionForm(request.POST, queryset=queryset, actions=actions)
    if form.is_valid():
        return form
    errors_to_messages(request, form)
    return None


def _users_set_active(
    request: HttpRequest, *, company: Company, users: list[User], active: bool
) -> None:
    changed = services.company_users_set_active(
        actor=request.user, company=company, user_ids=[u.pk for u in users], active=active
    )
    if active:
        messages.success(request, _("Users enabled: %(count)d.") % {"count": changed})
    else:
        messages.success(request, _("Users disabled: %(count)d.") % {"count": changed})


# --------------------------------------------------------------------------
# 个人资料, 会员权益, company files
# --------------------------------------------------------------------------


@partner_view()
def profile(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    registrant = (
        company.users.filter(company_role=CompanyRole.ADMIN, deleted_at__isnull=True)
        .only("email", "phone", "position", "company_role", "company_id")
        .first()
    )
    return _render(
        request,
        "profile.html",
        "profile",
        {
            "registrant": registrant,
            "customer_manager": company.customer_manager,
            "files": selectors.company_files(company=company),
        },
    )


@partner_view()
def benefits(request: HttpRequest) -> HttpResponse:
    tiers, rows = selectors.benefit_table()
    current_tier_id = request.user.company.tier_id
    columns = [{"tier": tier, "current": tier.pk == current_tier_id} for tier in tiers]
    groups: list[dict] = []
    for row in rows:
        if not groups or groups[-1]["category"] != row["category"]:
            groups.append({"category": row["category"], "rows": []})
        groups[-1]["rows"].append(
            {
                "name": row["name"],
                "cells": [
                    {
                        "value": value,
                        "included": value == "✓",
                        "current": column["current"],
                    }
                    for value, column in zip(row["values"], columns, strict=True)
                ],
            }
        )
    return _render(
        request,
        "benefits.html",
        "benefits",
        {"columns": columns, "groups": groups, "current_tier": request.user.company.tier},
    )


@partner_view()
def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(selectors.company_files(company=request.user.company), pk=pk)
    return private_file_response(
        record.file, filename=record.original_name, content_type=record.content_type
    )


# --------------------------------------------------------------------------
# 分销商用户 (the company's 管理员)
# --------------------------------------------------------------------------


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def users(request: HttpRequest) -> HttpResponse:
    company = request.user.company
    if request.method == "POST":
        form = _bulk_form(
            request, queryset=selectors.company_users(company=company), actions=USER_ACTIONS
        )
        if form is not None:
            action, chosen = form.cleaned_data["action"], list(form.cleaned_data["ids"])
            try:
                if action == "delete":
                    # All or nothing: one refused row (yourself, the 管理员) deletes none.
                    with transaction.atomic():
                        for user in chosen:
                            services.company_user_delete(actor=request.user, user=user)
                    messages.success(
                        request, _("Users deleted: %(count)d.") % {"count": len(chosen)}
                    )
                else:
                    _users_set_active(
                        request, company=company, users=chosen, active=action == "enable"
                    )
            except ValidationError as exc:
                errors_to_messages(request, exc)
        return redirect(request.get_full_path())
    return _search_list(request, "users.html", "users", selectors.company_users, company=company)


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if done := form_submit(
        request,
        form,
        lambda data: services.company_user_invite(
            company=request.user.company,
            email=data["email"],
            invited_by=request.user,
        ),
    ):
        invited = done.value
        messages.success(
            request, _("An invitation e-mail was sent to %(email)s.") % {"email": invited.email}
        )
        return redirect("portal:account_users")
    return _render(request, "user_invite.html", "users", {"form": form})


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(selectors.company_users(company=request.user.company), pk=pk)
    title_name = target.get_full_name()
    form = CompanyUserForm(
        request.POST if request.method == "POST" else None,
        initial={"name": target.name, "phone": target.phone},
    )
    if form_submit(
        request,
        form,
        lambda data: services.company_user_update(
            actor=request.user,
            user=target,
            name=data["name"],
            phone=data["phone"],
        ),
    ):
        messages.success(request, _("Saved."))
        return redirect("portal:account_users")
    can_transfer = (
        target.pk != request.user.pk
        and target.company_role == CompanyRole.CO_ADMIN
        and target.is_active
        and target.is_activated
    )
    return _render(
        request,
        "user_edit.html",
        "users",
        {"form": form, "target": target, "title_name": title_name, "can_transfer": can_transfer},
    )


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def user_transfer_admin(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(selectors.company_users(company=request.user.company), pk=pk)
    form = TransferAdminForm(request.POST if request.method == "POST" else None)
    if form_submit(
        request,
        form,
        lambda data: services.company_admin_transfer(actor=request.user, target=target),
    ):
        messages.success(
            request,
            _("%(email)s is now the administrator; you are a co-administrator.")
            % {"email": target.email},
        )
        return redirect("portal:account_profile")
    return _render(request, "user_transfer_admin.html", "users", {"form": form, "target": target})


# --------------------------------------------------------------------------
# 经销商管理 (a distributor's 管理员)
# --------------------------------------------------------------------------


def _own_reseller(request: HttpRequest, pk: int) -> Company:
    return get_object_or_404(selectors.sub_resellers(distributor=request.user.company), pk=pk)


@partner_view(methods=("GET", "POST"), allowed=can_manage_resellers)
def resellers(request: HttpRequest) -> HttpResponse:
    distributor = request.user.company
    if request.method == "POST":
        form = _bulk_form(
            request,
            queryset=selectors.sub_resellers(distributor=distributor),
            actions=ENABLE_DISABLE,
        )
        if form is not None:
            enable = form.cleaned_data["action"] == "enable"
            try:
                changed = services.sub_resellers_set_status(
                    actor=request.user,
                    company_ids=[c.pk for c in form.cleaned_data["ids"]],
                    status=CompanyStatus.ENABLED if enable else CompanyStatus.DISABLED,
                )
            except ValidationError as exc:
                errors_to_messages(request, exc)
            else:
                if enable:
                    messages.success(
                        request, _("Resellers enabled: %(count)d.") % {"count": changed}
                    )
                else:
                    messages.success(
                        request, _("Resellers disabled: %(count)d.") % {"count": changed}
                    )
        return redirect(request.get_full_path())
    return _search_list(
        request, "resellers.html", "resellers", selectors.sub_resellers, distributor=distributor
    )


@partner_view(methods=("GET", "POST"), allowed=can_manage_resellers)
def reseller_add(request: HttpRequest) -> HttpResponse:
    form = ResellerForm(request.POST if request.method == "POST" else None)
    if done := form_submit(
        request,
        form,
        lambda data: services.sub_reseller_create(
            actor=request.user,
            name=data["name"],
            address=data["address"],
        ),
    ):
        reseller = done.value
        messages.success(
            request,
            _("Reseller %(name)s was added. Invite its first user: they become its administrator.")
            % {"name": reseller.name},
        )
        return redirect("portal:account_reseller_users", pk=reseller.pk)
    return _render(request, "reseller_add.html", "resellers", {"form": form})


@partner_view(methods=("GET", "POST"), allowed=can_manage_resellers)
def reseller_edit(request: HttpRequest, pk: int) -> HttpResponse:
    reseller = _own_reseller(request, pk)
    title_name = reseller.name
    form = ResellerForm(
        request.POST if request.method == "POST" else None,
        initial={"name": reseller.name, "address": reseller.address},
    )
    if form_submit(
        request,
        form,
        lambda data: services.sub_reseller_update(
            actor=request.user,
            company=reseller,
            name=data["name"],
            address=data["address"],
        ),
    ):
        messages.success(request, _("Saved."))
        return redirect("portal:account_reseller_edit", pk=reseller.pk)
    return _render(
        request,
        "reseller_edit.html",
        "resellers",
        {"reseller": reseller, "title_name": title_name, "form": form, "tab": "basic"},
    )


@partner_view(methods=("GET", "POST"), allowed=can_manage_resellers)
def reseller_users(request: HttpRequest, pk: int) -> HttpResponse:
    reseller = _own_reseller(request, pk)
    if request.method == "POST":
        form = _bulk_form(
            request, queryset=selectors.company_users(company=reseller), actions=ENABLE_DISABLE
        )
        if form is not None:
            try:
                _users_set_active(
                    request,
                    company=reseller,
                    users=list(form.cleaned_data["ids"]),
                    active=form.cleaned_data["action"] == "enable",
                )
            except ValidationError as exc:
                errors_to_messages(request, exc)
        return redirect(request.get_full_path())
    page, page_range = paginate(request, selectors.company_users(company=reseller))
    return _render(
        request,
        "reseller_edit.html",
        "resellers",
        {
            "reseller": reseller,
            "title_name": reseller.name,
            "tab": "users",
            "page": page,
            "page_range": page_range,
        },
    )


@partner_view(methods=("GET", "POST"), allowed=can_manage_resellers)
def reseller_user_invite(request: HttpRequest, pk: int) -> HttpResponse:
    reseller = _own_reseller(request, pk)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if done := form_submit(
        request,
        form,
        lambda data: services.company_user_invite(
            company=reseller, email=data["email"], invited_by=request.user
        ),
    ):
        invited = done.value
        messages.success(
            request, _("An invitation e-mail was sent to %(email)s.") % {"email": invited.email}
        )
        return redirect("portal:account_reseller_users", pk=reseller.pk)
    return _render(
        request, "reseller_user_invite.html", "resellers", {"form": form, "reseller": reseller}
    )


# --------------------------------------------------------------------------
# 我的客户 (every partner user)
# --------------------------------------------------------------------------


def _own_customer(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.end_customers(company=request.user.company), pk=pk)


@partner_view()
def customers(request: HttpRequest) -> HttpResponse:
    return _search_list(
        request,
        "customers.html",
        "customers",
        selectors.end_customers,
        company=request.user.company,
    )


@partner_view(methods=("GET", "POST"))
def customer_add(request: HttpRequest) -> HttpResponse:
    form = EndCustomerForm(request.POST if request.method == "POST" else None)
    if done := form_submit(
        request,
        form,
        lambda data: services.end_customer_create(
            company=request.user.company, actor=request.user, **data
        ),
    ):
        customer = done.value
        messages.success(request, _("Customer %(name)s was added.") % {"name": customer.name})
        return redirect("portal:account_customers")
    return _render(request, "customer_form.html", "customers", {"form": form})


@partner_view(methods=("GET", "POST"))
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _own_customer(request, pk)
    title_name = customer.name
    form = EndCustomerForm(
        request.POST if request.method == "POST" else None,
        initial={field: getattr(customer, field) for field in services.END_CUSTOMER_FIELDS},
    )
    if form_submit(
        request, form, lambda data: services.end_customer_update(customer=customer, **data)
    ):
        messages.success(request, _("Saved."))
        return redirect("portal:account_customers")
    return _render(
        request,
        "customer_form.html",
        "customers",
        {"form": form, "customer": customer, "title_name": title_name},
    )


@partner_view(methods=("GET", "POST"))
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _own_customer(request, pk)
    if request.method == "POST":
        try:
            services.end_customer_delete(customer=customer)
        except ValidationError as exc:
            errors_to_messages(request, exc)
            return redirect("portal:account_customer_edit", pk=customer.pk)
        messages.success(request, _("Customer %(name)s was deleted.") % {"name": customer.name})
        return redirect("portal:account_customers")
    return _render(request, "customer_delete.html", "customers", {"customer": customer})
