from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PressroomConfig(AppConfig):
    name = "pressroom"
    verbose_name = _("Pressroom")

    def ready(self):
        from . import pagecache, presskit  # noqa: F401 - presskit's receivers rebuild press kits
        from .checks import register_deploy_checks

        register_deploy_checks()

        pagecache.connect_signals()
