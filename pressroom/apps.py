from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PressroomConfig(AppConfig):
    name = "pressroom"
    verbose_name = _("Pressroom")

    def ready(self):
        from . import presskit  # noqa: F401 - its signal receivers rebuild press kits when releases change
