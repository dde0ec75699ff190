#!/usr/bin/env bash
# Install (once) and start (if not running) a Docker engine with the buildx and
# compose v2 plugins. Engine packages come from Debian trixie, pinned low so
# only the packages we name are taken from it (ENVIRONMENT.md).
set -euo pipefail

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
[ -x /usr/libexec/docker/cli-plugins/docker-buildx ] || need_pkgs+=(docker-buildx)
[ -x /usr/libexec/docker/cli-plugins/docker-compose ] || need_pkgs+=(docker-compose)
command -v docker-registry >/dev/null || base_pkgs_missing=1
for b in debootstrap iptables busybox; do command -v "$b" >/dev/null || base_pkgs_missing=1; done

if [ ${#need_pkgs[@]} -gt 0 ] || [ "${base_pkgs_missing:-0}" = 1 ]; then
  # The archive the machine already uses (deb822 "URIs:" or one-line "deb" form).
  archive=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true; } \
            | grep -vE '^\s*#' | grep -oE 'https?://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  archive=${archive:-http://deb.debian.org/debian}
  if [ ! -f /etc/apt/sources.list.d/trixie.list ]; then
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${archive%/} trixie main" \
      > /etc/apt/sources.list.d/trixie.list
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/trixie-pin
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker-registry debootstrap busybox-static iptables \
    ca-certificates >/dev/null
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends -t trixie docker.io docker-cli docker-buildx docker-compose >/dev/null
  fi
fi

# Point the engine at the loopback mirror. registry-mirrors is live-reloadable,
# so a running engine only needs SIGHUP (no restart, running containers survive).
port=${DOCKWRIGHT_MIRROR_PORT:-5555}
want="{\"registry-mirrors\": [\"http://127.0.0.1:$port\"]}"
mkdir -p /etc/docker
changed=0
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$want" ]; then
  echo "$want" > /etc/docker/daemon.json
  changed=1
fi
if docker info >/dev/null 2>&1 && [ "$changed" = 1 ]; then
  pkill -HUP -x dockerd || true
  sleep 1
fi

if ! docker info >/dev/null 2>&1; then
  # No systemd here: run dockerd in the background, logging to a file.
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /var/log/dockerd.log" >&2; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi
