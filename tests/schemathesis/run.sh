#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from the OpenAPI document that a live
# pufa serves at /api/openapi.json and checks every response against it (no 5xx, documented
# status codes, content types, headers and bodies).
#
#   tests/schemathesis/run.sh [PATH_TO_PUFA_BINARY]     (default target/debug/pufa; builds nothing)
#
# It starts pufa on a free port with a fresh SQLite file and the in-process store, makes an admin
# (`pufa admin create`, before the server starts) and registers a resident, plays one quiz through
# (validating each response against the document with schemathesis' own validator), then runs
# schemathesis as the resident and as the admin. Operations that end the caller's own sign-in
# (logout, and an admin resetting, disabling, enabling or promoting accounts, which may be their
# own) run last, with tokens of their own, so that they cannot cut the other runs short. The SSE
# stream (`…/live`) never ends by design: schemathesis.toml beside this script reads one event.
#
# Settings (environment): PUFA_ST_MAX_EXAMPLES (default 30 per operation), PUFA_ST_SEED (default
# 20261127, plus 1 for each run after the first; fixed so that a failure reproduces), PUFA_ST_VENV
# (default target/st-venv, ignored by git; schemathesis is installed there when missing),
# PUFA_ST_KEEP=1 keeps the temporary directory (database, server log, NDJSON reports).
# Exit status: 0 only when every check passed.
set -euo pipefail

ST_VERSION=4.32.5
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${1:-target/debug/pufa}
VENV=${PUFA_ST_VENV:-$ROOT/target/st-venv}
MAX_EXAMPLES=${PUFA_ST_MAX_EXAMPLES:-30}
SEED=${PUFA_ST_SEED:-20261127}

if [[ ! -x $BIN ]]; then
    echo "run.sh: no pufa binary at $BIN (run cargo build first)" >&2
    exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$ST_VERSION"; then
    echo "== installing schemathesis $ST_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi
ST=$VENV/bin/schemathesis
PY=$VENV/bin/python

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n ${PUFA_ST_KEEP:-} ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
export PUFA_DATABASE_URL="sqlite://$WORK/pufa.db?mode=rwc"
export PUFA_LIVE_SCORES=memory
export PUFA_REGIONS_FILE=$ROOT/question-bank/regions.toml
# The bank and campaigns, with the demo campaign allowing 100 attempts a day and no per-answer
# floor, so that sessions keep starting (and get answered by a script) all through the runs: its
# rules are frozen once it opens, so they are set before pufa loads it.
cp -r "$ROOT/question-bank" "$WORK/question-bank"
sed -i 's/^attempts_per_day = 3$/attempts_per_day = 100/; s/^points_per_question = 5$/points_per_question = 5\nmin_secs_per_answer = 0/' \
    "$WORK/question-bank/campaigns/2023-civil-code-month.toml"
export PUFA_QUESTION_BANK_DIR=$WORK/question-bank
export PUFA_STATIC_DIR=$ROOT/static
export PUFA_LOG=${PUFA_LOG:-warn}
export ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT=$PORT ROCKET_LOG_LEVEL=critical

ADMIN_PHONE=19900000000
ADMIN_PASSWORD="st-admin-$RANDOM$RANDOM"
RESIDENT_PHONE=13800138000
RESIDENT_PASSWORD="st-resident-$RANDOM$RANDOM"

echo "== pufa: $BIN on $BASE, database in $WORK"
printf '%s\n' "$ADMIN_PASSWORD" | "$BIN" admin create --phone "$ADMIN_PHONE" --name 测试管理员 >"$WORK/admin-create.log" 2>&1 \
    || { cat "$WORK/admin-create.log" >&2; exit 1; }
"$BIN" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
    curl -sf "$BASE/healthz" >/dev/null && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: pufa exited at start:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -sf "$BASE/healthz" >/dev/null || { echo "run.sh: pufa did not answer /healthz" >&2; exit 1; }

# POST a JSON body, print the `token` of the answer (fails loudly on anything but 200/201).
token_of() {
    local path=$1 body=$2
    curl -sS -X POST "$BASE$path" -H 'Content-Type: application/json' -d "$body" -o "$WORK/answer.json" -w '%{http_code}' \
        >"$WORK/status"
    if ! grep -qE '^20[01]$' "$WORK/status"; then
        echo "run.sh: POST $path answered $(cat "$WORK/status"): $(cat "$WORK/answer.json")" >&2
        return 1
    fi
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$WORK/answer.json"
}

VILLAGE=$(curl -sf "$BASE/api/v1/regions" | "$PY" -c '
import json, sys
def villages(nodes):
    for n in nodes:
        if n["level"] == "village":
            yield n["code"]
        yield from villages(n["children"])
print(next(villages(json.load(sys.stdin))))')
login() { token_of /api/v1/auth/login "{\"phone\":\"$1\",\"password\":\"$2\"}"; }
RESIDENT=$(token_of /api/v1/auth/register \
    "{\"phone\":\"$RESIDENT_PHONE\",\"password\":\"$RESIDENT_PASSWORD\",\"display_name\":\"测试居民\",\"region_code\":\"$VILLAGE\",\"consent\":true}")
RESIDENT_2=$(login "$RESIDENT_PHONE" "$RESIDENT_PASSWORD")
ADMIN=$(login "$ADMIN_PHONE" "$ADMIN_PASSWORD")
ADMIN_2=$(login "$ADMIN_PHONE" "$ADMIN_PASSWORD")

SLUG=2023-civil-code-month

# One quiz played through by hand (schemathesis alone rarely gets a valid answer into a session that
# is still open): every response checked against the document like schemathesis checks its own.
echo "== a quiz played through, each response validated against the document"
"$PY" - "$BASE" "$RESIDENT" "$SLUG" <<'PY'
import sys

import requests
import schemathesis

base, token, slug = sys.argv[1:]
schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
http = requests.Session()
http.headers["Authorization"] = f"Bearer {token}"
sent = 0


def call(method, path, template, expected, body=None):
    global sent
    response = http.request(method, base + path, json=body)
    sent += 1
    if response.status_code != expected:
        sys.exit(f"{method} {path}: {response.status_code}, expected {expected}: {response.text}")
    # Raises with the violations when the response does not conform.
    schema[template][method].validate_response(response)
    return response.json() if response.content else None


session = call("POST", f"/api/v1/campaigns/{slug}/sessions", "/api/v1/campaigns/{slug}/sessions", 201)
sid = session["id"]
answer = "/api/v1/sessions/{id}/answers/{position}"
FIRST = {"judge": True, "single": "A", "multiple": "AB"}
OTHER = {"judge": False, "single": "B", "multiple": "AC"}
# Twelve questions: three answers each stay within the answer pace's burst (a third of 120 a minute).
for question in session["questions"][:12]:
    path = f"/api/v1/sessions/{sid}/answers/{question['position']}"
    call("PUT", path, answer, 200, {"choice": FIRST[question["kind"]]})
    call("PUT", path, answer, 200, {"choice": FIRST[question["kind"]]})  # the same again: the same answer
    call("PUT", path, answer, 409, {"choice": OTHER[question["kind"]]})  # already_answered
call("PUT", f"/api/v1/sessions/{sid}/answers/99", answer, 404, {"choice": "A"})
call("PUT", f"/api/v1/sessions/{sid}/answers/1", answer, 422, {"choice": "Z"})
call("GET", f"/api/v1/sessions/{sid}", "/api/v1/sessions/{id}", 200)
call("POST", f"/api/v1/sessions/{sid}/finish", "/api/v1/sessions/{id}/finish", 200)
call("POST", f"/api/v1/sessions/{sid}/finish", "/api/v1/sessions/{id}/finish", 200)
call("GET", f"/api/v1/sessions/{sid}", "/api/v1/sessions/{id}", 200)
unanswered = session["questions"][-1]
path = f"/api/v1/sessions/{sid}/answers/{unanswered['position']}"
call("PUT", path, answer, 409, {"choice": FIRST[unanswered["kind"]]})  # session_finished
call("GET", f"/api/v1/campaigns/{slug}/leaderboard", "/api/v1/campaigns/{slug}/leaderboard", 200)
call("GET", f"/api/v1/campaigns/{slug}/leaderboard/around-me", "/api/v1/campaigns/{slug}/leaderboard/around-me", 200)
call("GET", "/api/v1/me/mistakes", "/api/v1/me/mistakes", 200)
print(f"quiz played through: {sent} requests, every response conforms")
PY

# A session in progress for each caller: schemathesis cannot guess a session id, so half of the
# time the runs draw ids, positions and choices from these dictionaries and get past the 404.
session_of() {
    curl -sS -X POST "$BASE/api/v1/campaigns/$SLUG/sessions" -H "Authorization: Bearer $1" -o "$WORK/answer.json" \
        -w '%{http_code}' >"$WORK/status"
    grep -qx 201 "$WORK/status" \
        || { echo "run.sh: starting a session answered $(cat "$WORK/status"): $(cat "$WORK/answer.json")" >&2; return 1; }
    "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/answer.json"
}
RESIDENT_SESSION=$(session_of "$RESIDENT")
ADMIN_SESSION=$(session_of "$ADMIN")
CONFIG=$WORK/schemathesis.toml
cat "$ROOT/tests/schemathesis/schemathesis.toml" - >"$CONFIG" <<TOML

# Written by run.sh for this run.
[dictionaries.sessions]
values = ["$RESIDENT_SESSION", "$ADMIN_SESSION"]

[dictionaries.positions]
values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]

[dictionaries.choices]
values = ["A", "B", "C", "D", "T", "F", "AB", "ACD"]

[[operations]]
include-path-regex = "^/api/v1/sessions/"
parameters = { "path.id" = { dictionary = "sessions", probability = 0.5 }, "path.position" = { dictionary = "positions", probability = 0.5 }, "body.choice" = { dictionary = "choices", probability = 0.5 } }
TOML

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
SELF_ENDING='^/api/v1/(auth/logout|admin/users/\{id\}/)'
FAILED=0
RUNS=()

# schemathesis NAME TOKEN [filter options…]: one run, its events kept as NDJSON to count requests.
run_schemathesis() {
    local name=$1 token=$2
    shift 2
    echo
    echo "== schemathesis: $name"
    local status=0
    # From the temporary directory: schemathesis keeps its replay cache in the working directory.
    (cd "$WORK" && "$ST" --config-file "$CONFIG" run "$BASE/api/openapi.json" \
        --header "Authorization: Bearer $token" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$((SEED + ${#RUNS[@]}))" \
        --workers 1 \
        --request-timeout 30 \
        --generation-database none \
        --report ndjson --report-ndjson-path "$WORK/$name.ndjson" \
        --no-color \
        "$@") || status=$?
    if [[ $status -ne 0 ]]; then
        echo "== schemathesis: $name FAILED (exit $status)"
        FAILED=1
    fi
    RUNS+=("$name")
}

run_schemathesis resident "$RESIDENT" --exclude-path-regex "$SELF_ENDING"
run_schemathesis admin "$ADMIN" --exclude-path-regex "$SELF_ENDING"
# No links lead among these few operations: no stateful phase.
ALONE=(--include-path-regex "$SELF_ENDING" --phases examples,coverage,fuzzing)
run_schemathesis resident-sign-out "$RESIDENT_2" "${ALONE[@]}"
run_schemathesis admin-accounts "$ADMIN_2" "${ALONE[@]}"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: pufa died during the runs" >&2
    FAILED=1
fi
if grep -q 'panicked' "$WORK/server.log"; then
    echo "run.sh: pufa panicked:" >&2
    grep -A3 'panicked' "$WORK/server.log" >&2
    FAILED=1
fi

echo
echo "== requests sent by schemathesis, per run and per operation"
"$PY" - "$WORK" "${RUNS[@]}" <<'EOF'
import collections, json, sys

work, runs = sys.argv[1], sys.argv[2:]
requests_in_all, failed_in_all = 0, 0
statuses = collections.Counter()
for run in runs:
    per_op = collections.Counter()
    failed = 0
    with open(f"{work}/{run}.ndjson") as events:
        for line in events:
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario.get("recorder") or {}
            for interaction in (recorder.get("interactions") or {}).values():
                per_op[recorder.get("label", "?")] += 1
                response = interaction.get("response") or {}
                statuses[f"{str(response.get('status_code', '?'))[0]}xx"] += 1
            for checks in (recorder.get("checks") or {}).values():
                failed += sum(1 for check in checks if check.get("status") == "failure")
    for label, n in sorted(per_op.items(), key=lambda item: item[0].split(" ", 1)[::-1]):
        print(f"  {run:18} {n:6}  {label}")
    print(f"{run}: {sum(per_op.values())} requests to {len(per_op)} operations, {failed} failed checks")
    requests_in_all += sum(per_op.values())
    failed_in_all += failed
by_class = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
print(f"total: {requests_in_all} requests ({by_class}), {failed_in_all} failed checks")
with open(f"{work}/totals", "w") as totals:
    print(requests_in_all, failed_in_all, file=totals)
EOF

read -r SENT FAILED_CHECKS <"$WORK/totals"
if [[ $FAILED -ne 0 || $FAILED_CHECKS -ne 0 ]]; then
    echo "server log, last lines:"
    tail -n 20 "$WORK/server.log"
    echo "schemathesis: FAILED"
    echo "schemathesis: $((SENT - FAILED_CHECKS)) passed, $((FAILED_CHECKS > 0 ? FAILED_CHECKS : 1)) failed"
    exit 1
fi
echo "schemathesis: every check passed"
echo "schemathesis: $SENT passed, 0 failed"
