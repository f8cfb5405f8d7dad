#!/bin/bash
# Checks every nftables rule set shipped in deploy/ (or the files given) with `nft -c -f`, the
# kernel's own check, inside a throwaway network namespace: the host's rule set is never read
# or touched, even by a file that would flush it.
#
#   scripts/check-nftables.sh                     # every deploy/**/*.nft
#   scripts/check-nftables.sh deploy/isp/inline.nft my-rules.nft
#
# One line per file (ok / FAIL and nft's messages), then "N passed, N failed".
# Exit status: 0 all passed, 1 a file failed, 77 no namespace could be made here (not root and
# no unprivileged user namespaces, or nft missing): nothing was checked.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(find "$root/deploy" -name '*.nft' -type f | sort)
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "no .nft files under $root/deploy" >&2
  exit 1
fi

if ! command -v nft >/dev/null; then
  echo "SKIP: nft not found (apt-get install nftables)" >&2
  exit 77
fi

# How to run a command in a fresh, empty network namespace: `ip netns` as root, else an
# unprivileged user namespace with its own network namespace (unshare -rn).
ns=""
cleanup() { [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
  ns="shn$$-nftcheck"
  if ip netns add "$ns" 2>/dev/null; then
    in_ns() { ip netns exec "$ns" "$@"; }
  else
    ns=""
  fi
fi
if [ -z "$ns" ]; then
  if unshare -rn true 2>/dev/null; then
    in_ns() { unshare -rn "$@"; }
  else
    echo "SKIP: cannot make a network namespace (needs root or unprivileged user namespaces)" >&2
    exit 77
  fi
fi

passed=0
failed=0
for f in "${files[@]}"; do
  shown=${f#"$root"/}
  if out=$(in_ns nft -c -f "$f" 2>&1); then
    echo "ok   $shown"
    passed=$((passed + 1))
  else
    echo "FAIL $shown"
    printf '%s\n' "$out" | sed 's/^/     /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
