#!/usr/bin/env bash
# A MariaDB server with binary logs and GTID; replicas replicate from the
# master by GTID and are read-only. Creates the users orchestrator needs.
# Usage: provision-mariadb.sh SERVER_ID [MASTER_HOST]   (no master: the master)
set -euo pipefail
server_id=${1:?usage: provision-mariadb.sh SERVER_ID [MASTER_HOST]}
master=${2:-}
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq mariadb-server mariadb-client >/dev/null
read_only=0
[ -n "$master" ] && read_only=1
cat > /etc/mysql/mariadb.conf.d/90-orchestrator.cnf <<CNF
[mysqld]
bind-address             = 0.0.0.0
server_id                = $server_id
log_bin                  = mysql-bin
log_slave_updates        = 1
binlog_format            = ROW
gtid_domain_id           = 0
report_host              = $(hostname)
report_port              = 3306
read_only                = $read_only
CNF
systemctl restart mariadb
# On the master the users are binary-logged, so that replicas (and any
# replica added later) receive them. A replica creates them for itself too,
# to be probed at once, but with sql_log_bin=0: written to its binlog they
# would be local GTIDs that its master lacks (errant transactions), which
# orchestrator reports and which block promoting it or moving replicas
# below it. The replicated copies are no-ops (IF NOT EXISTS; GRANT again).
log_bin=1
[ -n "$master" ] && log_bin=0
mariadb <<SQL
SET SESSION sql_log_bin=$log_bin;
CREATE USER IF NOT EXISTS 'orchestrator'@'%' IDENTIFIED BY 'orch_topology_pass';
GRANT SUPER, PROCESS, REPLICATION SLAVE, REPLICATION CLIENT, RELOAD, BINLOG MONITOR, REPLICA MONITOR, READ_ONLY ADMIN ON *.* TO 'orchestrator'@'%';
CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl_pass';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
SQL
if [ -n "$master" ]; then
  for _ in $(seq 1 60); do
    mariadb -h "$master" -u repl -prepl_pass -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 2
  done
  mariadb <<SQL
STOP SLAVE;
CHANGE MASTER TO MASTER_HOST='$master', MASTER_PORT=3306, MASTER_USER='repl',
  MASTER_PASSWORD='repl_pass', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;
START SLAVE;
SQL
fi
echo "$(hostname): MariaDB server_id=$server_id ${master:+replicating from $master}"
