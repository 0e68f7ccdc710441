from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    label = "stoa_core"
    verbose_name = "Stoa core"

    def ready(self) -> None:
        from core import charsets
        from core.api import blank  # noqa: F401  (registers the schema of request strings)

        charsets.install()
