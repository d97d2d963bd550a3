"""Reading figures: the association's page of views and downloads (signed in)."""

public_urlpatterns: list = []
member_urlpatterns: list = []
