#!/usr/bin/env bash
# Starts a local Redis Cluster of 3 masters (no replicas) on PORT_BASE..PORT_BASE+2 (default 7000)
# for the cluster tests, and prints the node list for PUFA_TEST_REDIS_CLUSTER_URL on stdout:
#
#   export PUFA_TEST_REDIS_CLUSTER_URL=$(tests/cluster/start.sh)
#
# Idempotent: a cluster that already answers with cluster_state:ok is left as it is. Nodes of an
# earlier run (same data directory, /tmp/pufa-redis-cluster-PORT_BASE) that are not a healthy
# cluster are stopped and the cluster is created afresh. Nothing is persisted. tests/cluster/stop.sh
# stops it.
set -euo pipefail
source "$(dirname "$0")/common.sh"

healthy() {
  local port info
  for port in "${ports[@]}"; do
    info=$(cli "$port" cluster info 2>/dev/null) || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q '^cluster_size:3' <<<"$info" || return 1
  done
}

if healthy; then
  echo "cluster: already running on ports ${ports[*]}" >&2
  echo "$urls"
  exit 0
fi

for port in "${ports[@]}"; do
  stop_node "$port"
done
rm -rf "$dir"
mkdir -m 700 -p "$dir"

for port in "${ports[@]}"; do
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "nodes-$port.conf" \
    --cluster-node-timeout 5000 --save "" --appendonly no --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log"
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 100); do answers "$port" && break; sleep 0.1; done
  answers "$port" || { echo "node on port $port did not start; see $dir/redis-$port.log" >&2; exit 1; }
done

redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}" \
  --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || {
  cat "$dir/create.log" >&2
  exit 1
}
for _ in $(seq 1 300); do
  if healthy; then
    echo "cluster: 3 masters on ports ${ports[*]} (data and logs in $dir)" >&2
    echo "$urls"
    exit 0
  fi
  sleep 0.1
done
echo "cluster did not reach cluster_state:ok; see $dir" >&2
exit 1
