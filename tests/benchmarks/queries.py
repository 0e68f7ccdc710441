"""Queries per request of each benchmarked endpoint, measured in process with the test client
against the benchmark database. Prints `name count` lines."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

session, token = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    name, auth, path = line.split()
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    if auth == "member":
        client.cookies["sessionid"] = session
    client.get(path, **headers)  # warm: caches, connections
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    print(name, auth, len(captured), response.status_code)
