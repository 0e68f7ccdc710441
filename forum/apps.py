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
        # ...and offers the viewer to block them (or links to one's own lists).
        hooks.profile_context.register(_profile_block)
        hooks.profile_templates.register("forum/_profile_block.html")


def _profile_posts(*, viewer, member) -> dict:
    from forum import selectors

    return {"posts": selectors.member_recent_posts(viewer=viewer, member=member)}


def _profile_block(*, viewer, member) -> dict:
    from forum import policy

    return {
        "can_block": policy.can_block(viewer, member),
        "is_blocked": policy.has_blocked(viewer, member.pk),
    }
