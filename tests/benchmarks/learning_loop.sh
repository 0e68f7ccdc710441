#!/usr/bin/env bash
# The learning loop, measured (README "Learning loop"): 500 moderator decisions on real
# hand-labelled training posts the committed model scores (half its errors of each kind, the
# rest flagged asks confirmed), exported, learnt from by train_detector --include-moderation
# into a model in a temporary folder (the committed model is left alone), then the committed
# and the new model compared on the hand-labelled training posts kept out of the stream and on
# the held-out split.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/stoa_loop bash tests/benchmarks/learning_loop.sh
#
# The database must be empty of moderators' decisions (it is migrated first). Fixed seeds:
# the same data and committed model give the same stream and the same new model. Training takes
# 16-25 minutes on a loaded 2-core machine. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-$(mktemp -d)}
"$PY" manage.py migrate -v0
"$PY" manage.py simulate_moderation_stream --probe "$OUT/probe.jsonl"
"$PY" manage.py export_moderation_labels "$OUT/stream.jsonl" --with-detector
"$PY" manage.py train_detector --include-moderation --output "$OUT/model.json"
for model in committed new; do
    args=()
    [[ $model == new ]] && args=(--model "$OUT/model.json")
    echo "== $model model, training posts kept out of the stream"
    "$PY" manage.py evaluate_detector "$OUT/probe.jsonl" --max-errors 0 "${args[@]}"
    echo "== $model model, held-out split"
    "$PY" manage.py evaluate_detector --builtin --max-errors 0 "${args[@]}"
done
echo "files in $OUT"
