"""Saving an order page: the inlines write through the fulfilment services."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from backoffice.core.files import private_file_response
from billing.models import DeliveryMilestone, Order, OrderAttachment, PaymentMilestone
from billing.services.errors import BillingError
from billing.services.fulfilment import (
    attachment_add,
    milestone_add,
    milestone_delete,
    milestone_update,
    payment_milestone_add,
    payment_milestone_delete,
    payment_milestone_update,
)


class OrderSavingMixin:
    """The order row is never written from the form; inline rows go through the
    fulfilment services; attachments are served as private files."""

    # --- saving: the order row itself is never written from the form ---

    def save_model(self, request, obj, form, change) -> None:
        """Every order field is read only: milestones and attachments save in their inlines."""

    def save_formset(self, request, form, formset, change) -> None:
        """Inline rows are written by the fulfilment services, never by ``formset.save()``.

        The ``*_objects`` lists feed the admin's change message (history log)."""
        order = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is DeliveryMilestone:
            self._save_plan(request, order, formset, kind="delivery")
        elif formset.model is PaymentMilestone:
            self._save_plan(request, order, formset, kind="payment")
        elif formset.model is OrderAttachment:
            for inline_form in formset.extra_forms:
                upload = inline_form.cleaned_data.get("upload")
                if inline_form.has_changed() and upload is not None:
                    formset.new_objects.append(
                        attachment_add(
                            order_id=order.pk,
                            actor=request.user,
                            title=inline_form.cleaned_data.get("title", ""),
                            upload=upload,
                        )
                    )
        # The other inlines are read only: nothing to save.

    def _save_plan(self, request, order: Order, formset, *, kind: str) -> None:
        delivery = kind == "delivery"
        for inline_form in formset.forms:
            instance = inline_form.instance
            if instance.pk and formset._should_delete_form(inline_form):
                (milestone_delete if delivery else payment_milestone_delete)(
                    milestone_id=instance.pk, actor=request.user
                )
                formset.deleted_objects.append(instance)
                continue
            if not inline_form.has_changed() or not inline_form.cleaned_data:
                continue
            data = dict(inline_form.cleaned_data)
            fields = {
                "stage": data.get("stage", ""),
                "remarks": data.get("remarks", ""),
                "position": data.get("position"),
            }
            if delivery:
                fields.update(
                    planned_date=data.get("planned_date"),
                    acceptance_criteria=data.get("acceptance_criteria", ""),
                )
            else:
                fields.update(amount=data.get("amount"), due_date=data.get("due_date"))
            if instance.pk:
                saved = (milestone_update if delivery else payment_milestone_update)(
                    milestone_id=instance.pk, actor=request.user, **fields
                )
                formset.changed_objects.append((saved, inline_form.changed_data))
            else:
                saved = (milestone_add if delivery else payment_milestone_add)(
                    order_id=order.pk, actor=request.user, **fields
                )
                formset.new_objects.append(saved)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A refusal of a service while saving the inlines rolls everything back and says why."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BillingError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- private files ---

    def get_urls(self):
        return [
            self.object_path(
                "attachments/<int:attachment_id>/",
                self.attachment_view,
                name="billing_order_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, order: Order, attachment_id: int) -> HttpResponse:
        attachment = get_object_or_404(OrderAttachment, pk=attachment_id, order=order)
        return private_file_response(
            attachment.file,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
