"""Registration, activation, login, logout, password reset. Owned by the auth area."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from .views import auth

urlpatterns = [
    path("register/", auth.register, name="register"),
    path("register/done/", auth.register_done, name="register_done"),
    # "resend/" before the token route, which would otherwise take it for a token.
    path("activate/resend/", auth.activation_resend, name="activation_resend"),
    path("activate/<str:token>/", auth.activate, name="activate"),
    path("login/", auth.login_view, name="login"),
    path("logout/", LogoutView.as_view(next_page="portal:home"), name="logout"),
    path("password-reset/", auth.password_reset, name="password_reset"),
    path("password-reset/done/", auth.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<str:token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
]
