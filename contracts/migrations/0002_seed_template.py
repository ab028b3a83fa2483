"""Seed the first e-order template (version 1, active) with the clauses of spec 5.4.

The texts follow the manual's 生成电子订单 document; staff edit them in the console by
publishing new versions. Copied here (not imported) so this migration never changes.
"""

from django.db import migrations

NAME = "电子订单"

CLAUSES = [
    {
        "title": "服务开通信息表",
        "text": (
            "服务开通信息表(参见附录A):经销商在向上海蓝云(即乙方)提交订单时,"
            "需提供准确的最终用户信息,以便服务开通时登记。"
        ),
    },
    {
        "title": "定价方式",
        "text": "定价方式为按产品/服务计价,货币为{{ currency_name }}。",
    },
    {
        "title": "支付方式",
        "text": "{{ payment_terms }}",
    },
    {
        "title": "交付方式",
        "text": (
            "本订单产品/服务交付方式:\n"
            "1) 产品交付:当甲方在本平台上完成支付款项流程后,即可在本平台上进行下载相应产品"
            "或由乙方将产品发送至甲方指定的邮箱,甲方指定的邮箱为 {{ end_customer_email }}。"
            "产品下载成功或产品发送至甲方指定的邮箱均被视为产品交付成功"
            "(另因甲方指定的邮箱原因未能收到邮件的,仍视为交付成功)。\n"
            "2) 服务交付:当甲方在本平台上完成支付款项流程后,依据服务完成进度,"
            "乙方在进度完成后发送进度所需资料及进度确认函至甲方指定人,"
            "甲方收到资料并对当前进度的完成状态点击确认(或在确认函上盖章)即视为该进度服务交付完成,"
            "此过程以工作说明书SOW中的约定进行执行。"
        ),
    },
    {
        "title": "退换货",
        "text": (
            "因云解决方案平台提供的产品和服务存在不可回收性,"
            "在平台上经甲方点击同意购买后,不可以进行退换货。"
        ),
    },
    {
        "title": "税率",
        "text": (
            "如果国家税率发生变动,致本订单税率与国家规定的税率发生冲突,"
            "应以国家规定的税率为准。"
        ),
    },
    {
        "title": "合同构成与效力",
        "text": (
            "本订单表、合作伙伴协议(经销商)、SOW(如有)及附件共同组成完整的渠道销售合同。"
            "本订单一经甲方点击确认,即发生法律效力,如与主协议合作伙伴协议(经销商)"
            "条款发生冲突,以本订单为准。"
        ),
    },
]

PAYMENT_TERMS = {
    "online": (
        "本订单支付方式为线上支付(在线即时支付)。当甲方支付完本订单项下的全部款项后,"
        "乙方可向甲方开具全款发票。"
    ),
    "offline": (
        "本订单支付方式为线下支付。甲方应通过银行转账将本订单项下的全部款项"
        "({{ grand_total }})汇至乙方账户(开户银行:{{ bank_name }},账号:{{ bank_account }}),"
        "并在平台上填写转账信息;乙方确认收款后,可向甲方开具全款发票。"
    ),
    "credit": (
        "本订单支付方式为账期支付。本订单项下的款项({{ grand_total }})计入甲方账期,"
        "甲方应在账单到期日前付清账单款项;乙方可向甲方开具全款发票。"
    ),
}


def seed(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    if ContractTemplate.objects.exists():
        return
    ContractTemplate.objects.create(
        name=NAME,
        version=1,
        clauses=CLAUSES,
        payment_terms_online=PAYMENT_TERMS["online"],
        payment_terms_offline=PAYMENT_TERMS["offline"],
        payment_terms_credit=PAYMENT_TERMS["credit"],
        is_active=True,
    )


def unseed(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    ContractTemplate.objects.filter(name=NAME, version=1, contracts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
