"""The Celery application: `celery -A forum worker` runs the background work, `celery -A forum
beat` the periodic jobs (CELERY_BEAT_SCHEDULE in settings).

Configuration is read from Django's settings under the CELERY_ prefix; tasks are found in
each installed app's tasks.py.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")

app = Celery("stoa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
