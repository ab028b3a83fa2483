"""分账管理 (/account/statements/): list, the AggreSmart账单 detail, confirm, dispute, downloads."""

from django.urls import path

from .views import statements

urlpatterns = [
    path("", statements.statements, name="account_statements"),
    path("<int:pk>/", statements.statement_detail, name="account_statement_detail"),
    path("<int:pk>/confirm/", statements.statement_confirm_view, name="account_statement_confirm"),
    path("<int:pk>/dispute/", statements.statement_dispute_view, name="account_statement_dispute"),
    path("<int:pk>/pdf/", statements.statement_pdf, name="account_statement_pdf"),
    path("<int:pk>/excel/", statements.statement_excel, name="account_statement_excel"),
    path("<int:pk>/voucher/", statements.statement_voucher, name="account_statement_voucher"),
]
