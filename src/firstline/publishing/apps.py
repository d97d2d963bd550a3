from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "firstline.publishing"
    label = "publishing"
    verbose_name = _("协会知识库")

    def ready(self):
        # Firstline's roles decide who edits (services/editors.py).
        from django.db.models.signals import post_migrate

        from firstline.publishing.services import cache, editors, search, site

        editors.connect()
        cache.connect()  # what may change a public page changes the cache's keys
        search.connect()  # publishing and unpublishing keep the search index in step
        post_migrate.connect(site.on_post_migrate, dispatch_uid="publishing-site")
