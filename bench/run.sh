#!/usr/bin/env bash
# bench/run.sh (make bench): topo against the physical floor (../shared/bench/floor.sh) and
# against an iproute2 script of the same chain, measured in one run, one after the other for
# each size, and topo exec against ip netns exec. Prints a table of times, ratios and peak RSS.
# As root. SIZES="10 100 1000 10000", REPEAT=3 (the best of so many runs each, for sizes up to
# 1000: the kernel destroys namespaces in the background, and a run that follows another's
# teardown pays for it) and EXEC_RUNS=200 by default.
# Then a chain of SPLIT_NODES (default 2000; 0 skips it) split in halves over two simulated hosts
# (tests/simhosts.sh; one cross-host link, a VXLAN pair, in the middle), each host's `up --host`
# and then `down` run at once, against the same chain on one simulated host.
set -euo pipefail
cd "$(dirname "$0")/.."
topo=$(pwd)/${TOPO:-build/topo}
floor=${FLOOR:-$(pwd)/../shared/bench/floor.sh}
sizes=${SIZES:-"10 100 1000 10000"}
exec_runs=${EXEC_RUNS:-200}
split_nodes=${SPLIT_NODES:-2000}
simhosts=$(pwd)/tests/simhosts.sh
simtag=bench-mh$$
repeat=${REPEAT:-3}
# The floor keeps two descriptors per namespace: 10,000 nodes need more than the usual limit.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/topo-bench.XXXXXX)
# Whatever happens, nothing the bench made stays: its labs, and the floor's and iproute2's
# namespaces (bfl*, bip*: names only the bench uses).
cleanup_floor() {
  for f in /run/netns/bfl*; do [ -e "$f" ] && echo "netns del ${f#/run/netns/}"; done |
    ip -force -batch - 2>/dev/null || true
}
cleanup() {
  "$topo" -q down bench-topo >/dev/null 2>&1 || true
  "$topo" -q down bench-exec >/dev/null 2>&1 || true
  "$simhosts" destroy "$simtag" >/dev/null 2>&1 || true
  for f in /run/netns/bfl* /run/netns/bip*; do
    [ -e "$f" ] && echo "netns del ${f#/run/netns/}"
  done | ip -force -batch - 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root"; exit 1; }
[ -x "$floor" ] || [ -f "$floor" ] || { echo "bench: no floor at $floor (set FLOOR=)"; exit 1; }

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
# Peak RSS in MiB of a command, from /usr/bin/time -v.
rss_of() { awk -F: '/Maximum resident/ {printf "%.1f", $2 / 1024}' "$1"; }

# The chain floor.sh builds, as an iproute2 script: one ip process for namespaces and veths,
# then one per namespace for its addresses and links up.
ip_chain() {
  local n=$1 p=$2 i
  {
    for ((i = 1; i <= n; i++)); do echo "netns add $p$i"; done
    for ((i = 1; i < n; i++)); do
      echo "link add eth1 netns $p$i type veth peer name eth0 netns $p$((i + 1))"
    done
  } | ip -batch -
  for ((i = 1; i <= n; i++)); do
    {
      echo "link set lo up"
      if ((i > 1)); then
        local l=$((i - 1))
        echo "addr add 10.$((l >> 14 & 255)).$((l >> 6 & 255)).$((((l & 63) << 2) + 2))/30 dev eth0"
        echo "link set eth0 up"
      fi
      if ((i < n)); then
        echo "addr add 10.$((i >> 14 & 255)).$((i >> 6 & 255)).$((((i & 63) << 2) + 1))/30 dev eth1"
        echo "link set eth1 up"
      fi
    } | ip -n "$p$i" -batch -
  done
}
ip_chain_down() {
  local n=$1 p=$2 i
  for ((i = 1; i <= n; i++)); do echo "netns del $p$i"; done | ip -batch -
}

# topo exec against ip netns exec, on a two-node lab: first, before the big labs (the kernel
# destroys their namespaces in the background long after down, and slows every mount meanwhile),
# and alternating in blocks so that both see the same machine.
"$topo" generate linear 2 --name bench-exec >"$work/exec.yaml"
"$topo" -q up "$work/exec.yaml"
ip_s=0 topo_s=0 block=20
for ((done_runs = 0; done_runs < exec_runs; done_runs += block)); do
  t0=$(now)
  for ((i = 0; i < block; i++)); do ip netns exec bench-exec-n1 true; done
  t1=$(now)
  for ((i = 0; i < block; i++)); do "$topo" exec bench-exec n1 -- true; done
  t2=$(now)
  ip_s=$(echo "$ip_s + $t1 - $t0" | bc -l) topo_s=$(echo "$topo_s + $t2 - $t1" | bc -l)
done
"$topo" -q down bench-exec
ip_ms=$(echo "$ip_s * 1000 / $done_runs" | bc -l)
topo_ms=$(echo "$topo_s * 1000 / $done_runs" | bc -l)
exec_line=$(printf '\nexec (mean of %s, alternating): ip netns exec %.2f ms, topo exec %.2f ms: %.2fx' \
  "$done_runs" "$ip_ms" "$topo_ms" "$(ratio "$topo_ms" "$ip_ms")")

printf '%-6s | %-21s | %-21s | %-21s | %-9s\n' "" "up (s)" "down (s)" "topo / floor" "topo RSS"
printf '%-6s | %6s %6s %7s | %6s %6s %7s | %9s %9s | %9s\n' nodes floor topo iproute2 floor topo \
  iproute2 up down MiB
min() { if [ -z "$1" ] || (($(echo "$2 < $1" | bc -l))); then echo "$2"; else echo "$1"; fi; }
for n in $sizes; do
  runs=$repeat
  ((n <= 1000)) || runs=1
  f_up="" f_down="" t_up="" t_down="" i_up="" i_down=""
  "$topo" generate linear "$n" --name bench-topo >"$work/chain.yaml"
  for ((r = 0; r < runs; r++)); do
    # The floor may not manage (at 10,000 nodes it needs 20,000 descriptors): say so, go on.
    if read -r a b < <(sh "$floor" "$n" bfl 2>"$work/floor.err" |
      sed -n 's/.*up_s=\([0-9.]*\) down_s=\([0-9.]*\).*/\1 \2/p'); then
      f_up=$(min "$f_up" "$a") f_down=$(min "$f_down" "$b")
    else
      echo "floor $n: $(tail -n 1 "$work/floor.err")" >&2
      cleanup_floor
    fi
    t0=$(now)
    /usr/bin/time -v -o "$work/up.time" "$topo" -q up "$work/chain.yaml"
    t1=$(now)
    "$topo" -q down bench-topo
    t2=$(now)
    t_up=$(min "$t_up" "$(elapsed "$t0" "$t1")") t_down=$(min "$t_down" "$(elapsed "$t1" "$t2")")
    # iproute2 may not manage either (ip -batch keeps a descriptor per namespace it names).
    if ip_chain "$n" bip 2>"$work/ip.err"; then
      t3=$(now)
      ip_chain_down "$n" bip
      t4=$(now)
      i_up=$(min "$i_up" "$(elapsed "$t2" "$t3")") i_down=$(min "$i_down" "$(elapsed "$t3" "$t4")")
    else
      echo "iproute2 $n: $(tail -n 1 "$work/ip.err")" >&2
      ip_chain_down "$n" bip 2>/dev/null || true
      i_up=0 i_down=0
    fi
  done
  if [ -n "$f_up" ]; then
    printf '%-6s | %6.3f %6.3f %7.3f | %6.3f %6.3f %7.3f | %8.2fx %8.2fx | %9s\n' "$n" "$f_up" \
      "$t_up" "$i_up" "$f_down" "$t_down" "$i_down" \
      "$(ratio "$t_up" "$f_up")" "$(ratio "$t_down" "$f_down")" "$(rss_of "$work/up.time")"
  else
    printf '%-6s | %6s %6.3f %7.3f | %6s %6.3f %7.3f | %9s %9s | %9s\n' "$n" "n/a" "$t_up" \
      "$i_up" "n/a" "$t_down" "$i_down" "n/a" "n/a" "$(rss_of "$work/up.time")"
  fi
done

printf '%s\n' "$exec_line"

# The chain split over two simulated hosts against the same chain on one: each in the same
# harness (a host's own /run, /etc and cgroup), the halves built and removed at the same time,
# as `up --all-hosts` does; the best of REPEAT runs.
if ((split_nodes > 0)); then
  half=$((split_nodes / 2))
  "$topo" generate linear "$split_nodes" --name bench-split >"$work/one.yaml"
  # The same file with two hosts: n1..nHALF on a, the rest on b.
  awk -v half="$half" '
    /^nodes:$/ { print "hosts:\n  a: {underlay: 192.0.2.10}\n  b: {underlay: 192.0.2.11}"; print; next }
    /^  n[0-9]+: \{kind: [a-z]+\}$/ {
      n = substr($1, 2) + 0
      sub(/\}$/, ", host: " (n <= half ? "a" : "b") "}")
    }
    { print }' "$work/one.yaml" >"$work/split.yaml"
  TOPO=$topo "$simhosts" create "$simtag" 2
  in_host() { "$simhosts" exec "$simtag" "$@"; }
  o_up="" o_down="" s_up="" s_down=""
  for ((r = 0; r < repeat; r++)); do
    t0=$(now)
    in_host a topo -q up "$work/one.yaml"
    t1=$(now)
    in_host a topo -q down bench-split
    t2=$(now)
    o_up=$(min "$o_up" "$(elapsed "$t0" "$t1")") o_down=$(min "$o_down" "$(elapsed "$t1" "$t2")")
    t0=$(now)
    in_host a topo -q up "$work/split.yaml" --host a &
    a_pid=$!
    in_host b topo -q up "$work/split.yaml" --host b
    wait "$a_pid"
    t1=$(now)
    in_host a topo -q down bench-split &
    a_pid=$!
    in_host b topo -q down bench-split
    wait "$a_pid"
    t2=$(now)
    s_up=$(min "$s_up" "$(elapsed "$t0" "$t1")") s_down=$(min "$s_down" "$(elapsed "$t1" "$t2")")
  done
  "$simhosts" destroy "$simtag"
  printf '\nchain of %s split over two simulated hosts (best of %s, %s cores):\n' "$split_nodes" \
    "$repeat" "$(nproc)"
  printf '  %-26s up %7.3f s   down %7.3f s\n' "one host" "$o_up" "$o_down" \
    "two hosts, halves at once" "$s_up" "$s_down"
  printf '  %-26s up %7.2fx     down %7.2fx\n' "two / one" "$(ratio "$s_up" "$o_up")" \
    "$(ratio "$s_down" "$o_down")"
fi
