# Shared by start.sh and stop.sh: the three nodes of a local test cluster at PORT_BASE..PORT_BASE+2.
# Sourced, not run.
base=${1:-7000}
case $base in '' | *[!0-9]*) echo "usage: $0 [PORT_BASE]" >&2; exit 2 ;; esac
if [ "$base" -lt 1024 ] || [ "$base" -gt 55532 ]; then
  echo "PORT_BASE must be between 1024 and 55532 (the cluster bus uses port + 10000)" >&2
  exit 2
fi
ports=("$base" $((base + 1)) $((base + 2)))
dir=/tmp/pufa-redis-cluster-$base
urls="redis://127.0.0.1:${ports[0]},redis://127.0.0.1:${ports[1]},redis://127.0.0.1:${ports[2]}"

cli() { redis-cli -h 127.0.0.1 -p "$@"; }
answers() { cli "$1" ping 2>/dev/null | grep -q PONG; }
# A node of ours: started by start.sh with --dir $dir (so we may stop it; nothing else).
ours() { [ "$(cli "$1" config get dir 2>/dev/null | sed -n 2p)" = "$(realpath -m "$dir")" ]; }

# Stops our node on port $1: SHUTDOWN NOSAVE if it answers, else the pid start.sh recorded.
stop_node() {
  local port=$1 pidfile=$dir/redis-$1.pid pid
  if answers "$port"; then
    if ! ours "$port"; then
      echo "port $port answers but is not a node of $dir; leaving it alone" >&2
      return 1
    fi
    cli "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && grep -qs redis-server "/proc/$pid/cmdline"; then kill "$pid" 2>/dev/null || true; fi
  fi
  for _ in $(seq 1 50); do answers "$port" || return 0; sleep 0.1; done
  echo "node on port $port did not stop" >&2
  return 1
}
