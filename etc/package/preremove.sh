#!/bin/sh
# Package pre-remove: stop a running service. On upgrade the service keeps
# running; the operator restarts it when ready.
set -e
case "${1:-}" in
  upgrade | 1) exit 0 ;;
esac
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl stop orchestrator.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/orchestrator ]; then
  /etc/init.d/orchestrator stop >/dev/null 2>&1 || true
fi
