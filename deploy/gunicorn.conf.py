"""gunicorn settings for Stoa behind nginx (deploy/nginx/stoa.conf).

    gunicorn forum.wsgi -c deploy/gunicorn.conf.py

Sync workers are safe here because nginx buffers every request and response: a worker only
ever waits on the application, never on a slow client. Never expose this port directly.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A request the application takes longer than this to answer is killed (and logged).
timeout = 30
graceful_timeout = 30
# Recycle workers now and then: a leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Only nginx on this host may set X-Forwarded-Proto.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
