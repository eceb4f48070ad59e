#!/bin/sh
# Package post-install: state directory and credentials owned by the service
# user (credentials readable by it alone), then let systemd see the unit.
set -e
install -d -m 0750 -o orchestrator -g orchestrator /var/lib/orchestrator
for f in /etc/orchestrator-topology.cnf /etc/orchestrator-backend.cnf; do
  if [ -f "$f" ]; then
    chown orchestrator:orchestrator "$f"
    chmod 0600 "$f"
  fi
done
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
echo "orchestrator installed: edit /etc/orchestrator.conf.json and /etc/orchestrator-topology.cnf, then start the service."
