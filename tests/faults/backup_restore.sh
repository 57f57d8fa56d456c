#!/usr/bin/env bash
# The backup and restore procedures of docs/operations.md, for real, on SQLite and PostgreSQL.
#
#   tests/faults/backup_restore.sh [PUFA_BIN] [PUFA_LOAD_BIN]      (default target/release/…)
#
# SQLite: play sessions; take an online backup with `VACUUM INTO` while pufa runs under load (it
# must be intact, consistent, and hold every answer acknowledged before it began); take one with
# Python's sqlite3 `Connection.backup` while pufa runs idle; play more; wipe the database and
# Redis; restore the idle backup; start pufa on it. (The sqlite3 shell's `.backup` is not used:
# it restarts on every write of another process and may never finish on a busy database.)
# PostgreSQL: play sessions; pg_dump -Fc while pufa runs; wipe (DROP DATABASE, Redis emptied);
# pg_restore into a new database; start pufa on it.
# Both: the answers count and the boards after the restore are identical to the moment of the
# backup (pufa rebuilds the boards from SQL by itself), every answer acknowledged before the
# backup is there, `pufa scores rebuild` works and changes nothing, `pufa audit verify` passes.
source "$(dirname "$0")/lib.sh"
faults_init backup_restore "$@"
command -v sqlite3 >/dev/null || die "sqlite3 (the command-line shell) is not installed"

USERS=${FAULTS_USERS:-300}
VUS=${FAULTS_VUS:-16}
PLAY=${FAULTS_PLAY:-6}   # seconds of load per round
SLUG=fault

free_port redis_port
start_redis "$redis_port"
redis="redis://127.0.0.1:$redis_port"

play() { # URL NAME [SECONDS]: a round of load with an ack log
  "$LOAD" run --url "$1" --tokens "$WORK/tokens.tsv" --campaign "$SLUG" --concurrency "$VUS" \
    --duration "${3:-$PLAY}" --warmup 0.5 --ceiling-secs 0 --label "$2" \
    --json "$WORK/$2.json" --ack-log "$WORK/$2.acks" >"$WORK/$2.out" 2>&1 || die "pufa-load $2 failed"
  [[ $(report_field "$WORK/$2.json" .errors_total) == 0 ]] || die "$2: $(report_errors "$WORK/$2.json" | tr '\n' ';')"
}

# operator PUFA-COMMAND… with the server's settings for database $DB (the environment file).
operator() {
  env PUFA_DATABASE_URL="$DB" PUFA_REDIS_URL="$redis" PUFA_LIVE_SCORES=redis \
    PUFA_REDIS_PREFIX="$FAULTS_PREFIX" PUFA_LOG=warn "$PUFA" "$@"
}

# after_restore NAME URL REDIS: the restored data serves exactly what was there at the backup.
# REDIS=emptied: pufa rebuilt the boards at start by itself. REDIS=kept: Redis still holds the
# boards of the newer data, so the documented `pufa scores rebuild` brings them back.
after_restore() {
  local name=$1 url=$2 redis_state=$3 answers audit
  answers=$(sql_answers "$DB" "$SLUG")
  [[ $answers == "$answers_before" ]] || die "$name: $answers answers after the restore, $answers_before before"
  boards_snapshot "$url" "$SLUG" "$WORK/boards-restored.txt"
  if [[ $redis_state == emptied ]]; then
    diff -u "$WORK/boards-before.txt" "$WORK/boards-restored.txt" >&2 ||
      die "$name: the boards after the restore differ from the boards at the backup"
  elif diff -q "$WORK/boards-before.txt" "$WORK/boards-restored.txt" >/dev/null; then
    log "$name: the boards kept in Redis happen to equal the backup already"
  else
    log "$name: as expected, the boards kept in Redis show the newer data until pufa scores rebuild"
  fi
  "$LOAD" verify --database-url "$DB" --campaign "$SLUG" --expect "$answers_before" --ack-log "$WORK/$name-1.acks" |
    tee -a "$WORK/verify.txt" >&2 || die "$name: verify of the restored database failed"
  operator scores rebuild "$SLUG" >&2 || die "$name: pufa scores rebuild failed"
  boards_snapshot "$url" "$SLUG" "$WORK/boards-after-cli-rebuild.txt"
  diff -u "$WORK/boards-before.txt" "$WORK/boards-after-cli-rebuild.txt" >&2 ||
    die "$name: the boards after pufa scores rebuild differ from the boards at the backup"
  audit=$(operator audit verify) || die "$name: pufa audit verify failed: $audit"
  grep -q '^OK: [1-9][0-9]* audit entries, chain intact' <<<"$audit" || die "$name: pufa audit verify: $audit"
  echo "$(grep -o '[0-9]* audit entries' <<<"$audit")"
}

# ================= SQLite =================
mkdir -p "$WORK/sqlite"
DB="sqlite://$WORK/sqlite/pufa.db?mode=rwc"
file="$WORK/sqlite/pufa.db"
free_port port
url="http://127.0.0.1:$port"
start_pufa sqlite "$port" "$DB" "$redis"
seed_users "$DB" "$USERS" "$WORK/tokens.tsv"
make_campaign "$url" "$SLUG"
play "$url" sqlite-1

# An online backup while pufa runs under load: intact, consistent, with every earlier answer.
play "$url" sqlite-2 &
play_pid=$!
sleep 2
t0=$(date +%s.%N)
sqlite3 "$file" "VACUUM INTO '$WORK/backup-under-load.db'" || die "online backup under load failed"
live_secs=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
wait "$play_pid" || die "the load during the backup failed"
[[ $(sqlite3 "$WORK/backup-under-load.db" "PRAGMA integrity_check") == ok ]] || die "the backup under load is damaged"
"$LOAD" verify --database-url "sqlite://$WORK/backup-under-load.db" --campaign "$SLUG" \
  --ack-log "$WORK/sqlite-1.acks" | tee -a "$WORK/verify.txt" >&2 || die "the backup under load fails verify"
live_answers=$(sql "sqlite://$WORK/backup-under-load.db" "SELECT COUNT(*) FROM session_questions WHERE choice IS NOT NULL")
log "online backup under load: ${live_secs} s, intact, $live_answers answers"

# The state to come back to, and an online backup of it while pufa runs (idle).
cat "$WORK/sqlite-2.acks" >>"$WORK/sqlite-1.acks"
answers_before=$(sql_answers "$DB" "$SLUG")
boards_equal_sql "$url" "$SLUG" "$DB" >/dev/null
cp "$WORK/boards-rebuilt.txt" "$WORK/boards-before.txt"
python3 -c 'import sqlite3, sys
src = sqlite3.connect(sys.argv[1]); dst = sqlite3.connect(sys.argv[2])
src.backup(dst); dst.close(); src.close()' "$file" "$WORK/backup.db" || die "online backup (python3) failed"
size=$(du -h "$WORK/backup.db" | cut -f1)
play "$url" sqlite-3 3 # answers after the backup: gone after the restore, as they should be

# Wipe everything (the database with its WAL, Redis), restore, start.
stop_pufa sqlite
rm -f "$file" "$file-wal" "$file-shm"
redis-cli -p "$redis_port" flushall >/dev/null
cp "$WORK/backup.db" "$file"
start_pufa sqlite "$port" "$DB" "$redis"
sqlite_audit=$(after_restore sqlite "$url" emptied)
stop_pufa sqlite
sqlite_entries=$(awk '/^== board all/{on=1; next} /^== /{on=0} on && /^total /{print $2}' "$WORK/boards-before.txt")
sqlite_summary="SQLite: VACUUM INTO under load in ${live_secs}s (intact, $live_answers answers), python3 backup ($size) restored:"
sqlite_summary+=" $answers_before answers and $sqlite_entries-entry boards identical, $sqlite_audit verified"
log "$sqlite_summary"

# ================= PostgreSQL =================
free_port pg_port
start_postgres "$pg_port"
psql_pg -d postgres -c "CREATE DATABASE pufa"
DB="postgres://postgres@127.0.0.1:$pg_port/pufa"
redis-cli -p "$redis_port" flushall >/dev/null
free_port port
url="http://127.0.0.1:$port"
start_pufa pg "$port" "$DB" "$redis"
seed_users "$DB" "$USERS" "$WORK/tokens.tsv"
make_campaign "$url" "$SLUG"
play "$url" pg-1
answers_before=$(sql_answers "$DB" "$SLUG")
boards_equal_sql "$url" "$SLUG" "$DB" >/dev/null
cp "$WORK/boards-rebuilt.txt" "$WORK/boards-before.txt"
t0=$(date +%s.%N)
pg_dump -Fc -h 127.0.0.1 -p "$pg_port" -U postgres -f "$WORK/pufa.dump" pufa || die "pg_dump failed"
dump_secs=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
size=$(du -h "$WORK/pufa.dump" | cut -f1)
play "$url" pg-2 3 # answers after the dump: gone after the restore

stop_pufa pg
psql_pg -d postgres -c "DROP DATABASE pufa" # Redis is kept this time
psql_pg -d postgres -c "CREATE DATABASE pufa"
t0=$(date +%s.%N)
pg_restore --exit-on-error --no-owner -h 127.0.0.1 -p "$pg_port" -U postgres -d pufa "$WORK/pufa.dump" ||
  die "pg_restore failed"
restore_secs=$(printf '%.2f' "$(echo "$(date +%s.%N) - $t0" | bc)")
start_pufa pg "$port" "$DB" "$redis"
pg_audit=$(after_restore pg "$url" kept)
pg_entries=$(awk '/^== board all/{on=1; next} /^== /{on=0} on && /^total /{print $2}' "$WORK/boards-before.txt")
pg_summary="PostgreSQL: pg_dump -Fc while serving in ${dump_secs}s ($size), pg_restore in ${restore_secs}s:"
pg_summary+=" $answers_before answers identical, $pg_entries-entry boards identical after pufa scores rebuild (Redis kept)," 
pg_summary+=" $pg_audit verified"

echo "backup_restore: PASS — $sqlite_summary (Redis emptied: boards rebuilt by pufa at start); $pg_summary"
