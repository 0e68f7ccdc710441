from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    label = "stoa_core"
    verbose_name = "Stoa core"

    def ready(self) -> None:
        from core import charsets

        charsets.install()
