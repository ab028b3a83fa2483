"""Fixed data of the e-order contract (spec 5.4): parties, currencies, merge fields.

The contract document is always Chinese (it is the legal text); labels are English msgids
resolved under ``zh-hans`` when the document is built.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

PARTY_B_NAME = "上海蓝云网络科技有限公司"
PARTY_B_NAME_EN = "Shanghai Blue Cloud Technology Co., Ltd."
PARTY_B_SHORT = "Blue Cloud"

DOCUMENT_LANGUAGE = "zh-hans"
# Contract numbers: Shanghai local time (backoffice.core.numbering) + the sequence (decision 8).
CONTRACT_NUMBER_KEY = "contract"
CONTRACT_NUMBER_FORMAT = "%Y%m%d%H%M%S"

# DEMO ONLY: not a real account. Production sets settings.BLUECLOUD_BANK_ACCOUNT to a dict
# with the same keys (account_name, bank_name, account_no).
# Blue Cloud's account as printed in the manual's e-order (spec 5.4) and shown for offline
# payments (billing.constants): one source, overridable with settings.BLUECLOUD_BANK_ACCOUNT.
DEMO_BANK_ACCOUNT = {
    "account_name": PARTY_B_NAME,
    "bank_name": "工商银行北京朝阳国航大厦支行",
    "account_no": "0200227919200053244",
}

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "HKD": "HK$"}
CURRENCY_NAMES = {"CNY": _("Renminbi"), "USD": _("US dollar"), "HKD": _("Hong Kong dollar")}


class PaymentMethod(models.TextChoices):
    ONLINE = "online", _("Online payment")
    OFFLINE = "offline", _("Offline payment")
    CREDIT = "credit", _("Credit line")


class LineKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")


# Merge fields a clause may use as {{ name }}; nothing else (no tags, filters or attributes).
MERGE_FIELDS: dict[str, str] = {
    "contract_number": "合同编号",
    "party_a_name": "经销商（甲方）名称",
    "party_a_contact_name": "经销商联系人姓名",
    "party_a_contact_phone": "经销商联系人联系方式",
    "party_b_name": "乙方名称",
    "party_b_contact_name": "乙方联系人姓名",
    "party_b_contact_email": "乙方联系人联系方式",
    "currency_name": "货币名称（人民币/美元/港币）",
    "currency_symbol": "货币符号（¥/$/HK$）",
    "payment_method": "支付方式（线上支付/线下支付/账期）",
    "payment_terms": "所选支付方式的付款条款",
    "end_customer_name": "最终用户姓名",
    "end_customer_company": "最终用户公司",
    "end_customer_email": "最终用户邮箱（产品交付邮箱）",
    "grand_total": "本订单表总金额",
    "grand_total_capitals": "本订单表总金额大写",
    "bank_name": "乙方开户银行",
    "bank_account": "乙方账号",
    "bank_account_name": "乙方账户名称",
}
# Payment terms are themselves inserted as {{ payment_terms }}, so they cannot use it.
PAYMENT_TERMS_FIELDS = {k: v for k, v in MERGE_FIELDS.items() if k != "payment_terms"}
