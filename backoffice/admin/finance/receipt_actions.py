"""The receipt admin's pages that post: the two-step "Post a receipt" form (the company,
then the transfer and what it pays) and the "Allocate remainder" detail action. Both call
``billing.services.receipts``; a refusal lands on the form."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.core.money import format_money
from billing.models import PendingPosting, Receipt
from billing.services.receipts import receipt_allocate, receipt_post
from partners.models import Company

from ..base import guarded_action, posted
from ..queues import object_pk
from ..scope import company_owner_q, is_owner_scoped
from .common import FinanceActionMixin, _pending_message
from .receipt_forms import AllocateRemainderForm, ReceiptCompanyForm, ReceiptForm


class ReceiptActionsMixin(FinanceActionMixin):
    # --- posting: the company first, then the transfer and what it pays ---

    def _companies(self, request: HttpRequest):
        companies = Company.objects.order_by("name", "pk")
        if is_owner_scoped(request):
            companies = companies.filter(company_owner_q(request.user))
        return companies

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        add_url = reverse("admin:billing_receipt_add")
        chosen = request.GET.get("company")
        if not chosen:
            company = self.formfield_for_foreignkey(Receipt._meta.get_field("company"), request)
            form = ReceiptCompanyForm(posted(request), company=company)
            return self._form_action(
                request,
                None,
                form,
                perform=lambda data: HttpResponseRedirect(
                    f"{add_url}?company={data['company'].pk}"
                ),
                title=gettext("Post a receipt"),
                description=gettext("Whose transfer is it? The next page lists what it can pay."),
                submit_label=gettext("Continue"),
                cancel_url=self._changelist_url(),
            )
        company = self._companies(request).filter(pk=object_pk(chosen)).first()
        if company is None:
            raise Http404
        form = ReceiptForm(posted(request), request.FILES or None, company_id=company.pk)
        return self._form_action(
            request,
            None,
            form,
            perform=lambda data: self._post(request, company, form, data),
            title=gettext("Post a receipt"),
            description=gettext(
                "Record the transfer as the bank shows it, and tick what it pays: each item "
                "is settled for exactly what it needs, as if the partner's own transfer "
                "were confirmed. The rest stays on the receipt and can be allocated later."
            ),
            summary=[(_("company"), company.name)],
            submit_label=gettext("Post receipt"),
            cancel_url=add_url,
        )

    def _post(self, request: HttpRequest, company: Company, form, data) -> HttpResponse:
        result = receipt_post(
            actor=request.user,
            company_id=company.pk,
            bank_account_id=data["bank_account"].pk,
            amount=data["amount"],
            currency=data["currency"],
            value_date=data["value_date"],
            bank_reference=data["bank_reference"],
            payer_name=data["payer_name"],
            payer_account=data["payer_account"],
            memo=data["memo"],
            attachment=data.get("attachment"),
            allocations=form.allocations(),
        )
        if isinstance(result, PendingPosting):
            _pending_message(self, request, result)
            return HttpResponseRedirect(self._change_url(result.receipt))
        self._allocated_message(
            request,
            result,
            gettext(
                "Receipt %(number)s posted: %(allocated)s allocated, %(remainder)s left to "
                "allocate."
            ),
        )
        return HttpResponseRedirect(self._change_url(result))

    def _allocated_message(self, request: HttpRequest, receipt: Receipt, text: str) -> None:
        self.message_user(
            request,
            text
            % {
                "number": receipt.number,
                "allocated": format_money(receipt.allocated, receipt.currency),
                "remainder": format_money(receipt.remainder, receipt.currency),
            },
            messages.SUCCESS,
        )

    # --- allocating the remainder ---

    def _summary(self, receipt: Receipt) -> list[tuple[str, object]]:
        return [
            (_("company"), receipt.company.name),
            (_("amount"), format_money(receipt.amount, receipt.currency)),
            (_("unallocated"), format_money(receipt.remainder, receipt.currency)),
            (_("bank reference"), receipt.bank_reference),
            (_("payer name"), receipt.payer_name),
        ]

    def _allocate(self, request: HttpRequest, receipt: Receipt, form) -> HttpResponse:
        receipt = receipt_allocate(
            receipt_id=receipt.pk, allocations=form.allocations(), actor=request.user
        )
        self._allocated_message(
            request,
            receipt,
            gettext(
                "Receipt %(number)s allocated: %(allocated)s allocated, %(remainder)s left to "
                "allocate."
            ),
        )
        return HttpResponseRedirect(self._change_url(receipt))

    @guarded_action("allocate", _("Allocate remainder"), icon="call_split")
    def allocate_detail(self, request: HttpRequest, object_id: str) -> HttpResponse:
        receipt = self._object_or_404(request, object_id)
        form = AllocateRemainderForm(
            posted(request), company_id=receipt.company_id, currency=receipt.currency
        )
        return self._form_action(
            request,
            receipt,
            form,
            perform=lambda data: self._allocate(request, receipt, form),
            title=gettext("Allocate the remainder"),
            description=gettext(
                "Tick what the rest of this receipt pays; each item is settled for exactly "
                "what it needs."
            ),
            summary=self._summary,
            submit_label=gettext("Allocate"),
        )
