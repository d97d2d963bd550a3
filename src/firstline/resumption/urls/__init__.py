"""resumption pages."""

app_name = "resumption"

urlpatterns = []
