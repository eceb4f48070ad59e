#!/usr/bin/env bash
# Builds the orchestrator binary with its version and commit stamped in.
# Usage: ./build.sh [-o output] [-t GOOS/GOARCH]
set -euo pipefail
cd "$(dirname "$0")"
out=bin/orchestrator
target=""
while getopts "o:t:" opt; do
  case "$opt" in
    o) out=$OPTARG ;;
    t) target=$OPTARG ;;
    *) echo "usage: $0 [-o output] [-t GOOS/GOARCH]" >&2; exit 1 ;;
  esac
done
version=${RELEASE_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$target" ]; then
  export GOOS=${target%/*} GOARCH=${target#*/}
fi
mkdir -p "$(dirname "$out")"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out" ./go/cmd/orchestrator
echo "built $out ($version, $commit)"
