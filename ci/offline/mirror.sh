#!/usr/bin/env bash
# Run the distribution registry (Debian's docker-registry, the registry:2
# server) on a loopback port as the engine's registry mirror. Data persists in
# /var/lib/dockwright/mirror so later runs reuse the stand-ins already pushed.
set -euo pipefail
port=${DOCKWRIGHT_MIRROR_PORT:-5555}
root=/var/lib/dockwright/mirror
mkdir -p "$root"
cat > /etc/dockwright-mirror.yml <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $root}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$port
YAML
if ! curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
  nohup docker-registry serve /etc/dockwright-mirror.yml >/var/log/dockwright-mirror.log 2>&1 &
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { echo "mirror did not start; see /var/log/dockwright-mirror.log" >&2; exit 1; }
fi
