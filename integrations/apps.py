from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Background delivery shared by every app: the task-queue helpers, outgoing e-mail,
    webhooks, push devices and periodic clean-up. It imports none of the forum's apps (they
    import it), so accounts, forum and moderation can all hand it work."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Deliveries and integrations"

    def ready(self) -> None:
        # System checks, the e-mails this app sends, the task-failure signal handler, and the
        # webhook endpoints' signals.
        from django.db.models.signals import post_delete, post_save

        from integrations import checks, emails, queue, webhooks  # noqa: F401
        from integrations.models import WebhookEndpoint

        queue.connect_signals()
        # emit() publishes only events that an active endpoint wants; what they want changes here.
        for signal in (post_save, post_delete):
            signal.connect(webhooks.forget_subscribed_events, sender=WebhookEndpoint)
