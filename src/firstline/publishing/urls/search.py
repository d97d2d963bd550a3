"""Search of the public site (services/search.py)."""

urlpatterns: list = []
