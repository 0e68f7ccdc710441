from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _notice_written(sender, instance, **kwargs) -> None:
    # A notice is part of its post's payload: every write of one (the detector, reviews, a
    # moderator's hand, the admin, an undo) gives the post a new change key for the sync feed.
    # A signal, because notices are saved in a dozen places and a missed one is a stale cache.
    from forum import changes
    from forum.models import Post

    # The thread too: thread lists show whether any of its posts carries a notice.
    if type(instance).post.is_cached(instance):
        threads = [instance.post.thread_id]
    else:
        threads = list(Post.objects.filter(pk=instance.post_id).values_list("thread_id", flat=True))
    changes.touch(posts=[instance.post_id], threads=threads)


class ModerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "moderation"

    def ready(self) -> None:
        """Plug moderation into the forum's hooks: the forum core never imports this app."""
        from forum import hooks, pagecache, policy
        from moderation import emails, sanctions, selectors, services  # noqa: F401
        from moderation.models import Notice

        # Suspended members read but do not act, on every surface that asks the policy.
        policy.register_restriction(sanctions.suspension_restriction)
        # Every write of a post's text (and a thread's title) is screened by the detector.
        hooks.post_screeners.register(services.post_screener)
        hooks.thread_title_screeners.register(services.thread_title_screen)
        # Moderators' forum actions (hide, restore, lock, ...) go to the audit log.
        hooks.audit_sinks.register(services.audit)
        # A post's notices: read with it, shown above its text, in the API, and its actions.
        hooks.post_prefetches.register(selectors.live_notices_prefetch)
        hooks.notice_sources.register(selectors.live_notices)
        hooks.notice_severity_sources.register(selectors.notice_severity)
        hooks.post_notice_templates.register("moderation/_post_notices.html")
        hooks.post_action_templates.register("moderation/_post_actions.html")
        # Notices are part of the thread pages readers see.
        pagecache.watch(Notice)
        post_save.connect(_notice_written, sender=Notice, dispatch_uid="notice_changes")
        post_delete.connect(_notice_written, sender=Notice, dispatch_uid="notice_changes_delete")
