#!/usr/bin/env bash
# Start the local PostgreSQL, RabbitMQ and Redis that OneNet needs when they are
# installed but stopped; name the Debian package to install when one is missing.
# Used by `make run`, `make test` and `.ci/run`. Exits non-zero if one cannot be had.
set -uo pipefail

missing=()
failed=()

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # wait_for <seconds> <command...>
  local seconds=$1; shift
  for _ in $(seq "$seconds"); do "$@" && return 0; sleep 1; done
  return 1
}

# PostgreSQL
if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "starting PostgreSQL ..."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    wait_for 60 port_open 5432 || failed+=("PostgreSQL (did not open 127.0.0.1:5432)")
  else
    missing+=(postgresql)
  fi
fi

# RabbitMQ
if ! port_open 5672; then
  if command -v rabbitmq-server >/dev/null; then
    echo "starting RabbitMQ ..."
    rabbitmq-server -detached
    wait_for 90 port_open 5672 || failed+=("RabbitMQ (did not open 127.0.0.1:5672)")
  else
    missing+=(rabbitmq-server)
  fi
fi
if port_open 5672 && command -v rabbitmqctl >/dev/null; then
  wait_for 60 rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  # The shovel plugin joins a province's own RabbitMQ (docs/operations.md; its example is tested).
  # Enabling it is online: the broker keeps running.
  if command -v rabbitmq-plugins >/dev/null && ! rabbitmq-plugins -q is_enabled rabbitmq_shovel >/dev/null 2>&1; then
    rabbitmq-plugins -q enable rabbitmq_shovel >/dev/null || failed+=("the RabbitMQ shovel plugin")
  fi
fi

# Redis (the gateway's shared rate limits)
if ! port_open 6379; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis ..."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir "${TMPDIR:-/tmp}" --logfile "${TMPDIR:-/tmp}/onenet-redis.log"
    wait_for 30 port_open 6379 || failed+=("Redis (did not open 127.0.0.1:6379)")
  else
    missing+=(redis-server)
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "OneNet needs ${missing[*]} on this machine. Install with:" >&2
  echo "    sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
  printf 'could not start %s\n' "${failed[@]}" >&2
  exit 1
fi
exit 0
