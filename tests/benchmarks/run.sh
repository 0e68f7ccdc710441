#!/usr/bin/env bash
# Benchmark: gunicorn (2 sync workers) on 127.0.0.1, wrk (2 threads, 8 connections) on each
# endpoint, and a table: endpoint, req/s, p50, p99, non-2xx, queries per request, and the ratio
# to a minimal Django view served by the same gunicorn in the same run.
#
#   bash tests/benchmarks/run.sh [SECONDS=8]
#   ONLY="reply reply_one_at_a_time" bash tests/benchmarks/run.sh   # just these rows (and the
#                                                                   # minimal view, the ratio's base)
#
# Uses $DATABASE_URL (default postgres://postgres@127.0.0.1:5432/stoa_bench). An empty database
# is migrated and seeded first with `seed_demo --threads $THREADS --posts $POSTS
# --skip-screening` (defaults 5,000 and 100,000); a seeded one is reused. Needs wrk (apt) and
# gunicorn (pip install -e '.[load]'). Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-8}
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8133}
THREADS=${THREADS:-5000}
POSTS=${POSTS:-100000}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/stoa_bench}
export DJANGO_SETTINGS_MODULE=tests.benchmarks.settings DEBUG=False SECURE_HTTPS=False \
    ALLOWED_HOSTS=127.0.0.1 CONN_MAX_AGE=60 \
    SECRET_KEY=benchmark-secret-key-not-for-production-0123456789abcdef \
    THROTTLE_POST_USER=100000/min THROTTLE_POST_ADDRESS=100000/min \
    THROTTLE_SEARCH_ANON=100000/min THROTTLE_SEARCH_USER=100000/min
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
work=$(mktemp -d)

"$PY" manage.py migrate -v0
if [[ $("$PY" manage.py shell -v0 -c "from forum.models import Post; print(Post.objects.count())" | tail -n1) -lt 1000 ]]; then
    "$PY" manage.py seed_demo --threads "$THREADS" --posts "$POSTS" --skip-screening
fi
# A member's session and API token, and the URLs of the data at hand.
"$PY" manage.py shell -v0 -c "
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Max
from knox.models import AuthToken
from accounts.models import User
from forum.models import Category, Thread
user = User.objects.filter(is_active=True, is_staff=False).order_by('pk').first()
s = SessionStore(); s['_auth_user_id'] = str(user.pk)
s['_auth_user_backend'] = settings.AUTHENTICATION_BACKENDS[0]
s['_auth_user_hash'] = user.get_session_auth_hash(); s.create()
_, token = AuthToken.objects.create(user=user)
big = Thread.objects.order_by('-post_count').first()
small = Thread.objects.filter(post_count=20).first() or Thread.objects.filter(post_count__gte=20).first()
cat = Category.objects.order_by('pk').first()
last = (big.last_number - 1) // 20 + 1
print(s.session_key, token, sep='\n', file=open('$work/auth', 'w'))
with open('$work/paths', 'w') as out:
    out.write(f'minimal /_bench/minimal/\n')
    out.write(f'index /\n')
    out.write(f'category {cat.get_absolute_url()}\n')
    out.write(f'thread {small.get_absolute_url()}\n')
    out.write(f'thread_last {big.get_absolute_url()}?page={last}\n')
    out.write(f'api_thread /api/v1/threads/{small.pk}/posts/\n')
    out.write(f'search_common /search/?q=squat+tempo\n')
    out.write(f'search_rare /search/?q=megathread\n')
print(small.pk, file=open('$work/thread', 'w'))
"
session=$(sed -n 1p "$work/auth"); token=$(sed -n 2p "$work/auth")

BIN=$(dirname "$PY")
setsid "$BIN/gunicorn" tests.benchmarks.wsgi -b "127.0.0.1:$PORT" -w 2 \
    --access-logfile /dev/null --error-logfile "$work/error.log" &
server=$!
trap 'kill -- -$server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/_bench/minimal/" && break; sleep 0.5; done

rate() { # url [cookie] [wrk options...] -> "req/s p50 p95 p99 non2xx"
    local url=$1 h=()
    [[ -n ${2:-} ]] && h=(-H "Cookie: $2")
    shift 2
    local opts=("$@"); [[ ${#opts[@]} -eq 0 ]] && opts=(-t2 -c8)
    wrk "${opts[@]}" -d2s --timeout 10s "${h[@]}" -s tests/benchmarks/latency.lua "$url" >/dev/null 2>&1
    wrk "${opts[@]}" -d"${DUR}s" --timeout 10s "${h[@]}" -s tests/benchmarks/latency.lua "$url" \
        2>/dev/null | awk '/^RESULT/ {print $2, $3, $4, $5, $6}'
}
# A browser sends the CSRF cookie it was given with the session cookie: so does the benchmark
# (without it every signed-in answer would set a new one, and none could be kept).
thread_path=$(awk '$1 == "thread" {print $2}' "$work/paths")
csrf=$(curl -s -o /dev/null -c - -H "Cookie: sessionid=$session" "http://127.0.0.1:$PORT$thread_path" |
    awk '$6=="csrftoken" {print $7}')
member_cookie="sessionid=$session${csrf:+; csrftoken=$csrf}"
# The member's pages must be a member's: a session the server does not accept would measure
# anonymous pages rendered for a cookie.
# (The page is read whole first: with pipefail, grep -q quitting at its match fails curl.)
page=$(curl -s -H "Cookie: $member_cookie" "http://127.0.0.1:$PORT$thread_path")
grep -q 'notifications-link' <<<"$page" ||
    { echo "the benchmark member is not signed in" >&2; exit 1; }

wanted() { [[ -z ${ONLY:-} || $1 == minimal || " $ONLY " == *" $1 "* ]]; }
declare -A R Q
while read -r name path; do
    wanted "$name" || continue
    for auth in anon member; do
        c=""; [[ $auth == member ]] && c=$member_cookie
        R[$name.$auth]=$(rate "http://127.0.0.1:$PORT$path" "$c")
        echo "$name $auth $path"
    done
done <"$work/paths" >"$work/plan"
thread=$(cat "$work/thread")
# Replies through the API with screening: 8 connections, then one at a time (a member's own
# reply as they wait for it).
export BENCH_TOKEN=$token BENCH_BODY_SCRIPT=tests/benchmarks/reply.lua
replies=()
if wanted reply; then
    R[reply.member]=$(rate "http://127.0.0.1:$PORT/api/v1/threads/$thread/posts/" "")
    replies+=(reply.member)
fi
if wanted reply_one_at_a_time; then
    R[reply_one_at_a_time.member]=$(rate "http://127.0.0.1:$PORT/api/v1/threads/$thread/posts/" "" -t1 -c1)
    replies+=(reply_one_at_a_time.member)
fi
unset BENCH_BODY_SCRIPT
while read -r name auth n status; do Q[$name.$auth]="$n"; done < <(
    awk '{print $1, $2, $3}' "$work/plan" | PYTHONPATH=. "$PY" tests/benchmarks/queries.py "$session" "$token")

ceiling=${R[minimal.anon]%% *}
printf '%-28s %10s %9s %9s %9s %7s %8s %8s\n' endpoint req/s p50 p95 p99 non2xx queries ratio
for key in $(awk '{print $1"."$2}' "$work/plan") "${replies[@]}"; do
    read -r rps p50 p95 p99 bad <<<"${R[$key]}"
    ratio=$(python3 -c "print(f'{float(\"$rps\")/float(\"$ceiling\"):.1%}')")
    printf '%-28s %10s %9s %9s %9s %7s %8s %8s\n' "$key" "$rps" "$p50" "$p95" "$p99" "$bad" "${Q[$key]:--}" "$ratio"
done
