#!/usr/bin/env bash
# Builds the orchestrator binary with its version and commit stamped in, and
# optionally packages it (tarball, .deb, .rpm). script/build calls this.
#
# Usage: ./build.sh [-o output] [-t GOOS/GOARCH] [-p tar,deb,rpm|all] [-d dir]
#
#   -o FILE   where the binary goes (default bin/orchestrator, or
#             bin/orchestrator-OS-ARCH with -t)
#   -t OS/ARCH  cross-compile, e.g. linux/arm64 (default: this machine)
#   -p LIST   packages to make, comma-separated: tar, deb, rpm, or all
#   -d DIR    where packages go (default build/)
#
# The version is $RELEASE_VERSION, else `git describe`; the commit is the
# short HEAD. `orchestrator --version` prints both. Packages lay out:
#
#   /usr/local/orchestrator/orchestrator        the binary
#   /usr/local/orchestrator/resources/          resources/ (bin/orchestrator-client, ...)
#   /usr/local/orchestrator/conf/, docs/        samples and documentation
#   /etc/orchestrator.conf.json                 single-node (SQLite) sample, kept on upgrade
#   /etc/orchestrator-topology.cnf              topology credentials, mode 0600
#   /etc/init.d/orchestrator                    LSB init script
#   /etc/systemd/system/orchestrator.service    systemd unit
#   /etc/logrotate.d/orchestrator               rotates the init script's log file
#   /var/lib/orchestrator                       state (the SQLite backend)
#
# and the .deb/.rpm create the "orchestrator" service user (etc/package/)
# and depend on curl (the init script's health check).
set -euo pipefail
cd "$(dirname "$0")"

NFPM_VERSION=v2.45.2 # later versions do not install from this module proxy

usage() { echo "usage: $0 [-o output] [-t GOOS/GOARCH] [-p tar,deb,rpm|all] [-d dir]" >&2; exit 1; }

out=""
target=""
packages=""
pkgdir=build
while getopts "o:t:p:d:" opt; do
  case "$opt" in
    o) out=$OPTARG ;;
    t) target=$OPTARG ;;
    p) packages=$OPTARG ;;
    d) pkgdir=$OPTARG ;;
    *) usage ;;
  esac
done
[ "$packages" = all ] && packages=tar,deb,rpm
for p in ${packages//,/ }; do
  case "$p" in tar | deb | rpm) ;; *) echo "build.sh: unknown package type '$p' (tar, deb, rpm, all)" >&2; exit 1 ;; esac
done

version=${RELEASE_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
goos=$(go env GOOS)
goarch=$(go env GOARCH)
if [ -n "$target" ]; then
  [[ "$target" == */* ]] || usage
  goos=${target%/*}
  goarch=${target#*/}
  out=${out:-bin/orchestrator-$goos-$goarch}
fi
out=${out:-bin/orchestrator}

mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
  -ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
  -o "$out" ./go/cmd/orchestrator
echo "built $out ($version, $commit, $goos/$goarch)"
[ -n "$packages" ] || exit 0

# A package version must start with a digit and hold no '-': v1.2.3 -> 1.2.3,
# 1.2.3-4-gabc -> 1.2.3.4.gabc, a bare commit abc123 -> 0.0.0~abc123.
pkgversion=${version#v}
pkgversion=${pkgversion//-/.}
[[ "$pkgversion" =~ ^[0-9] ]] || pkgversion="0.0.0~$pkgversion"

# contents: source, destination, mode, nfpm type. The tarball and the
# .deb/.rpm are made from this one list.
contents=(
  "$out|/usr/local/orchestrator/orchestrator|0755|file"
  "etc/init.d/orchestrator|/etc/init.d/orchestrator|0755|config"
  "etc/systemd/orchestrator.service|/etc/systemd/system/orchestrator.service|0644|config"
  "etc/logrotate.d/orchestrator|/etc/logrotate.d/orchestrator|0644|config|noreplace"
  "@installed-conf|/etc/orchestrator.conf.json|0644|config|noreplace"
  "conf/orchestrator-topology.cnf.sample|/etc/orchestrator-topology.cnf|0600|config|noreplace"
)
while IFS= read -r f; do
  mode=0644
  [ -x "$f" ] && mode=0755
  contents+=("$f|/usr/local/orchestrator/$f|$mode|file")
done < <(find resources conf docs -type f ! -name '.*' ! -name '*.go' | sort)
if [ -f resources/bin/orchestrator-client ]; then
  contents+=("/usr/local/orchestrator/resources/bin/orchestrator-client|/usr/bin/orchestrator-client||symlink")
fi

mkdir -p "$pkgdir"
pkgdir=$(cd "$pkgdir" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The installed /etc/orchestrator.conf.json is the single-node sample with
# the topology credentials read from /etc/orchestrator-topology.cnf (0600)
# instead of the sample's user and ${ORCHESTRATOR_TOPOLOGY_PASSWORD}.
installed_conf=$work/orchestrator.conf.json
sed -e '/"MySQLTopologyPassword"/d' \
  -e 's|"MySQLTopologyUser": "orchestrator",|"MySQLTopologyCredentialsConfigFile": "/etc/orchestrator-topology.cnf",|' \
  conf/orchestrator-sample-sqlite.conf.json > "$installed_conf"
grep -q '"MySQLTopologyCredentialsConfigFile"' "$installed_conf" || { echo "build.sh: cannot derive the installed config from the SQLite sample" >&2; exit 1; }
for n in "${!contents[@]}"; do
  contents[n]=${contents[n]/#@installed-conf/$installed_conf}
done

for p in ${packages//,/ }; do
  case "$p" in
    tar)
      stage=$work/root
      for entry in "${contents[@]}"; do
        IFS='|' read -r src dst mode kind <<< "$entry"
        if [ "$kind" = symlink ]; then
          mkdir -p "$stage$(dirname "$dst")"
          ln -sfn "$src" "$stage$dst"
        else
          install -D -m "$mode" "$src" "$stage$dst"
        fi
      done
      install -d -m 0750 "$stage/var/lib/orchestrator"
      file=$pkgdir/orchestrator-$pkgversion-$goos-$goarch.tar.gz
      tar -C "$stage" --owner=0 --group=0 -czf "$file" usr etc var
      echo "packaged $file"
      ;;
    deb | rpm)
      nfpm=$(go env GOPATH)/bin/nfpm
      if ! go version -m "$nfpm" 2>/dev/null | grep -q "nfpm/v2[[:space:]]*$NFPM_VERSION"; then
        echo "installing nfpm $NFPM_VERSION"
        go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
      fi
      spec=$work/nfpm.yaml
      {
        echo "name: orchestrator"
        echo "arch: $goarch"
        echo "platform: $goos"
        echo "version: $pkgversion"
        echo "version_schema: none"
        echo "release: \"1\""
        echo "section: database"
        echo "priority: optional"
        echo "maintainer: orchestrator developers"
        echo "description: MySQL/MariaDB replication topology manager (service, CLI and web UI)"
        echo "license: Apache-2.0"
        # curl: the init script's start-up check (https, unix sockets).
        # RHEL's curl-minimal also provides /usr/bin/curl, so the .rpm
        # requires the file rather than the package.
        echo "depends: [curl]"
        echo "recommends: [logrotate]"
        echo "overrides:"
        echo "  rpm:"
        echo "    depends: [/usr/bin/curl]"
        echo "scripts:"
        echo "  preinstall: etc/package/preinstall.sh"
        echo "  postinstall: etc/package/postinstall.sh"
        echo "  preremove: etc/package/preremove.sh"
        echo "  postremove: etc/package/postremove.sh"
        echo "contents:"
        for entry in "${contents[@]}"; do
          IFS='|' read -r src dst mode kind <<< "$entry"
          echo "  - src: \"$src\""
          echo "    dst: \"$dst\""
          [ "$kind" = file ] || echo "    type: \"$kind\""
          [ -z "$mode" ] || echo "    file_info: {mode: $mode}"
        done
        echo "  - dst: /var/lib/orchestrator"
        echo "    type: dir"
        echo "    file_info: {mode: 0750}"
      } > "$spec"
      if [ "$p" = deb ]; then
        file=$pkgdir/orchestrator_${pkgversion}-1_$goarch.deb
      else
        rpmarch=$goarch
        case "$goarch" in amd64) rpmarch=x86_64 ;; arm64) rpmarch=aarch64 ;; 386) rpmarch=i386 ;; esac
        file=$pkgdir/orchestrator-$pkgversion-1.$rpmarch.rpm
      fi
      "$nfpm" package --config "$spec" --packager "$p" --target "$file" >/dev/null
      echo "packaged $file"
      ;;
  esac
done
