# Shared helpers of the fault tests (sourced, not run). Each test starts its own Redis,
# PostgreSQL and pufa processes on free ports under one work directory, and stops them on exit.
#
#   source "$(dirname "$0")/lib.sh"; faults_init NAME "$@"
#
# Arguments of every test: [PUFA_BIN] [PUFA_LOAD_BIN], default target/release/pufa and
# target/release/pufa-load. The tests build nothing. FAULTS_KEEP=1 keeps the work directory.
# Needs: redis-server, redis-cli, curl, jq, bc, ss; sqlite3 for the SQLite tests; psql and
# PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) for the PostgreSQL tests (run as root,
# the cluster runs as the postgres user). On exit a test stops what it started: its background
# jobs still running (pufa, pufa-load; never a process it already reaped, whose id may be
# reused), its Redis servers (after checking they serve its own directory) and its clusters.

set -euo pipefail

FAULTS_REDIS_PORTS=()
FAULTS_PG_DIRS=()
FAULTS_PORTS=()

faults_init() {
  FAULTS_NAME=$1
  shift
  # Paths given are taken from the caller's directory; the defaults from the repository's.
  PUFA=${1:+$(realpath -m "$1")}
  LOAD=${2:+$(realpath -m "$2")}
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  PUFA=${PUFA:-$PWD/target/release/pufa}
  LOAD=${LOAD:-$PWD/target/release/pufa-load}
  for bin in "$PUFA" "$LOAD"; do
    [[ -x $bin ]] || die "$bin is not an executable (build it first: cargo build --release --bin pufa --bin pufa-load)"
  done
  for tool in redis-server redis-cli curl jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pufa-$FAULTS_NAME.XXXXXX")
  # Unique per run: a shared Redis (FAULTS_REDIS_URL) may hold keys of earlier runs.
  FAULTS_PREFIX="faults-$FAULTS_NAME-$$"
  chmod 755 "$WORK"
  trap faults_cleanup EXIT
  log "work directory $WORK; pufa $PUFA; pufa-load $LOAD"
}

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${FAULTS_NAME:-faults}" "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}

faults_cleanup() {
  local status=$?
  set +e
  for pid in $(jobs -p); do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  for port in "${FAULTS_REDIS_PORTS[@]}"; do
    if [[ $(redis-cli -p "$port" config get dir 2>/dev/null | tail -n 1) == "$WORK" ]]; then
      redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
    fi
  done
  for dir in "${FAULTS_PG_DIRS[@]}"; do
    pg_as "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  done
  if [[ $status != 0 ]]; then
    for f in "$WORK"/*.log; do
      [[ -f $f ]] || continue
      echo "---- last lines of $f" >&2
      tail -n 15 "$f" >&2
    done
  fi
  if [[ ${FAULTS_KEEP:-0} == 1 || $status != 0 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK" "${FAULTS_PG_DIRS[@]}"
  fi
  exit "$status"
}

# free_port VAR: sets VAR to a TCP port no socket uses, below the kernel's ephemeral range (the
# load generators' own connections take ports from that range; such a port cannot be bound).
free_port() {
  local _var=$1 _port _low=32768
  [[ -r /proc/sys/net/ipv4/ip_local_port_range ]] && read -r _low _ </proc/sys/net/ipv4/ip_local_port_range
  ((_low > 11000)) || _low=32768
  for _ in $(seq 1 200); do
    _port=$((10000 + RANDOM % (_low - 10000)))
    [[ " ${FAULTS_PORTS[*]} " == *" $_port "* ]] && continue
    if command -v ss >/dev/null; then
      [[ -z $(ss -Htan "( sport = :$_port )" 2>/dev/null) ]] || continue
    elif (: <"/dev/tcp/127.0.0.1/$_port") 2>/dev/null; then
      continue
    fi
    FAULTS_PORTS+=("$_port")
    printf -v "$_var" '%s' "$_port"
    return
  done
  die "no free port"
}

# ---------- Redis ----------

# start_redis PORT: an empty Redis without persistence (a restart loses everything, on purpose).
start_redis() {
  local port=$1
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$WORK" --pidfile "$WORK/redis-$port.pid" --logfile "$WORK/redis-$port.log" >/dev/null
  [[ " ${FAULTS_REDIS_PORTS[*]} " == *" $port "* ]] || FAULTS_REDIS_PORTS+=("$port")
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return
    sleep 0.1
  done
  die "Redis on port $port did not start"
}

# kill_redis PORT: SIGKILL, then wait until the port is free.
kill_redis() {
  local port=$1 pid
  pid=$(cat "$WORK/redis-$port.pid")
  grep -q ":$port" "/proc/$pid/cmdline" 2>/dev/null || die "pid $pid is not our Redis on port $port"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$WORK/redis-$port.pid"
}

# ---------- PostgreSQL (a private cluster) ----------

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Runs a PostgreSQL server binary as the postgres user when we are root (initdb refuses root).
pg_as() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres PORT: initdb a fresh cluster (trust auth) and start it; sets PG_DIR.
start_postgres() {
  local port=$1 bin
  bin=$(pg_bin)
  [[ -x $bin/initdb ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  PG_DIR=$(mktemp -d "/tmp/pufa-$FAULTS_NAME-pg.XXXXXX") # where the postgres user can reach it
  FAULTS_PG_DIRS+=("$PG_DIR")
  chmod 755 "$PG_DIR"
  [[ $(id -u) == 0 ]] && chown postgres: "$PG_DIR"
  pg_as "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 ||
    die "initdb failed (see $WORK/initdb.log)"
  PG_PORT=$port
  pg_start
}

pg_start() {
  pg_as "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -w -t 30 -l "$PG_DIR/server.log" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
    die "PostgreSQL did not start (see $PG_DIR/server.log)"
}

# pg_stop MODE: fast (clients are disconnected) or immediate (a crash).
pg_stop() {
  pg_as "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w -t 30 stop >/dev/null
}

psql_pg() { psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }

# ---------- SQL of either backend ----------

# sql URL QUERY: one query against sqlite://FILE?… or postgres://…, values tab-separated.
sql() {
  local url=$1 query=$2
  case $url in
    sqlite:*)
      local file=${url#sqlite://}
      file=${file%%\?*}
      sqlite3 -readonly -separator $'\t' "$file" "$query"
      ;;
    postgres*) psql -X -q -At -F $'\t' -d "$url" -c "$query" ;;
    *) die "sql: unknown database url $url" ;;
  esac
}

# Answers stored for a campaign.
sql_answers() {
  sql "$1" "SELECT COUNT(*) FROM session_questions q JOIN quiz_sessions s ON s.id = q.session_id
            JOIN campaigns c ON c.id = s.campaign_id WHERE c.slug = '$2' AND q.choice IS NOT NULL"
}

# Residents with at least one finished session in a campaign (= entries of its main board).
sql_finished_users() {
  sql "$1" "SELECT COUNT(DISTINCT s.user_id) FROM quiz_sessions s JOIN campaigns c ON c.id = s.campaign_id
            WHERE c.slug = '$2' AND s.finished_at IS NOT NULL"
}

# ---------- pufa ----------

# start_pufa NAME PORT DATABASE_URL REDIS_URL [extra env…]: starts pufa serve in the background;
# its pid goes to PUFA_PID_<NAME> and to the cleanup list; the log to $WORK/pufa-NAME.log.
start_pufa() {
  local name=$1 port=$2 db=$3 redis=$4
  shift 4
  env PUFA_DATABASE_URL="$db" PUFA_REDIS_URL="$redis" PUFA_LIVE_SCORES=redis \
    PUFA_REDIS_PREFIX="$FAULTS_PREFIX" PUFA_ANSWERS_PER_MINUTE=0 PUFA_LOG="${PUFA_LOG:-info,sqlx=warn}" \
    ROCKET_PORT="$port" ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=critical ROCKET_CLI_COLORS=false "$@" \
    "$PUFA" serve >>"$WORK/pufa-$name.log" 2>&1 &
  local pid=$!
  printf -v "PUFA_PID_$name" '%s' "$pid"
  wait_healthy "http://127.0.0.1:$port" "$pid" || die "pufa $name did not start (see $WORK/pufa-$name.log)"
}

# stop_pufa NAME: SIGTERM (Rocket shuts down gracefully) and wait for the process to end.
stop_pufa() {
  local var="PUFA_PID_$1"
  kill -TERM "${!var}" 2>/dev/null || true
  wait "${!var}" 2>/dev/null || true
}

# wait_healthy URL [PID]: up to 60 s for /healthz; fails at once if PID died.
wait_healthy() {
  local url=$1 pid=${2:-}
  for _ in $(seq 1 600); do
    curl -fsS -m 1 "$url/healthz" >/dev/null 2>&1 && return 0
    [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

# seed_users DATABASE_URL USERS TOKENS_FILE: residents and one token each (and an admin: FILE.admin).
seed_users() {
  "$LOAD" seed --database-url "$1" --users "$2" --tokens-out "$3" >>"$WORK/seed.log"
  ADMIN_FILE="$3.admin"
}
# make_campaign URL SLUG: an open campaign of 20 questions, 5 points each, ranking best.
make_campaign() {
  "$LOAD" campaign --url "$1" --admin-token-file "$ADMIN_FILE" --slug "$2" >>"$WORK/seed.log"
}
admin_token() { cut -f3 "$ADMIN_FILE"; }

# rush_stack sqlite|postgres USERS SLUG HAND: a private Redis (and PostgreSQL cluster), pufa "main"
# on them, USERS seeded residents and an open campaign SLUG. Sets redis_port, port, db, redis and
# base; the first HAND residents' tokens go to hand.tsv (played by hand), the rest to tokens.tsv.
rush_stack() {
  local kind=$1 users=$2 slug=$3 hand=$4
  free_port redis_port
  free_port port
  if [[ $kind == postgres ]]; then
    free_port pg_port
    start_postgres "$pg_port"
    psql_pg -d postgres -c "CREATE DATABASE pufa"
    db="postgres://postgres@127.0.0.1:$pg_port/pufa"
  else
    db="sqlite://$WORK/pufa.db?mode=rwc"
  fi
  start_redis "$redis_port"
  redis="redis://127.0.0.1:$redis_port"
  base="http://127.0.0.1:$port"
  start_pufa main "$port" "$db" "$redis"
  seed_users "$db" "$users" "$WORK/tokens-all.tsv"
  make_campaign "$base" "$slug"
  head -n "$hand" "$WORK/tokens-all.tsv" >"$WORK/hand.tsv"
  tail -n +"$((hand + 1))" "$WORK/tokens-all.tsv" >"$WORK/tokens.tsv"
}

# api METHOD URL TOKEN [BODY]: prints "STATUS<TAB>BODY" (status 000 on a transport error).
api() {
  local method=$1 url=$2 token=$3 body=${4:-} out status
  out=$(mktemp "$WORK/api.XXXXXX")
  if [[ -n $body ]]; then
    status=$(curl -sS -m 15 -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' --data "$body" "$url" 2>/dev/null) || status=000
  else
    status=$(curl -sS -m 15 -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
      "$url" 2>/dev/null) || status=000
  fi
  printf '%s\t%s\n' "$status" "$(tr -d '\n' <"$out")"
  rm -f "$out"
}
status_of() { cut -f1 <<<"$1"; }
body_of() { cut -f2- <<<"$1"; }

# ---------- boards ----------

# board_dump BASE SLUG QUERY: every row of a board (all pages), one line each, then "total N".
board_dump() {
  local base=$1 slug=$2 query=${3:-} offset=0 total page
  while :; do
    page=$(curl -fsS -m 15 "$base/api/v1/campaigns/$slug/leaderboard?limit=200&offset=$offset${query:+&$query}") ||
      die "GET leaderboard ($query) at $base failed"
    jq -r '.entries[] | [.rank, .display_name, .region.code, .score, .duration_ms] | @tsv' <<<"$page"
    total=$(jq -r .total <<<"$page")
    offset=$((offset + 200))
    ((offset < total)) || break
  done
  echo "total $total"
}

BOARD_QUERIES=("" "day=today" "live=true")

# boards_snapshot BASE SLUG FILE: the main, today's and the live board into FILE.
boards_snapshot() {
  local base=$1 slug=$2 file=$3
  : >"$file"
  for q in "${BOARD_QUERIES[@]}"; do
    echo "== board ${q:-all}" >>"$file"
    board_dump "$base" "$slug" "$q" >>"$file"
  done
}

# rebuild_boards BASE SLUG: POST …/scores/rebuild as the seeded admin.
rebuild_boards() {
  local r
  r=$(api POST "$1/api/v1/admin/campaigns/$2/scores/rebuild" "$(admin_token)")
  [[ $(status_of "$r") == 200 ]] || die "rebuild at $1: $r"
}

# boards_equal_sql BASE SLUG DATABASE_URL: the boards as pufa serves them equal the boards an
# explicit rebuild from SQL gives, and the main board has one entry per finished resident in SQL.
# Prints "ENTRIES" (entries of the main board).
boards_equal_sql() {
  local base=$1 slug=$2 db=$3 finished total
  boards_snapshot "$base" "$slug" "$WORK/boards-served.txt"
  rebuild_boards "$base" "$slug"
  boards_snapshot "$base" "$slug" "$WORK/boards-rebuilt.txt"
  if ! diff -u "$WORK/boards-served.txt" "$WORK/boards-rebuilt.txt" >"$WORK/boards.diff"; then
    head -n 40 "$WORK/boards.diff" >&2
    die "the boards pufa served differ from the boards rebuilt from SQL (see $WORK/boards.diff)"
  fi
  finished=$(sql_finished_users "$db" "$slug")
  total=$(awk '/^== board all/{on=1; next} /^== /{on=0} on && /^total /{print $2}' "$WORK/boards-served.txt")
  [[ $total == "$finished" ]] || die "the main board has $total entries; SQL has $finished finished residents"
  echo "$total"
}

# ---------- load reports ----------

# report_field FILE JQ: one value of a pufa-load run report.
report_field() { jq -r "$2" "$1"; }

# Errors of a run report as "endpoint status code count" lines.
report_errors() { jq -r '.errors[] | "\(.endpoint) \(.status) \(.code) \(.count)"' "$1"; }

# ---------- sessions played by hand (curl) ----------

# hand_start BASE SLUG TOKEN: starts a session; prints its id.
hand_start() {
  local r
  r=$(api POST "$1/api/v1/campaigns/$2/sessions" "$3")
  [[ $(status_of "$r") == 201 ]] || die "start at $1: $r"
  body_of "$r" | jq -r .id
}

# hand_answer BASE SID TOKEN FROM TO ACKFILE: answers positions FROM..TO (the first option
# shown), each must be 200; each acknowledged answer is appended to ACKFILE like --ack-log.
hand_answer() {
  local base=$1 sid=$2 token=$3 from=$4 to=$5 acks=$6 doc r choice pos
  doc=$(api GET "$base/api/v1/sessions/$sid" "$token")
  [[ $(status_of "$doc") == 200 ]] || die "GET session $sid at $base: $doc"
  for pos in $(seq "$from" "$to"); do
    choice=$(body_of "$doc" | jq -r --argjson p "$pos" '.questions[] | select(.position == $p) | .options[0].key')
    r=$(api PUT "$base/api/v1/sessions/$sid/answers/$pos" "$token" "{\"choice\":\"$choice\"}")
    [[ $(status_of "$r") == 200 ]] || die "answer $sid #$pos at $base: $r"
    printf '%s\t%s\t%s\n' "$sid" "$pos" "$choice" >>"$acks"
  done
}

# hand_answered BASE SID TOKEN: the positions the server shows as answered, space-separated.
hand_answered() {
  local r
  r=$(api GET "$1/api/v1/sessions/$2" "$3")
  [[ $(status_of "$r") == 200 ]] || die "GET session $2 at $1: $r"
  body_of "$r" | jq -r '[.questions[] | select(.answered) | .position] | join(" ")'
}

# hand_finish BASE SID TOKEN: finishes; prints "score correct total".
hand_finish() {
  local r
  r=$(api POST "$1/api/v1/sessions/$2/finish" "$3")
  [[ $(status_of "$r") == 200 ]] || die "finish $2 at $1: $r"
  body_of "$r" | jq -r '"\(.score) \(.correct) \(.total)"'
}
