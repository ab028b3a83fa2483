"""Alipay 电脑网站支付 (page pay, ``alipay.trade.page.pay``) with RSA2 signatures.

Signing the page-pay request and verifying the asynchronous notification use
python-alipay-sdk (``alipay.AliPay``): both are local RSA operations (SHA256withRSA,
PKCS#1 v1.5), no network. Only ``refund`` calls Alipay's gateway.

Settings (from the environment, ``backoffice/settings/base.py``): ``ALIPAY_APP_ID``,
``ALIPAY_APP_PRIVATE_KEY`` (our key, signs requests), ``ALIPAY_PUBLIC_KEY`` (Alipay's
key, verifies notifications), ``ALIPAY_GATEWAY``, optional ``ALIPAY_SELLER_ID``. Keys
are PEM text or the bare base64 body Alipay's console shows.

A notification counts only when its signature verifies with Alipay's public key, it is
for our ``app_id`` (and seller, when configured), and names ``out_trade_no`` and
``total_amount``; ``TRADE_SUCCESS`` / ``TRADE_FINISHED`` mean the money arrived.
"""

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.error import URLError
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from django.conf import settings
from django.utils import timezone

from backoffice.core.money import to_money

from .base import (
    Notification,
    NotificationError,
    NotificationStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    RefundError,
)

PAGE_PAY = "alipay.trade.page.pay"
PRODUCT_CODE = "FAST_INSTANT_TRADE_PAY"
BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay reads every timestamp in Beijing time
TRADE_STATUSES = {
    "TRADE_SUCCESS": NotificationStatus.SUCCEEDED,
    "TRADE_FINISHED": NotificationStatus.SUCCEEDED,
    "TRADE_CLOSED": NotificationStatus.FAILED,
    "WAIT_BUYER_PAY": NotificationStatus.WAITING,
}


def key_material(value: str) -> str | bytes:
    """PEM text as it is; a bare base64 body (Alipay's console format) as DER bytes."""
    value = (value or "").strip()
    if value.startswith("-----BEGIN"):
        return value
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a PEM or base64 RSA key") from exc


def _beijing(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class AlipayProvider(PaymentProvider):
    name = "alipay"
    currencies = ("CNY",)

    def __init__(self) -> None:
        self.app_id = settings.ALIPAY_APP_ID
        self.seller_id = settings.ALIPAY_SELLER_ID
        self.gateway = settings.ALIPAY_GATEWAY
        self.client = AliPay(
            appid=self.app_id,
            app_private_key_string=key_material(settings.ALIPAY_APP_PRIVATE_KEY),
            alipay_public_key_string=key_material(settings.ALIPAY_PUBLIC_KEY),
            sign_type="RSA2",
        )
        self.client._gateway = self.gateway  # the SDK's only gateway knob is its debug flag

    def start(self, request: PaymentRequest) -> PaymentStart:
        biz_content = {
            "out_trade_no": request.reference,
            "total_amount": str(to_money(request.amount)),
            "subject": request.subject[:256],
            "product_code": PRODUCT_CODE,
        }
        if request.expires_at is not None:
            biz_content["time_expire"] = _beijing(request.expires_at)
        signed = self.client.client_api(
            PAGE_PAY,
            biz_content,
            notify_url=request.notify_url,
            return_url=request.return_url,
            timestamp=_beijing(timezone.now()),
        )
        return PaymentStart(url=self.gateway, method="GET", fields=dict(parse_qsl(signed)))

    def verify_notification(self, data: Mapping, *, now: datetime | None = None) -> Notification:
        params = {str(key): str(value) for key, value in data.items()}
        signature = params.pop("sign", "")
        sign_type = params.pop("sign_type", "")
        if not signature or sign_type != "RSA2":
            raise NotificationError("unsigned or not RSA2")
        try:
            authentic = self.client.verify(params, signature)
        except (AliPayException, ValueError, TypeError, binascii.Error) as exc:
            raise NotificationError("bad signature") from exc
        if not authentic:
            raise NotificationError("bad signature")
        if params.get("app_id") != self.app_id:
            raise NotificationError("another app's notification")
        if self.seller_id and params.get("seller_id") != self.seller_id:
            raise NotificationError("another seller's notification")
        status = TRADE_STATUSES.get(params.get("trade_status", ""))
        if status is None:
            raise NotificationError("unknown trade status")
        try:
            amount = Decimal(params["total_amount"])
            reference = params["out_trade_no"]
        except (KeyError, InvalidOperation) as exc:
            raise NotificationError("malformed notification") from exc
        if not reference or not amount.is_finite():
            raise NotificationError("malformed notification")
        return Notification(
            reference=reference,
            amount=amount,
            currency="CNY",
            status=status,
            provider_txn_id=params.get("trade_no", ""),
            raw={**params, "sign_type": sign_type},
        )

    def refund(self, *, reference: str, amount: Decimal, refund_reference: str) -> str:
        """``alipay.trade.refund``; ``out_request_no`` makes a retried refund a no-op."""
        try:
            response = self.client.api_alipay_trade_refund(
                refund_amount=str(to_money(amount)),
                out_trade_no=reference,
                out_request_no=refund_reference,
            )
        except (AliPayException, AliPayValidationError, URLError, OSError, ValueError) as exc:
            raise RefundError(str(exc)) from exc
        if response.get("code") != "10000":
            raise RefundError(
                f"{response.get('sub_code') or response.get('code')}: "
                f"{response.get('sub_msg') or response.get('msg')}"
            )
        return response.get("trade_no") or refund_reference
