from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # Register the e-mails accounts sends and its clean-up jobs with integrations.
        from accounts import cleanup, emails  # noqa: F401
