"""Partner users' accounts: activation and password reset (links by e-mail)."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.core.mail import mail_enqueue, route_url

from ..models import (
    User,
)
from ..tokens import Purpose, token_make
from .base import PartnerError


def activation_mail_enqueue(*, user: User, template: str = "partners/mail/activation") -> None:
    token = token_make(user, Purpose.ACTIVATION)
    mail_enqueue(
        to=user.email,
        template=template,
        context={
            "name": user.name or user.email,
            "company_name": user.company.name if user.company_id else "",
            "link": route_url("portal:activate", token),
            "valid_days": max(1, settings.ACTIVATION_LINK_MAX_AGE // 86400),
        },
    )


def activation_resend(*, email: str) -> None:
    """Send a fresh activation link if the account exists and is not activated. Silent otherwise."""
    user = User.objects.filter(
        email__iexact=User.objects.normalize_email(email),
        activated_at__isnull=True,
        deleted_at__isnull=True,
    ).first()
    if user is not None and user.is_partner:
        activation_mail_enqueue(user=user)


@transaction.atomic
def user_activate(
    *, user: User, password: str, name: str | None = None, phone: str | None = None
) -> User:
    """Set the first password from the activation link. Django's password validators apply."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_activated:
        raise PartnerError(
            _("This account is already activated. Log in instead."), code="already_activated"
        )
    if name is not None:
        user.name = name.strip()
    if phone is not None:
        user.phone = phone.strip()
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.activated_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["password", "activated_at", "name", "phone"])
    return user


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to an activated, enabled account. Silent otherwise (no account probing)."""
    user = User.objects.filter(
        email__iexact=User.objects.normalize_email(email),
        is_active=True,
        activated_at__isnull=False,
        deleted_at__isnull=True,
    ).first()
    if user is None:
        return
    token = token_make(user, Purpose.PASSWORD_RESET)
    mail_enqueue(
        to=user.email,
        template="partners/mail/password_reset",
        context={
            "name": user.name or user.email,
            "link": route_url("portal:password_reset_confirm", token),
            "valid_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        },
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


def user_set_language(*, user: User, language: str) -> bool:
    """Remember the language ``user`` chose in the portal: their mails follow it. Returns
    whether it changed. Not a business record, so no history row (a plain update)."""
    if language not in dict(settings.LANGUAGES) or user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True
