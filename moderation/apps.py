from django.apps import AppConfig


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
        hooks.post_screeners.register(services.post_screen)
        hooks.thread_title_screeners.register(services.thread_title_screen)
        # Moderators' forum actions (hide, restore, lock, ...) go to the audit log.
        hooks.audit_sinks.register(services.audit)
        # A post's notices: read with it, shown above its text, in the API, and its actions.
        hooks.post_prefetches.register(selectors.live_notices_prefetch)
        hooks.notice_sources.register(selectors.live_notices)
        hooks.post_notice_templates.register("moderation/_post_notices.html")
        hooks.post_action_templates.register("moderation/_post_actions.html")
        # Notices are part of the thread pages readers see.
        pagecache.watch(Notice)
