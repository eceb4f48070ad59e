#!/usr/bin/env bash
# The orchestrator VM: installs the .deb built on the host (./build.sh -p deb),
# configures the SQLite backend and the topology credentials, starts the
# service and discovers the topology through its master.
# Usage: provision-orchestrator.sh MASTER_HOST
set -euo pipefail
master=${1:?usage: provision-orchestrator.sh MASTER_HOST}
deb=$(find /orchestrator/build -maxdepth 1 -name "orchestrator_*.deb" -printf "%T@ %p\n" 2>/dev/null | sort -rn | head -n 1 | cut -d" " -f2-)
if [ -z "$deb" ]; then
  echo "no package in build/: run ./build.sh -p deb on the host, then vagrant provision orchestrator" >&2
  exit 1
fi
apt-get install -y -qq "$deb" >/dev/null
cat > /etc/orchestrator-topology.cnf <<CNF
[client]
user = orchestrator
password = orch_topology_pass
CNF
chown orchestrator:orchestrator /etc/orchestrator-topology.cnf
chmod 600 /etc/orchestrator-topology.cnf
cat > /etc/orchestrator.conf.json <<JSON
{
  "ListenAddress": ":3000",
  "BackendDB": "sqlite3",
  "SQLite3DataFile": "/var/lib/orchestrator/orchestrator.sqlite3",
  "MySQLTopologyCredentialsConfigFile": "/etc/orchestrator-topology.cnf",
  "InstancePollSeconds": 5,
  "DiscoverySeeds": ["$master:3306"],
  "RecoverMasterClusterFilters": [".*"],
  "RecoverIntermediateMasterClusterFilters": [".*"]
}
JSON
systemctl enable orchestrator.service
systemctl restart orchestrator.service
for _ in $(seq 1 60); do
  curl -fsS http://127.0.0.1:3000/api/health >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://127.0.0.1:3000/api/discover/$master/3306" >/dev/null
sleep 10
# The CLI runs as the service user: the credentials file is 0600 and the
# SQLite backend in /var/lib/orchestrator (0750) is theirs.
runuser -u orchestrator -- /usr/local/orchestrator/orchestrator -c topology -i "$master:3306" || true
echo "orchestrator is up: http://localhost:3000 on the host"
