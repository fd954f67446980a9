from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "pressroom.newsroom"
    verbose_name = _("Pressroom")

    def ready(self):
        from . import history, pagecache, search, tasks

        history.register_models()
        pagecache.connect_signals()
        search.connect_signals()
        tasks.connect_signals()
