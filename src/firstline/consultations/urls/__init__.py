"""consultations pages."""

app_name = "consultations"

urlpatterns = []
