"""E-contracts (/contracts/): download of agreed contracts. Names live in "portal:"."""

from django.urls import path

from .views import contracts

urlpatterns = [
    path("<int:pk>/pdf/", contracts.contract_pdf, name="contract_pdf"),
]
