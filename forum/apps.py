from django.apps import AppConfig


class ForumConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forum"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts import hooks
        from forum import pagecache
        from forum.models import Category, Post, Thread

        # What anonymous pages show: their cached copies go stale with every change of these.
        for model in (Category, Thread, Post, get_user_model()):
            pagecache.watch(model)

        # A member's profile (an accounts page) lists their recent posts.
        hooks.profile_context.register(_profile_posts)


def _profile_posts(*, viewer, member) -> dict:
    from forum import selectors

    return {"posts": selectors.member_recent_posts(viewer=viewer, member=member)}
