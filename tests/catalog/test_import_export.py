"""Excel import/export of solutions and SKUs: round trip, updates, all-or-nothing, escaping."""

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import XLSX

from catalog.models import Sku, Solution
from catalog.resources import SkuExcelResource, SolutionExcelResource
from tests.catalog.factories import (
    CategoryFactory,
    PublishedSolutionFactory,
    SkuFactory,
    SubCategoryFactory,
)

pytestmark = pytest.mark.django_db

SOLUTION_HEADERS = [
    "方案标识",
    "方案名称",
    "方案简介",
    "描述",
    "提供商",
    "子分类",
    "可申请试用",
    "发布",
]
SKU_HEADERS = [
    "SKU编码",
    "方案标识",
    "购买计划",
    "区域",
    "币种",
    "单价",
    "税率%",
    "类型",
    "购买参数",
    "上架",
]


@pytest.fixture
def catalog():
    migration, backup = SubCategoryFactory(slug="data-migration"), SubCategoryFactory(slug="backup")
    saasame = PublishedSolutionFactory(
        slug="saasame-transport",
        name="SaaSaMe Transport",
        categories=[migration, backup],
        with_sku=False,
        trial_enabled=True,
    )
    SkuFactory(
        solution=saasame,
        code="S-BLU-HYB-SAS-P-TRBC-ABD",
        plan_name="SaaSaMe Transport 迁移至蓝云",
        unit_price=Decimal("1188.00"),
    )
    SkuFactory(
        solution=saasame,
        code="M-BLU-HYB-SAS-P-SXXX-DEC",
        plan_name="服务实施项",
        kind="service",
        unit_price=Decimal("3000.00"),
        parameters=[
            {"key": "tenant_id", "label": "租户ID", "required": True, "max_length": 64},
            {"key": "admin_email", "label": "管理员邮箱", "required": False, "max_length": 254},
        ],
    )
    office = PublishedSolutionFactory(
        slug="office-365", name="Office 365 Business Premium", with_sku=False
    )
    SkuFactory(
        solution=office,
        code="S-ZXX-PLA-OFF-N-OOXX-CRR",
        plan_name="Office 365 Business Premium",
        region="hk",
        currency="HKD",
        unit_price=Decimal("57.75"),
        tax_rate=Decimal("13.00"),
    )
    return saasame, office


def _xlsx(resource_class) -> bytes:
    """Export like the console does (escaping formulae) and return the file bytes."""
    return XLSX().export_data(resource_class().export())


def _read(data: bytes) -> tablib.Dataset:
    return XLSX().create_dataset(data)


def _import(resource_class, dataset: tablib.Dataset, *, dry_run: bool = False):
    return resource_class().import_data(dataset, dry_run=dry_run)


def _counts() -> tuple[int, int]:
    return Solution.objects.count(), Sku.objects.count()


def _row_errors(result) -> list[str]:
    messages = []
    for row in result.invalid_rows:
        for errors in row.error_dict.values():
            messages.extend(errors)
    for row in result.error_rows:
        messages.extend(str(e.error) for e in row.errors)
    return messages


class TestRoundTrip:
    def test_export_has_chinese_headers_and_readable_values(self, catalog):
        solutions = _read(_xlsx(SolutionExcelResource))
        skus = _read(_xlsx(SkuExcelResource))
        assert solutions.headers == SOLUTION_HEADERS
        assert skus.headers == SKU_HEADERS
        saasame = next(r for r in solutions.dict if r["方案标识"] == "saasame-transport")
        assert set(saasame["子分类"].split(",")) == {"data-migration", "backup"}
        assert saasame["发布"] == "是" and saasame["可申请试用"] == "是"
        office = next(r for r in skus.dict if r["SKU编码"] == "S-ZXX-PLA-OFF-N-OOXX-CRR")
        assert office["方案标识"] == "office-365"
        assert (office["区域"], office["币种"], office["单价"], office["税率%"]) == (
            "hk",
            "HKD",
            "57.75",
            "13.00",
        )
        service = next(r for r in skus.dict if r["SKU编码"] == "M-BLU-HYB-SAS-P-SXXX-DEC")
        assert "租户ID" in service["购买参数"]  # JSON text, not \\u escapes

    def test_reimporting_the_same_files_changes_nothing(self, catalog):
        before = _counts()
        history = (Solution.history.count(), Sku.history.count())
        for resource_class in (SolutionExcelResource, SkuExcelResource):
            result = _import(resource_class, _read(_xlsx(resource_class)))
            assert not result.has_errors() and not result.has_validation_errors()
            assert result.totals["new"] == 0
            assert result.totals["update"] == 0
            assert result.totals["skip"] == len(result.rows) > 0
        assert _counts() == before
        assert (Solution.history.count(), Sku.history.count()) == history

    def test_modified_files_update_rows_and_search_text(self, catalog):
        saasame, _office = catalog
        skus = _read(_xlsx(SkuExcelResource))
        rows = [dict(r) for r in skus.dict]
        for row in rows:
            if row["SKU编码"] == "S-BLU-HYB-SAS-P-TRBC-ABD":
                row["单价"] = "999.50"
                row["购买计划"] = "迁移至蓝云 特惠"
                row["上架"] = "否"
        rows.append(
            {
                **rows[0],
                "SKU编码": "S-BLU-HYB-SAS-P-TRDR-ABD",
                "方案标识": "saasame-transport",
                "购买计划": "SaaSaMe Transport DR",
                "单价": "2388",
                "区域": "中国大陆",
                "币种": "CNY",
                "类型": "产品",
                "购买参数": "",
                "上架": "是",
            }
        )
        dataset = tablib.Dataset(headers=SKU_HEADERS)
        for row in rows:
            dataset.append([row[h] for h in SKU_HEADERS])
        result = _import(SkuExcelResource, _read(XLSX().export_data(dataset)))
        assert not result.has_errors() and not result.has_validation_errors(), _row_errors(result)
        assert result.totals["update"] == 1 and result.totals["new"] == 1

        changed = Sku.objects.get(code="S-BLU-HYB-SAS-P-TRBC-ABD")
        assert changed.unit_price == Decimal("999.50")
        assert changed.plan_name == "迁移至蓝云 特惠"
        assert changed.is_active is False
        new = Sku.objects.get(code="S-BLU-HYB-SAS-P-TRDR-ABD")
        assert (new.region, new.currency, new.kind, new.parameters) == ("cn", "CNY", "product", [])
        saasame.refresh_from_db()
        assert "迁移至蓝云 特惠" in saasame.search_document
        assert "s-blu-hyb-sas-p-trdr-abd" in saasame.search_document

        solutions = _read(_xlsx(SolutionExcelResource))
        dataset = tablib.Dataset(headers=solutions.headers)
        for row in solutions.dict:
            if row["方案标识"] == "saasame-transport":
                row["方案名称"] = "SaaSaMe Transport 2"
                row["子分类"] = "backup"
            dataset.append([row[h] for h in solutions.headers])
        result = _import(SolutionExcelResource, dataset)
        assert result.totals["update"] == 1 and result.totals["skip"] == 1
        saasame.refresh_from_db()
        assert saasame.name == "SaaSaMe Transport 2"
        assert [c.slug for c in saasame.categories.all()] == ["backup"]
        assert saasame.search_document.startswith("saasame transport 2 ")


class TestBadRows:
    def _sku_dataset_with(self, bad: dict) -> tablib.Dataset:
        skus = _read(_xlsx(SkuExcelResource))
        dataset = tablib.Dataset(headers=SKU_HEADERS)
        for row in skus.dict:
            row = dict(row)
            if row["SKU编码"] == "S-BLU-HYB-SAS-P-TRBC-ABD":
                row["单价"] = "1.00"  # a valid change that must not be applied either
            dataset.append([row[h] for h in SKU_HEADERS])
        dataset.append([{**dict(skus.dict[0]), **bad}[h] for h in SKU_HEADERS])
        return dataset

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ({"SKU编码": "NEW-1", "单价": "-5"}, "确保该值大于或等于0"),
            (
                {"SKU编码": "NEW-2", "方案标识": "no-such-solution"},
                "方案“no-such-solution”不存在。",
            ),
            ({"SKU编码": "NEW-3", "币种": "EUR"}, "EUR"),
            ({"SKU编码": "NEW-4", "单价": "abc"}, "“abc”不是有效的数字。"),
            ({"SKU编码": "NEW-5", "购买参数": "{not json"}, "购买参数不是有效的 JSON"),
            (
                {"SKU编码": "NEW-6", "购买参数": '[{"key": "a", "label": "A", "max_length": 900}]'},
                "第 1 个参数的 “max_length” 必须是 1 到 500 之间的整数。",
            ),
        ],
    )
    def test_one_bad_row_imports_nothing(self, catalog, bad, message):
        before = _counts()
        result = _import(SkuExcelResource, self._sku_dataset_with(bad))
        assert result.has_validation_errors() or result.has_errors()
        errors = _row_errors(result)
        assert any(message in e for e in errors), errors
        assert _counts() == before
        assert Sku.objects.get(code="S-BLU-HYB-SAS-P-TRBC-ABD").unit_price == Decimal("1188.00")

    def test_unknown_or_top_level_category_and_unpublishable_solution(self, catalog):
        top = CategoryFactory(slug="top")
        dataset = tablib.Dataset(headers=SOLUTION_HEADERS)
        dataset.append(["new-a", "A", "", "", "", "nope", "否", "否"])
        dataset.append(["new-b", "B", "", "", "", top.slug, "否", "否"])
        dataset.append(["new-c", "C", "", "", "", "backup", "否", "是"])
        result = _import(SolutionExcelResource, dataset)
        errors = _row_errors(result)
        assert "分类不存在：nope。" in errors
        assert "只能使用子分类：top。" in errors
        assert "暂不能发布：该方案没有上架的 SKU。" in errors
        assert not Solution.objects.filter(slug__startswith="new-").exists()


def test_formula_cells_are_escaped_on_export(catalog):
    saasame, _ = catalog
    Solution.objects.filter(pk=saasame.pk).update(summary='=HYPERLINK("http://evil","x")')
    data = _xlsx(SolutionExcelResource)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert 'HYPERLINK("http://evil","x")' in values


# --- Through the console ----------------------------------------------------------------------


def _format_index(model, fmt=XLSX) -> str:
    model_admin = admin.site._registry[model]
    return str(model_admin.get_import_formats().index(fmt))


def test_console_export_offers_xlsx_and_exports_every_sku(staff_client, catalog):
    model_admin = admin.site._registry[Sku]
    formats = model_admin.get_export_formats()
    assert XLSX in formats
    data = {"resource": "0", "format": str(formats.index(XLSX))}
    for name in SkuExcelResource().get_export_order():
        data[f"skuexcelresource_{name}"] = "on"
    response = staff_client.post(reverse("admin:catalog_sku_export"), data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    exported = _read(b"".join(response.streaming_content))
    assert exported.headers == SKU_HEADERS
    assert {r["SKU编码"] for r in exported.dict} == set(Sku.objects.values_list("code", flat=True))


def test_console_import_reports_row_errors_and_offers_no_confirmation(staff_client, catalog):
    before = _counts()
    dataset = tablib.Dataset(headers=SKU_HEADERS)
    dataset.append(
        ["NEW-9", "no-such-solution", "计划", "cn", "CNY", "-1", "6", "product", "", "是"]
    )
    upload = SimpleUploadedFile("skus.xlsx", XLSX().export_data(dataset))
    response = staff_client.post(
        reverse("admin:catalog_sku_import"),
        {"resource": "0", "format": _format_index(Sku), "import_file": upload},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "方案“no-such-solution”不存在。" in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert _counts() == before


def test_console_import_dry_run_then_confirm(staff_client, catalog):
    skus = _read(_xlsx(SkuExcelResource))
    dataset = tablib.Dataset(headers=SKU_HEADERS)
    for row in skus.dict:
        row = dict(row)
        if row["SKU编码"] == "S-ZXX-PLA-OFF-N-OOXX-CRR":
            row["单价"] = "60.00"
        dataset.append([row[h] for h in SKU_HEADERS])
    upload = SimpleUploadedFile("skus.xlsx", XLSX().export_data(dataset))
    response = staff_client.post(
        reverse("admin:catalog_sku_import"),
        {"resource": "0", "format": _format_index(Sku), "import_file": upload},
    )
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None
    # the dry run changed nothing
    assert Sku.objects.get(code="S-ZXX-PLA-OFF-N-OOXX-CRR").unit_price == Decimal("57.75")

    response = staff_client.post(reverse("admin:catalog_sku_process_import"), confirm.initial)
    assert response.status_code == 302
    assert Sku.objects.get(code="S-ZXX-PLA-OFF-N-OOXX-CRR").unit_price == Decimal("60.00")
