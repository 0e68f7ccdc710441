"""WSGI entry point of the benchmark: Stoa with the minimal view added."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.settings")
application = get_wsgi_application()
