# Load the Celery app with Django, so that @shared_task binds to it in every process (web and
# worker) and tasks enqueued by the web process use the configured broker.
from forum.celery import app as celery_app

__all__ = ("celery_app",)
