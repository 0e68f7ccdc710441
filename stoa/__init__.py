"""The project's composition root: it puts the apps' URLs together (the one place that may import
every app). Settings, Celery and the WSGI/ASGI entry points are in the forum package."""
