#!/usr/bin/env bash
# Stops the local test cluster that tests/cluster/start.sh [PORT_BASE] started, and removes its
# directory. Only nodes started by start.sh (same data directory) are stopped.
set -euo pipefail
source "$(dirname "$0")/common.sh"

status=0
for port in "${ports[@]}"; do
  stop_node "$port" || status=1
done
if [ "$status" = 0 ]; then
  rm -rf "$dir"
  echo "cluster: stopped ports ${ports[*]}" >&2
fi
exit "$status"
