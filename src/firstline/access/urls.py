"""Access pages: administration (policies, passes, devices, visitors, vehicles,
deliveries), monitoring (gate log, charts, alerts, follow-ups, export), and the
guard's phone page."""

from firstline.access import urls_admin, urls_gate, urls_monitor

app_name = "access"

urlpatterns = [*urls_admin.urlpatterns, *urls_monitor.urlpatterns, *urls_gate.urlpatterns]
