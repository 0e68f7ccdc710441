from django.apps import AppConfig


class ForumConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forum"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from forum import pagecache
        from forum.models import Category, Post, Thread

        # What anonymous pages show: their cached copies go stale with every change of these.
        for model in (Category, Thread, Post, get_user_model()):
            pagecache.watch(model)
