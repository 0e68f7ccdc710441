"""Queries per request of each benchmarked endpoint, measured in process with the test client
against the benchmark database. Prints `name count` lines."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.benchmarks.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

session, token = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    name, auth, path = line.split()
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {}
    if auth == "member":
        client.cookies["sessionid"] = session
    client.get(path, **headers)  # warm: caches, connections
    # Counted as they run: outside the test runner, CaptureQueriesContext saw none here (the
    # request resets connection.queries, which it reads).
    ran: list[str] = []

    def count(execute, sql, params, many, context, ran=ran):
        ran.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path, **headers)
    print(name, auth, len(ran), response.status_code)
