"""Fixed billing facts shown to partners: Blue Cloud's receiving bank account (spec 10.3.4 B)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReceivingAccount:
    account_name: str
    account_number: str
    bank_name: str


# 线下还款: the account partners transfer repayments to.
BLUE_CLOUD_RECEIVING_ACCOUNT = ReceivingAccount(
    account_name="上海蓝云网络科技有限公司",
    account_number="0200227919200053244",
    bank_name="工商银行北京朝阳国航大厦支行",
)

# Support address quoted in the rebate rules (spec 10.1.5).
SUPPORT_EMAIL = "bcss-support@oe.21vianet.com"
