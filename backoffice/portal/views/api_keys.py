"""个人中心 › API 密钥: the company's 管理员 creates keys for the partner API (the secret
is shown once, on the answer to the create), sees when each was last used and revokes
them. Everything goes through ``partners.services``; another company's key is a 404."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners import services as partner_services
from partners.models import ApiScope
from partners.selectors import company_api_keys

from ..errors import form_submit
from ..navigation import can_manage_users
from .base import partner_view, render_account

SECTION = "api_keys"


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Leave empty for a key that does not expire."),
    )


@partner_view(methods=("GET", "POST"), allowed=can_manage_users)
def api_keys(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    created = form_submit(
        request,
        form,
        lambda data: partner_services.api_key_create(
            company=request.user.company,
            actor=request.user,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
        ),
    )
    secret = None
    if created:
        _key, secret = created.value
        form = ApiKeyForm()
    labels = dict(ApiScope.choices)
    keys = [
        {"key": key, "scopes": [labels.get(s, s) for s in key.scopes], "active": key.is_active()}
        for key in company_api_keys(company=request.user.company)
    ]
    return render_account(
        request,
        "portal/account/api_keys.html",
        SECTION,
        {"form": form, "keys": keys, "secret": secret},
    )


@partner_view(methods=None, allowed=can_manage_users)
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = company_api_keys(company=request.user.company).filter(pk=pk).first()
    if key is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    partner_services.api_key_revoke(key=key, actor=request.user)
    messages.success(request, _("API key “%(name)s” was revoked.") % {"name": key.name})
    return redirect("portal:account_api_keys")
