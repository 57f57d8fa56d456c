#!/usr/bin/env bash
# Fault test: PostgreSQL (a private cluster) is stopped for a few seconds under load and started
# again; pufa is not restarted.
#
#   tests/faults/postgres_restart.sh [PUFA_BIN] [PUFA_LOAD_BIN]      (default target/release/…)
#
# Asserts: while PostgreSQL is away requests fail cleanly — 503 with code `unavailable`, never a
# 500, never a hang past the load generator's 10 s timeout; pufa reconnects by itself (readyz and
# the quiz work again within a few seconds); every acknowledged answer is in SQL with its choice;
# nothing is half-written (every session's `correct` and `score` equal its answers); the boards
# equal SQL afterwards. FAULTS_PG_STOP=immediate makes the stop a crash instead of a fast shutdown.
source "$(dirname "$0")/lib.sh"
faults_init postgres_restart "$@"

USERS=${FAULTS_USERS:-400}
VUS=${FAULTS_VUS:-32}
DURATION=${FAULTS_DURATION:-30}
STOP_AT=${FAULTS_STOP_AT:-8}   # seconds after the load starts
DOWN=${FAULTS_DOWN:-4}         # seconds PostgreSQL stays stopped
STOP_MODE=${FAULTS_PG_STOP:-fast}
RECONNECT_WITHIN=${FAULTS_RECONNECT_WITHIN:-10}
SLUG=fault

rush_stack postgres "$USERS" "$SLUG" 1

log "load: $VUS virtual users for $DURATION s; PostgreSQL stopped ($STOP_MODE) at ${STOP_AT} s for ${DOWN} s"
"$LOAD" run --url "$base" --tokens "$WORK/tokens.tsv" --campaign "$SLUG" --concurrency "$VUS" \
  --duration "$DURATION" --warmup 1 --ceiling-secs 0 --label postgres_restart \
  --json "$WORK/run.json" --ack-log "$WORK/acks.tsv" >"$WORK/run.log" 2>&1 &
load_pid=$!
sleep "$STOP_AT"
pg_stop "$STOP_MODE"
log "PostgreSQL stopped"
(sleep 0.5; curl -s -m 10 -o /dev/null -w '%{http_code}' "$base/readyz" >"$WORK/readyz-down" || true) &
probe_pid=$!
sleep "$DOWN"
pg_start
t0=$(date +%s.%N)
log "PostgreSQL started again"
wait "$probe_pid"
ready_down=$(cat "$WORK/readyz-down")

# pufa reconnects by itself: /readyz, then a whole quiz played by hand.
reconnected=
for _ in $(seq 1 $((RECONNECT_WITHIN * 10))); do
  if [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' "$base/readyz") == 200 ]]; then
    reconnected=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
    break
  fi
  sleep 0.1
done
[[ -n $reconnected ]] || die "pufa's /readyz not 200 within $RECONNECT_WITHIN s of PostgreSQL coming back"
log "pufa ready again ${reconnected} s after PostgreSQL came back (readyz during the outage: $ready_down)"
[[ $ready_down == 503 ]] || die "/readyz answered $ready_down while PostgreSQL was down (expected 503)"
token=$(cut -f3 "$WORK/hand.tsv")
: >"$WORK/hand-acks.tsv"
sid=$(hand_start "$base" "$SLUG" "$token")
hand_answer "$base" "$sid" "$token" 1 20 "$WORK/hand-acks.tsv"
read -r score correct total <<<"$(hand_finish "$base" "$sid" "$token")"
((total == 20 && score == correct * 5)) || die "the quiz played by hand finished with score $score, $correct/$total right"

wait "$load_pid" || die "pufa-load run failed (see $WORK/run.log)"
cat "$WORK/run.log" >&2

# During the outage: only 503 unavailable; no 500, no timeout, no broken connection.
errors=$(report_field "$WORK/run.json" .errors_total)
unavailable=$(jq '[.errors[] | select(.status == 503 and .code == "unavailable") | .count] | add // 0' "$WORK/run.json")
((errors > 0)) || die "the load saw no error: the outage did not hit the run"
((errors == unavailable)) || die "requests failed other than 503 unavailable: $(report_errors "$WORK/run.json" | tr '\n' ';')"
if grep -q "internal error" "$WORK/pufa-main.log"; then
  grep "internal error" "$WORK/pufa-main.log" | head -n 5 >&2
  die "pufa logged internal errors"
fi
acked=$(report_field "$WORK/run.json" .answers_ok_all)
per_sec=$(report_field "$WORK/run.json" .answers_per_sec)
max_ms=$(jq '[.endpoints[] | .max_ms] | max' "$WORK/run.json")

"$LOAD" verify --database-url "$db" --campaign "$SLUG" --ack-log "$WORK/acks.tsv" --ack-log "$WORK/hand-acks.tsv" |
  tee "$WORK/verify.txt" >&2 || die "verify failed"
stored=$(sql_answers "$db" "$SLUG")
sessions=$(sql "$db" "SELECT COUNT(*) FROM quiz_sessions")
entries=$(boards_equal_sql "$base" "$SLUG" "$db")

echo "postgres_restart: PASS — $VUS VUs ${DURATION}s on PostgreSQL+Redis, PostgreSQL stopped ($STOP_MODE) at ${STOP_AT}s" \
  "for ${DOWN}s; $unavailable requests 503 unavailable, 0 other errors (slowest request ${max_ms} ms); pufa ready" \
  "${reconnected}s after PostgreSQL returned, without a restart; $acked answers acknowledged ($per_sec/s) + 20 by hand," \
  "all in SQL ($stored stored); $sessions sessions, none half-written; boards equal SQL ($entries entries)"
