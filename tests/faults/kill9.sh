#!/usr/bin/env bash
# Fault test: pufa is killed with SIGKILL in the middle of a campaign rush and started again on
# the same SQLite database (and the same Redis).
#
#   tests/faults/kill9.sh [PUFA_BIN] [PUFA_LOAD_BIN]      (default target/release/…)
#
# Phase 1: SIGKILL in the middle of the rush; the load generator keeps going through the outage
# and after the restart. Phase 2: SIGKILL in the last moments of a rush that then ends, so that
# nobody plays again afterwards: whatever the killed process had committed but not written to
# the boards must be written by the restarted pufa itself.
# Asserts: every answer acknowledged with 200 (by the load generator, before and after the
# kills, and by hand) is in SQL with its choice; every session's score equals its answers; the
# load saw the outage only as transport errors and carried on; sessions started before the kill
# resume (GET works, the answers given before are there, the rest are accepted, finish works);
# after each phase the boards pufa serves equal the boards rebuilt from SQL. Exit 1 otherwise.
source "$(dirname "$0")/lib.sh"
faults_init kill9 "$@"

USERS=${FAULTS_USERS:-400}    # residents seeded; 4 of them play by hand
VUS=${FAULTS_VUS:-32}         # virtual users of the load
DURATION=${FAULTS_DURATION:-24}
KILL_AT=${FAULTS_KILL_AT:-8}  # seconds after the load starts
DOWN=${FAULTS_DOWN:-2}        # seconds pufa stays dead
SLUG=fault

rush_stack sqlite "$USERS" "$SLUG" 4

# crash_run NAME DURATION KILL_AT: a rush of DURATION s (after 1 s of warmup) with its ack log
# NAME.acks; SIGKILL at KILL_AT s, restart DOWN s later; checks what the load saw.
crash_run() {
  local name=$1 duration=$2 kill_at=$3 load_pid t0 errors transport server_errors other
  "$LOAD" run --url "$base" --tokens "$WORK/tokens.tsv" --campaign "$SLUG" --concurrency "$VUS" \
    --duration "$duration" --warmup 1 --ceiling-secs 0 --label "$name" \
    --json "$WORK/$name.json" --ack-log "$WORK/$name.acks" >"$WORK/$name.log" 2>&1 &
  load_pid=$!
  sleep "$kill_at"
  kill -9 "$PUFA_PID_main"
  wait "$PUFA_PID_main" 2>/dev/null || true
  log "$name: pufa killed at ${kill_at} s; restarting in ${DOWN} s"
  sleep "$DOWN"
  t0=$(date +%s.%N)
  start_pufa main "$port" "$db" "$redis"
  restart_secs=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
  log "$name: pufa serves again after ${restart_secs} s of start-up"
  wait "$load_pid" || die "pufa-load run $name failed (see $WORK/$name.log)"
  grep -v '^report written' "$WORK/$name.log" >&2

  # Errors only while pufa was down (transport errors), none answered 5xx or 4xx.
  errors=$(report_field "$WORK/$name.json" .errors_total)
  transport=$(jq '[.errors[] | select(.status == 0) | .count] | add // 0' "$WORK/$name.json")
  server_errors=$(jq '[.errors[] | select(.status >= 500) | .count] | add // 0' "$WORK/$name.json")
  other=$((errors - transport - server_errors))
  ((transport > 0)) || die "$name: the load saw no transport error: the kill did not hit the run"
  ((server_errors == 0)) || die "$name: $server_errors requests answered 5xx"
  ((other == 0)) || die "$name: $other requests got an unexpected 4xx: $(report_errors "$WORK/$name.json" | tr '\n' ';')"
  outage_errors=$transport
}

# Four sessions started by hand before the kill, five answers each.
: >"$WORK/hand.acks"
declare -a hand_sid hand_token
i=0
while IFS=$'\t' read -r _ _ token; do
  hand_token[i]=$token
  hand_sid[i]=$(hand_start "$base" "$SLUG" "$token")
  hand_answer "$base" "${hand_sid[i]}" "$token" 1 5 "$WORK/hand.acks"
  i=$((i + 1))
done <"$WORK/hand.tsv"
log "4 sessions started by hand, 5 answers each"

# ---- phase 1: SIGKILL mid-rush, the load carries on ----
log "phase 1: $VUS virtual users for $DURATION s; SIGKILL at ${KILL_AT} s, pufa down for ${DOWN} s"
crash_run rush "$DURATION" "$KILL_AT"
restart1=$restart_secs outage1=$outage_errors
acked=$(report_field "$WORK/rush.json" .answers_ok_all)
per_sec=$(report_field "$WORK/rush.json" .answers_per_sec)
resumed=$(report_field "$WORK/rush.json" .sessions_resumed)

# The sessions started by hand before the kill: resume, answer the rest, finish.
for i in 0 1 2 3; do
  sid=${hand_sid[i]} token=${hand_token[i]}
  shown=$(hand_answered "$base" "$sid" "$token")
  [[ $shown == "1 2 3 4 5" ]] || die "session $sid after the restart shows answered positions [$shown], not [1 2 3 4 5]"
  hand_answer "$base" "$sid" "$token" 6 20 "$WORK/hand.acks"
  read -r score correct total <<<"$(hand_finish "$base" "$sid" "$token")"
  ((total == 20 && score == correct * 5)) || die "session $sid finished with score $score, $correct/$total right"
done
log "the 4 sessions started before the kill resumed, took 15 more answers each and finished"
"$LOAD" verify --database-url "$db" --campaign "$SLUG" --ack-log "$WORK/rush.acks" --ack-log "$WORK/hand.acks" |
  tee "$WORK/verify.txt" >&2 || die "verify failed after phase 1"
entries1=$(boards_equal_sql "$base" "$SLUG" "$db")

# ---- phase 2: SIGKILL in the last moments of a rush; nobody plays afterwards ----
log "phase 2: $VUS virtual users for 6 s; SIGKILL at 6.8 s (the rush ends while pufa is down)"
crash_run last 6 6.8
acked2=$(report_field "$WORK/last.json" .answers_ok_all)
"$LOAD" verify --database-url "$db" --campaign "$SLUG" --ack-log "$WORK/rush.acks" --ack-log "$WORK/hand.acks" \
  --ack-log "$WORK/last.acks" | tee -a "$WORK/verify.txt" >&2 || die "verify failed after phase 2"
entries2=$(boards_equal_sql "$base" "$SLUG" "$db")
stored=$(sql_answers "$db" "$SLUG")

echo "kill9: PASS — SQLite+Redis, $VUS VUs; phase 1: ${DURATION}s rush, SIGKILL at ${KILL_AT}s, down ${DOWN}s +" \
  "${restart1}s start-up, $outage1 transport errors during the outage and 0 5xx, $acked answers acknowledged" \
  "($per_sec/s), $resumed sessions resumed by the load and 4/4 by hand (80 answers); phase 2: SIGKILL as a 6s rush" \
  "ended, $acked2 more acknowledged; every acknowledged answer in SQL with its choice ($stored stored), no" \
  "half-written session; boards equal SQL after each phase ($entries1, $entries2 entries)"
