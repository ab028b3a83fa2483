"""Fixed billing facts shown to partners: Blue Cloud's receiving bank account (spec 10.3.4 B)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReceivingAccount:
    account_name: str
    account_number: str
    bank_name: str


# 线下还款 / 线下支付: the account partners transfer to.
def receiving_account() -> ReceivingAccount:
    """Blue Cloud's receiving account, the same one the e-order contract prints."""
    from contracts.services import bank_account

    account = bank_account()  # settings.BLUECLOUD_BANK_ACCOUNT or the manual's account
    return ReceivingAccount(
        account_name=account["account_name"],
        account_number=account["account_no"],
        bank_name=account["bank_name"],
    )


# Support address quoted in the rebate rules (spec 10.1.5).
SUPPORT_EMAIL = "bcss-support@oe.21vianet.com"
