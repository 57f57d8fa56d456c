#!/usr/bin/env bash
# Two pufa processes on different ports over ONE PostgreSQL and ONE Redis (live_scores = redis),
# as behind a load balancer; the campaign rush against both at once, and the same load against
# one of them alone for comparison.
#
#   tests/faults/two_instances.sh [PUFA_BIN] [PUFA_LOAD_BIN]      (default target/release/…)
#
# FAULTS_REDIS_URL: a running Redis or Redis Cluster to use (comma-separated nodes, as pufa's
# redis_url) instead of a private Redis; .ci/run passes its 3-master cluster. Keys get a prefix of
# their own per run.
#
# Asserts: a session moves freely between the instances (started on A, answered on B and A,
# an answer repeated on the other instance is idempotent or 409, finished on A and read on B);
# zero errors in every round; every acknowledged answer is in SQL with its choice and no session
# is half-written; A and B serve identical boards, equal to the boards rebuilt from SQL.
# Prints the combined answers/s of two instances against one instance alone: the same load (two
# pufa-load processes of VUS/2 virtual users each) pointed at A and B, or both at A, in four
# rounds ordered one, two, two, one.
source "$(dirname "$0")/lib.sh"
faults_init two_instances "$@"

USERS=${FAULTS_USERS:-800}
VUS=${FAULTS_VUS:-32}          # in all, split over two load generators
DURATION=${FAULTS_DURATION:-10}   # measured seconds of each of the 4 rounds
SLUG=fault

free_port pg_port
free_port redis_port
free_port port_a
free_port port_b
start_postgres "$pg_port"
psql_pg -d postgres -c "CREATE DATABASE pufa"
db="postgres://postgres@127.0.0.1:$pg_port/pufa"
if [[ -n ${FAULTS_REDIS_URL:-} ]]; then
  redis=$FAULTS_REDIS_URL
else
  start_redis "$redis_port"
  redis="redis://127.0.0.1:$redis_port"
fi
[[ $redis == *,* ]] && redis_kind="a Redis Cluster of $(tr ',' '\n' <<<"$redis" | wc -l) nodes" || redis_kind="one Redis"
log "live scores on $redis_kind ($redis)"
a="http://127.0.0.1:$port_a"
b="http://127.0.0.1:$port_b"

start_pufa a "$port_a" "$db" "$redis"
start_pufa b "$port_b" "$db" "$redis"
seed_users "$db" "$USERS" "$WORK/tokens-all.tsv"
make_campaign "$a" "$SLUG"
head -n 1 "$WORK/tokens-all.tsv" >"$WORK/hand.tsv"
tail -n +2 "$WORK/tokens-all.tsv" >"$WORK/tokens.tsv"
half=$(($(wc -l <"$WORK/tokens.tsv") / 2))
head -n "$half" "$WORK/tokens.tsv" >"$WORK/tokens-1.tsv"
tail -n +"$((half + 1))" "$WORK/tokens.tsv" >"$WORK/tokens-2.tsv"

# ---- one session across both instances, by hand ----
token=$(cut -f3 "$WORK/hand.tsv")
: >"$WORK/hand-acks.tsv"
sid=$(hand_start "$a" "$SLUG" "$token")
hand_answer "$b" "$sid" "$token" 1 10 "$WORK/hand-acks.tsv"
[[ $(hand_answered "$a" "$sid" "$token") == "1 2 3 4 5 6 7 8 9 10" ]] || die "A does not show the answers given on B"
hand_answer "$a" "$sid" "$token" 11 19 "$WORK/hand-acks.tsv"
# Position 1 again on A (answered on B): the same choice is idempotent, another one refused.
first=$(head -n 1 "$WORK/hand-acks.tsv" | cut -f3)
r=$(api PUT "$a/api/v1/sessions/$sid/answers/1" "$token" "{\"choice\":\"$first\"}")
[[ $(status_of "$r") == 200 ]] || die "the same answer again on the other instance: $r"
other=$(api GET "$a/api/v1/sessions/$sid" "$token" | cut -f2- |
  jq -r --arg c "$first" '.questions[] | select(.position == 1) | [.options[].key | select(. != $c)][0]')
r=$(api PUT "$a/api/v1/sessions/$sid/answers/1" "$token" "{\"choice\":\"$other\"}")
[[ $(status_of "$r") == 409 && $(body_of "$r" | jq -r .error.code) == already_answered ]] ||
  die "another answer to position 1 on the other instance: $r"
hand_answer "$b" "$sid" "$token" 20 20 "$WORK/hand-acks.tsv"
result_a=$(hand_finish "$a" "$sid" "$token")
result_b=$(hand_finish "$b" "$sid" "$token")
[[ $result_a == "$result_b" ]] || die "finish on A gave $result_a, on B $result_b"
read -r score correct total <<<"$result_a"
((total == 20 && score == correct * 5)) || die "the session finished with score $score, $correct/$total right"
log "a session started on A, answered on B and A, finished on A and B: score $score ($correct/20)"

# ---- the rush: one instance alone and both, in the order one, two, two, one ----
# (ABBA: a drift of the machine's speed during the test, e.g. other work on it, cancels out)
rush() { # NAME URL1 URL2: two load generators of VUS/2 each, in parallel; prints combined answers/s
  local name=$1 url1=$2 url2=$3 p1 p2
  "$LOAD" run --url "$url1" --tokens "$WORK/tokens-1.tsv" --campaign "$SLUG" --concurrency $((VUS / 2)) \
    --duration "$DURATION" --warmup 2 --ceiling-secs 0 --label "$name-1" \
    --json "$WORK/$name-1.json" --ack-log "$WORK/$name-1.acks" >"$WORK/$name-1.out" 2>&1 &
  p1=$!
  "$LOAD" run --url "$url2" --tokens "$WORK/tokens-2.tsv" --campaign "$SLUG" --concurrency $((VUS / 2)) \
    --duration "$DURATION" --warmup 2 --ceiling-secs 0 --label "$name-2" \
    --json "$WORK/$name-2.json" --ack-log "$WORK/$name-2.acks" >"$WORK/$name-2.out" 2>&1 &
  p2=$!
  wait "$p1" || die "pufa-load ($name, $url1) failed"
  wait "$p2" || die "pufa-load ($name, $url2) failed"
  for f in "$WORK/$name-1" "$WORK/$name-2"; do
    grep -E "^(==|quizzes|  answer )" "$f.out" >&2
    [[ $(report_field "$f.json" .errors_total) == 0 ]] ||
      die "$name: errors in $f.json: $(report_errors "$f.json" | tr '\n' ';')"
  done
  jq -s '(.[0].answers_per_sec + .[1].answers_per_sec) * 100 | round / 100' "$WORK/$name-1.json" "$WORK/$name-2.json"
}
log "4 rounds of $DURATION s, each two load generators of $((VUS / 2)) virtual users: one instance (both at A), two (A and B)"
one_a=$(rush one-a "$a" "$a")
two_a=$(rush two-a "$a" "$b")
two_b=$(rush two-b "$a" "$b")
one_b=$(rush one-b "$a" "$a")
one=$(jq -n "($one_a + $one_b) / 2 | . * 100 | round / 100")
two=$(jq -n "($two_a + $two_b) / 2 | . * 100 | round / 100")
ratio=$(jq -n "($two / $one) * 100 | round / 100")
p99_one=$(jq -s '[.[].endpoints.answer.p99_ms] | max' "$WORK"/one-?-?.json)
p99_two=$(jq -s '[.[].endpoints.answer.p99_ms] | max' "$WORK"/two-?-?.json)
log "answers/s: one instance $one_a, then two $two_a, two $two_b, one $one_b"

# ---- nothing lost, nothing half-written ----
acks=()
for f in "$WORK"/hand-acks.tsv "$WORK"/*.acks; do acks+=(--ack-log "$f"); done
"$LOAD" verify --database-url "$db" --campaign "$SLUG" "${acks[@]}" |
  tee "$WORK/verify.txt" >&2 || die "verify failed"
acked=$(grep -o '^acknowledged answers: [0-9]*' "$WORK/verify.txt" | grep -o '[0-9]*$')

# ---- identical boards on A and B, equal to SQL ----
boards_snapshot "$a" "$SLUG" "$WORK/boards-a.txt"
boards_snapshot "$b" "$SLUG" "$WORK/boards-b.txt"
diff -u "$WORK/boards-a.txt" "$WORK/boards-b.txt" >&2 || die "A and B serve different boards"
entries=$(boards_equal_sql "$a" "$SLUG" "$db")
boards_snapshot "$b" "$SLUG" "$WORK/boards-b-rebuilt.txt"
diff -u "$WORK/boards-rebuilt.txt" "$WORK/boards-b-rebuilt.txt" >&2 || die "B serves other boards than A after the rebuild"

echo "two_instances: PASS — PostgreSQL + $redis_kind, 2 load generators x $((VUS / 2)) VUs closed loop, rounds of ${DURATION}s" \
  "(one, two, two, one): one instance $one answers/s ($one_a, $one_b; answer p99 ${p99_one} ms), two instances" \
  "$two answers/s ($two_a, $two_b; answer p99 ${p99_two} ms) = ${ratio}x on $(nproc) cores; 0 errors; $acked acknowledged answers all in SQL," \
  "no half-written session; session started on A, answered on B and A, finished on both; A and B serve identical" \
  "boards equal to SQL ($entries entries)"
