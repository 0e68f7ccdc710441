from django.apps import AppConfig


class ModerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "moderation"

    def ready(self) -> None:
        from forum import policy
        from moderation import emails, sanctions  # noqa: F401

        # Suspended members read but do not act, on every surface that asks the policy.
        policy.register_restriction(sanctions.suspension_restriction)
