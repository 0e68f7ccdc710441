from django.apps import AppConfig
from django.db.models.signals import m2m_changed


class ForumConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forum"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts import hooks
        from forum import pagecache
        from forum.api import schema  # noqa: F401  (registers the schema of a post)
        from forum.models import (
            Block,
            Bookmark,
            Category,
            Notification,
            Post,
            Reaction,
            ReadMarker,
            Subscription,
            Thread,
        )

        # What anonymous pages show: their cached copies go stale with every change of these.
        user_model = get_user_model()
        for model in (Category, Thread, Post, user_model):
            pagecache.watch(model)
        # What a signed-in reader's own pages show of theirs.
        pagecache.watch_reader(user_model, "pk")
        for own in (ReadMarker, Subscription, Bookmark, Reaction):
            pagecache.watch_reader(own, "user")
        pagecache.watch_reader(Block, "user", "blocked")  # the blocked member may not quote
        pagecache.watch_reader(Notification, "recipient")
        m2m_changed.connect(
            _roles_changed, sender=user_model.groups.through, dispatch_uid="reader-roles"
        )

        # A member's profile (an accounts page) lists their recent posts.
        hooks.profile_context.register(_profile_posts)
        # ...and offers the viewer to block them (or links to one's own lists).
        hooks.profile_context.register(_profile_block)
        hooks.profile_templates.register("forum/_profile_block.html")
        # A new name or avatar shows on every post of the member: the sync feed lists them.
        hooks.profile_changed.register(_profile_changed)


def _profile_posts(*, viewer, member) -> dict:
    from forum import selectors

    return {"posts": selectors.member_recent_posts(viewer=viewer, member=member)}


def _profile_changed(*, user) -> None:
    from forum import changes

    changes.touch(members=[user.pk])


def _profile_block(*, viewer, member) -> dict:
    from forum import policy

    return {
        "can_block": policy.can_block(viewer, member),
        "is_blocked": policy.has_blocked(viewer, member.pk),
    }


def _roles_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A member joined or left a group (Moderators): what their pages offer changes."""
    from forum import pagecache

    if action in ("post_add", "post_remove", "post_clear"):
        pagecache.readers_changed(pk_set or () if reverse else [instance.pk])
