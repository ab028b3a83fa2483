"""E-contracts (/contracts/): 查看电子订单 and the download of agreed contracts.
Names live in "portal:"."""

from django.urls import path

from .views import contracts

urlpatterns = [
    path("<int:pk>/", contracts.contract_view, name="contract_view"),
    path("<int:pk>/pdf/", contracts.contract_pdf, name="contract_pdf"),
]
