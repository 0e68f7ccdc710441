#!/usr/bin/env bash
# Sustained load against a real server on PostgreSQL: gunicorn (2 workers) on 127.0.0.1,
# locust headless, then no 5xx in the access log and every counter reconciled.
#   bash tests/load/run.sh [USERS] [SECONDS]       (defaults 20 users, 60 s)
# Needs: pip install -e '.[dev,load]', PostgreSQL on 127.0.0.1 (trust auth), optionally Redis.
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-20}
SECONDS_TO_RUN=${2:-60}
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
DB=stoa_load
PORT=${PORT:-8766}
work=$(mktemp -d)

psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DEBUG=False \
    SECRET_KEY=load-test-secret-key-not-for-production-0123456789abcdef \
    ALLOWED_HOSTS=127.0.0.1 SECURE_HTTPS=False CONN_MAX_AGE=60 \
    THROTTLE_LOGIN_ACCOUNT=100000/hour THROTTLE_LOGIN_ADDRESS=100000/hour \
    THROTTLE_POST_USER=100000/min THROTTLE_POST_ADDRESS=100000/min
if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then export REDIS_URL=redis://127.0.0.1:6379/14; fi

"$PY" manage.py migrate -v0
"$PY" manage.py seed_demo >/dev/null
# Accounts and their API tokens are made before the clock starts: password hashing is slow on
# purpose and would otherwise dominate the first seconds of the run.
"$PY" manage.py shell -c "
from knox.models import AuthToken
from accounts.models import TokenDevice, User
with open('$work/tokens', 'w') as out:
    for i in range($USERS):
        u, _ = User.objects.get_or_create(username=f'load{i}', defaults={'email': f'load{i}@example.com'})
        instance, token = AuthToken.objects.create(user=u)
        TokenDevice.objects.create(token=instance, name='load test')
        out.write(token + '\\n')
"
export LOAD_TOKENS="$work/tokens"
"$BIN/gunicorn" forum.wsgi -b "127.0.0.1:$PORT" -w 2 --threads 4 \
    --access-logfile "$work/access.log" --error-logfile "$work/error.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 1; done

"$BIN/locust" -f tests/load/locustfile.py --headless -u "$USERS" -r "$USERS" \
    -t "${SECONDS_TO_RUN}s" -H "http://127.0.0.1:$PORT" --only-summary --csv "$work/stats" \
    2>&1 | tail -n 30

errors=$(awk '$9 ~ /^5/' "$work/access.log" | wc -l)
requests=$(wc -l <"$work/access.log")
echo "requests: $requests, server errors (5xx): $errors"
"$PY" manage.py recount
[ "$errors" -eq 0 ]
