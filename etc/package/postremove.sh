#!/bin/sh
# Package post-remove: the user, /var/lib/orchestrator (the SQLite backend)
# and the configuration are left in place; remove them by hand if wanted.
set -e
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
