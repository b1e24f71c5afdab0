#!/usr/bin/env bash
# Installs what custnet's tests (or benchmarks) need beyond Go, from Debian's
# packages, when it is missing. Safe to run repeatedly.
#   test:  chromium (the report test opens reports in headless Chromium)
#   bench: python3-networkx, python3-igraph (reference PageRank timings),
#          checked with /usr/bin/python3, the interpreter the benchmarks run
set -euo pipefail
what=${1:-test}
need=()
case "$what" in
  test)  command -v chromium >/dev/null 2>&1 || [ -n "${CUSTNET_CHROMIUM:-}" ] || need+=(chromium fonts-liberation) ;;
  bench) /usr/bin/python3 -c 'import networkx, igraph' >/dev/null 2>&1 || need+=(python3-networkx python3-igraph) ;;
  *) echo "usage: $0 test|bench" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "custnet: please install ${need[*]} (Debian packages) for 'make $what'" >&2
  exit 1
fi
sudo=""; [ "$(id -u)" != 0 ] && sudo=sudo
echo "installing ${need[*]} ..." >&2
$sudo apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
