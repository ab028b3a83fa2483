"""Personal center (/account/): profile, benefits, users, resellers, customers."""

urlpatterns: list = []
