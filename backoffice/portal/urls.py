from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("logout/", LogoutView.as_view(next_page="portal:home"), name="logout"),
    path("healthz", views.healthz, name="healthz"),
]
