from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Background delivery shared by every app: the task-queue helpers, outgoing e-mail,
    webhooks, push devices and periodic clean-up. It imports none of the forum's apps (they
    import it), so accounts, forum and moderation can all hand it work."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Deliveries and integrations"

    def ready(self) -> None:
        # System checks, the e-mails this app sends, and the task-failure signal handler.
        from integrations import checks, emails, queue  # noqa: F401

        queue.connect_signals()
