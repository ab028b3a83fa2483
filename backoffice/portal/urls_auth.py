"""Registration, activation, login, logout, password reset. Owned by the auth area."""

from django.contrib.auth.views import LogoutView
from django.urls import path

urlpatterns = [
    path("logout/", LogoutView.as_view(next_page="portal:home"), name="logout"),
]
