"""Notice pages under /notices/: the sender's (urls/sender), the recipients' phone
pages (urls/inbox) and the one-time-code resident's (urls/declare)."""

from firstline.notices.urls import declare, inbox, sender

app_name = "notices"

urlpatterns = [*sender.urlpatterns, *inbox.urlpatterns, *declare.urlpatterns]
