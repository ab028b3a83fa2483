"""Seed the three tiers and the 会员权益 table of spec 6.2 (data; staff edit it later)."""

from decimal import Decimal

from django.db import migrations

TIERS = [
    # code, name, name_en, rank, default, rebate rate (decision 2), revenue-share rate
    ("registered", "注册级", "Registered", 10, True, Decimal("0.0000"), Decimal("0.0000")),
    ("silver", "银牌级", "Silver", 20, False, Decimal("0.0100"), Decimal("0.0300")),
    ("gold", "金牌级", "Gold", 30, False, Decimal("0.0200"), Decimal("0.0500")),
]

OK = "✓"
BENEFITS = [
    # category, benefit, registered, silver, gold
    ("一、合作权益", "年度蓝云合作伙伴生态大会邀请", "全价", "2张免费票,其他门票享折扣", "2张免费票,其他门票享折扣"),
    ("一、合作权益", "合作伙伴入驻和运营支持", OK, OK, OK),
    ("一、合作权益", "入驻AggreSmart", OK, OK, OK),
    ("一、合作权益", "联合市场营销活动", "", "每年一次", "每年两次"),
    ("一、合作权益", "官方新闻稿和博客文章推广", "", OK, OK),
    ("二、技术赋能", "无限次5x8 售前技术咨询", OK, OK, OK),
    ("二、技术赋能", "远程项目技术咨询", "", "每月3个项目,单项目2个小时", "每月6个项目,单项目2个小时"),
    ("二、技术赋能", "AggreSmart解决方案试用帐户(1个月)", "", OK, OK),
]


def seed(apps, schema_editor):
    Tier = apps.get_model("partners", "Tier")
    Benefit = apps.get_model("partners", "Benefit")
    TierBenefit = apps.get_model("partners", "TierBenefit")
    tiers = []
    for code, name, name_en, rank, default, rebate, share in TIERS:
        tier, _ = Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "rank": rank,
                "is_default": default,
                "rebate_rate": rebate,
                "revenue_share_rate": share,
            },
        )
        tiers.append(tier)
    for position, (category, name, *values) in enumerate(BENEFITS, start=1):
        benefit, _ = Benefit.objects.get_or_create(category=category, name=name, defaults={"position": position})
        for tier, value in zip(tiers, values, strict=True):
            TierBenefit.objects.get_or_create(benefit=benefit, tier=tier, defaults={"value": value})


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_endcustomer_historicalbenefit_historicalcompany_and_more")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
