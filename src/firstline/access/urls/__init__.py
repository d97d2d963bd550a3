"""Access pages: administration (policies, passes, devices, visitors, vehicles,
deliveries), monitoring (gate log, charts, alerts, follow-ups, export), and the
guard's phone page."""

from firstline.access.urls import administration, gate, monitor

app_name = "access"

urlpatterns = [*administration.urlpatterns, *monitor.urlpatterns, *gate.urlpatterns]
