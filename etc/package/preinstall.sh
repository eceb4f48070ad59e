#!/bin/sh
# Package pre-install: the service user and group "orchestrator".
set -e
if ! getent group orchestrator >/dev/null 2>&1; then
  groupadd --system orchestrator
fi
if ! getent passwd orchestrator >/dev/null 2>&1; then
  useradd --system --gid orchestrator --home-dir /var/lib/orchestrator \
    --no-create-home --shell /usr/sbin/nologin \
    --comment "orchestrator service" orchestrator
fi
