#!/usr/bin/env bash
# Adapted from ../shared/peer/side_by_side.sh (the peer's own script): each forum's CSRF cookie
# is sent with its session cookie, as a browser sends it (without it every signed-in answer sets
# a new CSRF cookie, and Stoa keeps no signed-in page), and ONLY="index topic ..." measures a
# subset. Run from the project root; the peer is built by ../shared/peer/setup.sh.
# Stoa vs Spirit, same machine, same run, same data shape, same gunicorn (2 sync workers), same
# wrk (-t2 -c8), persistent database connections on both. Prints one table with the ratios.
# Run from the project root: bash ../shared/peer/side_by_side.sh [SECONDS=8] [CONN_MAX_AGE=60]
# Needs: the peer (setup.sh), wrk, the project installed in $PY's environment (default
# .venv/bin/python), and a PostgreSQL database stoa_bench seeded with the same shape:
#   createdb stoa_bench; DATABASE_URL=postgres://postgres@127.0.0.1:5432/stoa_bench
#   $PY manage.py migrate && $PY manage.py shell < ../shared/peer/stoa_seed.py
# (then rebuild any search index the project keeps outside its write path).
# Stoa's URLs below are today's; adjust your copy if they change.
set -u
T=$(cd "$(dirname "$0")/../../../shared/peer" && pwd); PEER=${PEER:-$(dirname "$(dirname "$T")")/peer}
DUR=${1:-8}; CMA=${2:-60}; ROUNDS=${ROUNDS:-2}  # alternating rounds; each side keeps its best
PY=${PY:-.venv/bin/python}
export DATABASE_URL=${STOA_BENCH_URL:-postgres://postgres@127.0.0.1:5432/stoa_bench} DEBUG=False SECURE_HTTPS=False \
  ALLOWED_HOSTS=127.0.0.1,localhost,testserver SECRET_KEY=bench-not-secret-0123456789abcdefghijklmnopqrstuvwxyz \
  CONN_MAX_AGE=$CMA THROTTLE_POST_USER=100000/min THROTTLE_POST_ADDRESS=100000/min
"$PY" -m pip show gunicorn >/dev/null 2>&1 || "$PY" -m pip install -q gunicorn >/dev/null 2>&1
stoa_sid=$("$PY" manage.py shell -c "
from django.test import Client
c = Client(); assert c.login(username='user05', password='benchpass'); print(c.cookies['sessionid'].value)" 2>/dev/null | tail -n1)
spirit_sid=$(cd "$PEER/mysite" && ../venv/bin/python manage.py shell --settings=mysite.settings.peer < ../get_session.py 2>/dev/null | sed -n 's/^SESSIONID=//p')
rate() { # url [cookie] -> "req/s p50 p99 non2xx"
  local h=(); [[ -n ${2:-} ]] && h=(-H "Cookie: $2")
  wrk -t2 -c8 -d2s "${h[@]}" "$1" >/dev/null 2>&1
  wrk -t2 -c8 -d${DUR}s --latency "${h[@]}" "$1" 2>/dev/null | awk '
    /Requests\/sec/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
    END {printf "%s %s %s %s", r, p50, p99, (bad==""?0:bad)}'
}
declare -A ST SP
stoa_paths=(index:/ category:/c/category-1-bookmark/ topic:/t/49/it-mention-topic-avatar-thread-quote-this/
  big_last:"/t/1/the-big-megathread/?page=100" api_topic:/api/v1/threads/49/posts/
  search_common:"/search/?q=gunicorn+benchmark" search_rare:"/search/?q=megathread")
spirit_paths=(index:/ category:/category/3/category-1-bookmark/ topic:/topic/49/it-mention-topic-avatar-thread-quote-this/
  big_last:"/topic/1/the-big-megathread/?page=100" api_topic:- search_common:"/search/?q=gunicorn+benchmark"
  search_rare:"/search/?q=megathread")
for who in $(for r in $(seq 1 $ROUNDS); do echo stoa spirit; done); do
  if [[ $who == stoa ]]; then
    setsid "$PY" -m gunicorn forum.wsgi -b 127.0.0.1:8766 -w 2 --access-logfile /dev/null >/tmp/sbs-stoa.log 2>&1 & g=$!
    for i in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:8766/ && break; sleep 0.5; done
    base=http://127.0.0.1:8766; paths=("${stoa_paths[@]}")
    csrf=$(curl -s -o /dev/null -c - -H "Cookie: sessionid=$stoa_sid" $base/ | awk '$6=="csrftoken"{print $7}')
    sid="sessionid=$stoa_sid${csrf:+; csrftoken=$csrf}"; echo "stoa cookie: $sid" >&2
  else
    PEER=$PEER PEER_CONN_MAX_AGE=$CMA "$PEER/server.sh" start >/dev/null 2>&1
    base=http://127.0.0.1:8000; paths=("${spirit_paths[@]}")
    for i in $(seq 1 60); do curl -s -o /dev/null $base/ && break; sleep 0.5; done
    csrf=$(curl -s -o /dev/null -c - -H "Cookie: sessionid=$spirit_sid" $base/ | awk '$6=="csrftoken"{print $7}')
    sid="sessionid=$spirit_sid${csrf:+; csrftoken=$csrf}"; echo "spirit cookie: $sid" >&2
  fi
  for kv in "${paths[@]}"; do
    k=${kv%%:*}; p=${kv#*:}; [[ $p == - ]] && continue
    [[ -n ${ONLY:-} && " $ONLY " != *" $k "* ]] && continue
    for auth in anon auth; do
      [[ $k == search_* && $auth == anon && $who == spirit ]] && continue  # Spirit's search needs a login
      c=""; [[ $auth == auth ]] && c=$sid
      r=$(rate "$base$p" "$c")
      if [[ $who == stoa ]]; then prev=${ST[$k.$auth]:-0}; else prev=${SP[$k.$auth]:-0}; fi
      if python3 -c "import sys; sys.exit(0 if float('${r%% *}' or 0) >= float('${prev%% *}' or 0) else 1)" 2>/dev/null; then
        if [[ $who == stoa ]]; then ST[$k.$auth]=$r; else SP[$k.$auth]=$r; fi
      fi
    done
  done
  if [[ $who == stoa ]]; then kill -- -$g 2>/dev/null; sleep 1; else PEER=$PEER "$PEER/server.sh" stop >/dev/null 2>&1; fi
done
printf '%-22s %-28s %-28s %s\n' endpoint "Stoa req/s p50 p99 non2xx" "Spirit req/s p50 p99 non2xx" ratio
for k in index category topic big_last api_topic search_common search_rare; do
  for auth in anon auth; do
    a=${ST[$k.$auth]:-}; b=${SP[$k.$auth]:-}
    [[ -z $a && -z $b ]] && continue
    ra=${a%% *}; rb=${b%% *}
    ratio=$(python3 -c "print(round(float('${ra:-0}' or 0)/float('${rb:-0}' or 1),2) if '${rb:-}' else '-')" 2>/dev/null)
    printf '%-22s %-28s %-28s %s\n' "$k.$auth" "${a:--}" "${b:--}" "$ratio"
  done
done
