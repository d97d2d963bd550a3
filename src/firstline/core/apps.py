from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "firstline.core"
    label = "core"

    def ready(self):
        # Django 6.1's blank choice of every select ("- Select an option -") has no
        # Chinese in Django's own catalogue; ours says it in both languages.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("请选择")
