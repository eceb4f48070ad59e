#!/usr/bin/env bash
# Every VM: name resolution for the others, and the basic tools.
# Usage: provision-common.sh "ip=name,ip=name,..."
set -euo pipefail
hosts=${1:?usage: provision-common.sh ip=name,...}
IFS=',' read -r -a entries <<< "$hosts"
for entry in "${entries[@]}"; do
  ip=${entry%%=*}
  name=${entry#*=}
  sed -i "/[[:space:]]$name\$/d" /etc/hosts
  echo "$ip $name" >> /etc/hosts
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq curl jq >/dev/null
