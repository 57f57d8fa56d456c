#!/usr/bin/env bash
# Fault test: Redis is killed under load and started again EMPTY (no persistence), while pufa
# (SQLite) keeps serving a campaign rush.
#
#   tests/faults/redis_restart.sh [PUFA_BIN] [PUFA_LOAD_BIN]      (default target/release/…)
#
# Asserts: no quiz request fails (answers, starts, resumes and finishes never depend on Redis;
# only board reads may answer 503 `unavailable` while Redis is away); every acknowledged answer
# is in SQL with its choice; every session's score equals its answers; pufa rebuilds the boards
# by itself within a few seconds of Redis coming back; after the load the boards pufa serves
# equal the boards rebuilt from SQL. Exit 1 on any violation.
source "$(dirname "$0")/lib.sh"
faults_init redis_restart "$@"

USERS=${FAULTS_USERS:-400}
VUS=${FAULTS_VUS:-32}
DURATION=${FAULTS_DURATION:-24}
KILL_AT=${FAULTS_KILL_AT:-8}  # seconds after the load starts
DOWN=${FAULTS_DOWN:-1}        # seconds Redis stays dead
REBUILD_WITHIN=${FAULTS_REBUILD_WITHIN:-6}
SLUG=fault

rush_stack sqlite "$USERS" "$SLUG" 0
campaign_id=$(sql "$db" "SELECT id FROM campaigns WHERE slug = '$SLUG'")
built_key="$FAULTS_PREFIX:{c$campaign_id}:built"

log "load: $VUS virtual users for $DURATION s; Redis killed at ${KILL_AT} s, back EMPTY after ${DOWN} s"
"$LOAD" run --url "$base" --tokens "$WORK/tokens.tsv" --campaign "$SLUG" --concurrency "$VUS" \
  --duration "$DURATION" --warmup 1 --ceiling-secs 0 --label redis_restart \
  --json "$WORK/run.json" --ack-log "$WORK/acks.tsv" >"$WORK/run.log" 2>&1 &
load_pid=$!
sleep "$KILL_AT"
entries_before=$(redis-cli -p "$redis_port" dbsize)
kill_redis "$redis_port"
log "Redis killed (it held $entries_before keys)"
sleep "$DOWN"
start_redis "$redis_port"
t0=$(date +%s.%N)
log "Redis back, empty ($(redis-cli -p "$redis_port" dbsize) keys)"
rebuilt_after=
for _ in $(seq 1 $((REBUILD_WITHIN * 20))); do
  if [[ $(redis-cli -p "$redis_port" exists "$built_key") == 1 ]]; then
    rebuilt_after=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
    break
  fi
  sleep 0.05
done
[[ -n $rebuilt_after ]] || die "pufa did not rebuild the boards within $REBUILD_WITHIN s of Redis coming back"
log "pufa rebuilt the boards from SQL ${rebuilt_after} s after Redis came back"
wait "$load_pid" || die "pufa-load run failed (see $WORK/run.log)"
cat "$WORK/run.log" >&2

# No quiz request failed; board reads may have answered 503 unavailable during the outage.
quiz_errors=$(jq '[.errors[] | select(.endpoint != "board") | .count] | add // 0' "$WORK/run.json")
board_bad=$(jq '[.errors[] | select(.endpoint == "board" and (.status != 503 or .code != "unavailable")) | .count] | add // 0' "$WORK/run.json")
board_503=$(jq '[.errors[] | select(.endpoint == "board" and .status == 503) | .count] | add // 0' "$WORK/run.json")
((quiz_errors == 0)) || die "$quiz_errors quiz requests failed: $(report_errors "$WORK/run.json" | tr '\n' ';')"
((board_bad == 0)) || die "$board_bad board reads failed other than 503 unavailable: $(report_errors "$WORK/run.json" | tr '\n' ';')"
acked=$(report_field "$WORK/run.json" .answers_ok_all)
per_sec=$(report_field "$WORK/run.json" .answers_per_sec)
answer_max=$(report_field "$WORK/run.json" .endpoints.answer.max_ms)
answer_p99=$(report_field "$WORK/run.json" .endpoints.answer.p99_ms)
grep -q "boards rebuilt from SQL" "$WORK/pufa-main.log" || die "pufa's log does not show the rebuild"

"$LOAD" verify --database-url "$db" --campaign "$SLUG" --ack-log "$WORK/acks.tsv" |
  tee "$WORK/verify.txt" >&2 || die "verify failed"
stored=$(sql_answers "$db" "$SLUG")
entries=$(boards_equal_sql "$base" "$SLUG" "$db")

echo "redis_restart: PASS — $VUS VUs ${DURATION}s on SQLite, Redis SIGKILLed at ${KILL_AT}s (${entries_before} keys) and" \
  "back empty after ${DOWN}s; 0 quiz requests failed ($acked answers acknowledged, $per_sec/s, answer p99 ${answer_p99} ms," \
  "max ${answer_max} ms), $board_503 board reads 503 unavailable; all acknowledged answers in SQL ($stored stored);" \
  "boards rebuilt by pufa ${rebuilt_after}s after Redis returned; boards equal SQL ($entries entries)"
