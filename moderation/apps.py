from django.apps import AppConfig


class ModerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "moderation"

    def ready(self) -> None:
        from forum import pagecache, policy
        from moderation import emails, sanctions  # noqa: F401
        from moderation.models import Notice

        # Suspended members read but do not act, on every surface that asks the policy.
        policy.register_restriction(sanctions.suspension_restriction)

        # Notices are part of the thread pages readers see.
        pagecache.watch(Notice)
