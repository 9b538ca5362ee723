#!/usr/bin/env bash
# simhosts.sh - simulated hosts on one machine, for labs split over several hosts (VXLAN between
# them): what the multi-host tests and the bench use, and what anyone can use by hand. As root.
#
#   tests/simhosts.sh create TAG N       N hosts a, b, c, ... (N <= 20)
#   tests/simhosts.sh exec TAG HOST CMD...   CMD inside host HOST (`topo` is the built one)
#   tests/simhosts.sh sshd TAG           sshd in every host; prints the ssh_config to use (-F)
#   tests/simhosts.sh pid TAG HOST       the pid of the process that holds HOST
#   tests/simhosts.sh destroy TAG        takes every lab in the hosts down, kills every process
#                                        in them, removes what create made (idempotent)
#
# A simulated host is a network namespace registered as /run/netns/TAG-HOST, with lo up and eth0
# at 192.0.2.10, .11, ... /24 (and 2001:db8::10, ::11, ... /64) on an underlay: the bridge br0
# in the namespace TAG-sw, one veth port per host. A process (`sleep infinity`) holds it together
# with a mount namespace and a UTS namespace (hostname HOST) of its own, where:
#   - /run is a fresh tmpfs (so /run/netns, /run/topo, /run/sshd are the host's own);
#   - /etc is an overlay on the real /etc whose changes stay in the host (so /etc/netns is the
#     host's own: a tmpfs at /etc/netns would be detached when a lab of the real machine removes
#     an empty /etc/netns, as the kernel does with mounts on a directory removed elsewhere);
#   - /sys is the host's network namespace's sysfs, and the cgroup2 hierarchy (or v1 freezer) is
#     a cgroup of its own: <cgroup mount>/topo-simhosts/TAG-HOST, bound where the real one is
#     mounted, so that the same lab on two hosts has two cgroups, as on two machines.
# Every command `exec` runs joins that cgroup, so `destroy` finds it, and everything it started.
#
# The topo run inside the hosts is $TOPO (default: build/topo of this checkout), recorded by
# `create`; `exec` puts its directory first on PATH (topo finds topo-core next to itself).
# Everything else of the harness lives in $SIMHOSTS_DIR/TAG (default /tmp/topo-simhosts/TAG):
# HOST/pid, the holder's pid; ssh/, keys and configs of `sshd`. The host's own /run and /etc are
# seen from outside under /proc/PID/root/.
#
# `sshd` starts OpenSSH's sshd in each host on its underlay address (port 22) with a generated
# host key and accepts a generated client key for root; a session's PATH has topo's directory
# first. It prints the path of an ssh_config (root, that key, no host key checks) for `ssh -F`,
# and installs the same settings in each host's /etc/ssh/ssh_config.d, so that inside a host a
# plain `ssh 192.0.2.11 topo status` works (as `topo up --all-hosts` runs it).
#
# Example:
#   tests/simhosts.sh create demo 2
#   tests/simhosts.sh exec demo a topo up lab.yaml --host a
#   tests/simhosts.sh exec demo b topo up lab.yaml --host b
#   tests/simhosts.sh exec demo a topo ping LAB
#   tests/simhosts.sh destroy demo
#
# It prints nothing but errors (and sshd's config path); on failure it exits non-zero with a
# message, and `create` removes what it made.
set -euo pipefail

die() {
  echo "simhosts: $*" >&2
  exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${SIMHOSTS_DIR:-/tmp/topo-simhosts}

host_names() { # N -> a b c ...
  local i letters=abcdefghijklmnopqrst
  for ((i = 0; i < $1; i++)); do echo "${letters:i:1}"; done
}

# The cgroup hierarchy topo uses (its cgroup.cc looks in this order): a cgroup2 at
# /sys/fs/cgroup or /sys/fs/cgroup/unified, else the v1 freezer. Prints "MOUNT".
cgroup_mount() {
  local m
  for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && { echo "$m"; return; }
  done
  m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)freezer(,|$)/ {print $2; exit}' /proc/self/mounts)
  [ -n "$m" ] && { echo "$m"; return; }
  die "no cgroup2 hierarchy nor v1 freezer mounted"
}

hosts_of() { # TAG -> the host names create made
  cat "$base/$1/hosts" 2>/dev/null || true
}

check_tag() {
  [[ $1 =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "bad TAG '$1' (lower-case letters, digits, -)"
}

holder_pid() { # TAG HOST -> pid of a live holder, or nothing
  local f=$base/$1/$2/pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && echo "$pid"
  return 0
}

# The holder's script, run by `sh` in the new namespaces: $1 = work dir of the host, $2 = its
# cgroup, $3 = where the cgroup hierarchy is mounted, $4 = hostname.
# shellcheck disable=SC2016
holder_script='
set -eu
work=$1 cg=$2 cgmount=$3
echo $$ >"$cg/cgroup.procs"
hostname "$4"
mount -t tmpfs -o mode=0755 simhost-run /run
mkdir -m 0755 /run/netns /run/topo /run/sshd /run/lock
mount -t tmpfs -o mode=0755 simhost-etc "$work/etc"
mkdir "$work/etc/upper" "$work/etc/work"
mknod "$work/etc/upper/netns" c 0 0  # a whiteout: the host has no /etc/netns of the real one
mount -t overlay simhost-etc -o "lowerdir=/etc,upperdir=$work/etc/upper,workdir=$work/etc/work" /etc
mount --bind "$cg" "$work/cgroup"
mount -t sysfs sysfs /sys
if [ "$cgmount" != /sys/fs/cgroup ]; then
  mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
  mkdir "$cgmount"
fi
mount --move "$work/cgroup" "$cgmount"
echo $$ >"$work/pid.new"
mv "$work/pid.new" "$work/pid"
exec sleep infinity
'

create() {
  local tag=$1 n=$2 work=$base/$1 cgm topo i h ns
  local -A holder=()
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 20)) || die "N must be 1..20, not '$n'"
  [ -e "$work" ] && die "$work exists: simulated hosts $tag exist (destroy them first)"
  for h in sw $(host_names "$n"); do
    [ -e "/run/netns/$tag-$h" ] && die "namespace $tag-$h exists"
  done
  topo=${TOPO:-$here/../build/topo}
  [ -x "$topo" ] || die "no topo at $topo (build it, or set TOPO=)"
  topo=$(cd "$(dirname "$topo")" && pwd)/$(basename "$topo")
  cgm=$(cgroup_mount)
  mkdir -p "$work"
  # From here on, a failure removes what was made.
  trap 'destroy "$tag" >/dev/null 2>&1' EXIT
  echo "$topo" >"$work/topo"
  echo "$cgm/topo-simhosts" >"$work/cgroup"
  host_names "$n" >"$work/hosts"
  ip netns add "$tag-sw"
  ip -n "$tag-sw" link set lo up
  ip -n "$tag-sw" link add br0 type bridge
  ip -n "$tag-sw" link set br0 up
  i=0
  for h in $(hosts_of "$tag"); do
    ns=$tag-$h
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$tag-sw" link add name "$h" type veth peer name eth0 netns "$ns"
    ip -n "$tag-sw" link set dev "$h" master br0 up
    ip -n "$ns" addr add "192.0.2.$((10 + i))/24" dev eth0
    ip -n "$ns" addr add "2001:db8::$((10 + i))/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    mkdir -p "$work/$h/etc" "$work/$h/cgroup" "$cgm/topo-simhosts/$ns"
    nsenter --net="/run/netns/$ns" -- unshare --mount --uts --propagation private -- \
      sh -c "$holder_script" holder "$work/$h" "$cgm/topo-simhosts/$ns" "$cgm" "$h" \
      </dev/null >"$work/$h/holder.log" 2>&1 &
    holder[$h]=$!
    i=$((i + 1))
  done
  # Each holder writes its pid once its mounts are made; one that fails exits.
  for h in $(hosts_of "$tag"); do
    until [ -f "$work/$h/pid" ]; do
      kill -0 "${holder[$h]}" 2>/dev/null || [ -f "$work/$h/pid" ] ||
        die "host $h: $(cat "$work/$h/holder.log")"
      sleep 0.01
    done
  done
  trap - EXIT
}

run_in() { # TAG HOST CMD...: CMD in the host, in its cgroup, topo first on PATH
  local tag=$1 h=$2 work=$base/$1 pid wd=/
  shift 2
  [ -d "$work" ] || die "no simulated hosts $tag"
  pid=$(holder_pid "$tag" "$h")
  [ -n "$pid" ] || die "no simulated host $h in $tag"
  echo "$BASHPID" >"$(cat "$work/cgroup")/$tag-$h/cgroup.procs"  # this (sub)shell only
  case $PWD in /run | /run/* | /etc | /etc/*) ;; *) wd=$PWD ;; esac
  PATH=$(dirname "$(cat "$work/topo")"):$PATH exec nsenter -t "$pid" -m -n -u --wdns="$wd" -- "$@"
}

sshd_start() {
  local tag=$1 work=$base/$1 ssh=$base/$1/ssh i=0 h path
  [ -d "$work" ] || die "no simulated hosts $tag"
  command -v /usr/sbin/sshd >/dev/null || die "no /usr/sbin/sshd (apt-get install openssh-server)"
  mkdir -p "$ssh"
  chmod 0700 "$ssh"
  [ -f "$ssh/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C "simhosts $tag" -f "$ssh/host_key"
  [ -f "$ssh/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C "simhosts $tag" -f "$ssh/client_key"
  path=$(dirname "$(cat "$work/topo")"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  echo "environment=\"PATH=$path\" $(cat "$ssh/client_key.pub")" >"$ssh/authorized_keys"
  cat >"$ssh/sshd_config" <<EOF
HostKey $ssh/host_key
AuthorizedKeysFile $ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment PATH
PrintMotd no
PrintLastLog no
LogLevel ERROR
EOF
  cat >"$ssh/ssh_config" <<EOF
Host *
  User root
  IdentityFile $ssh/client_key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  ConnectTimeout 10
EOF
  for h in $(hosts_of "$tag"); do
    if [ ! -f "$ssh/sshd.$h.pid" ]; then
      run_in_sub "$tag" "$h" sh -c "mkdir -p /etc/ssh/ssh_config.d &&
        cp '$ssh/ssh_config' /etc/ssh/ssh_config.d/simhosts.conf"
      run_in_sub "$tag" "$h" /usr/sbin/sshd -f "$ssh/sshd_config" -E "$ssh/sshd.$h.log" \
        -o "ListenAddress=192.0.2.$((10 + i))" -o "PidFile=$ssh/sshd.$h.pid" ||
        die "sshd in host $h: $(cat "$ssh/sshd.$h.log" 2>/dev/null)"
    fi
    i=$((i + 1))
  done
  # sshd writes its pid file once it listens.
  for h in $(hosts_of "$tag"); do
    for ((i = 0; i < 1000; i++)); do
      [ -s "$ssh/sshd.$h.pid" ] && break
      sleep 0.01
    done
    [ -s "$ssh/sshd.$h.pid" ] || die "sshd in host $h did not start: $(cat "$ssh/sshd.$h.log")"
  done
  echo "$ssh/ssh_config"
}

run_in_sub() { (run_in "$@"); }

destroy() {
  local tag=$1 work=$base/$1 h pid lab topo cg ids p i live x st
  [ -d "$work" ] || return 0
  topo=$(cat "$work/topo" 2>/dev/null || true)
  cg=$(cat "$work/cgroup" 2>/dev/null || true)
  for h in $(hosts_of "$tag"); do
    pid=$(holder_pid "$tag" "$h")
    if [ -n "$pid" ] && [ -n "$topo" ]; then
      for lab in "/proc/$pid/root/run/topo"/*; do
        [ -d "$lab" ] || continue
        lab=$(basename "$lab")
        run_in_sub "$tag" "$h" "$topo" -q down "$lab" >/dev/null 2>&1 ||
          echo "simhosts: topo down $lab in host $h failed (its processes are killed)" >&2
      done
    fi
    # Every process of the host: in its cgroup, or in its namespaces (the host's network and
    # mount namespaces, the network namespaces under its /run/netns).
    ids=""
    if [ -n "$pid" ]; then
      ids="$(stat -L -c %i "/proc/$pid/ns/net" "/proc/$pid/ns/mnt" 2>/dev/null)"
      ids="$ids $(stat -L -c %i "/proc/$pid/root/run/netns/"* 2>/dev/null || true)"
    fi
    # shellcheck disable=SC2086 # $ids and $p: lists of numbers
    for ((i = 0; i < 500; i++)); do
      p=""
      if [ -n "$cg" ] && [ -d "$cg/$tag-$h" ]; then
        p=$(find "$cg/$tag-$h" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
      fi
      if [ -n "$ids" ]; then
        p="$p $(find /proc/[0-9]*/ns -maxdepth 1 \( -name net -o -name mnt \) \
          -printf '%l %p\n' 2>/dev/null | grep -F -w -f <(printf '%s\n' $ids) |
          cut -d/ -f3 || true)"
      fi
      p=$(printf '%s\n' $p | grep -v -x "$$" | sort -u || true)
      [ -z "$p" ] && break
      # A zombie stays in its cgroup until its parent (often pid 1) reaps it: only wait.
      live=$(for x in $p; do
        st=$(cat "/proc/$x/stat" 2>/dev/null) || continue
        st=${st##*) }
        [ "${st%% *}" = Z ] || echo "$x"
      done)
      [ -z "$live" ] || kill -9 $live 2>/dev/null || true
      sleep 0.01
    done
    [ -z "$p" ] || echo "simhosts: host $h: processes left: $p" >&2
    if [ -n "$cg" ] && [ -d "$cg/$tag-$h" ]; then
      find "$cg/$tag-$h" -depth -type d -exec rmdir {} + 2>/dev/null ||
        echo "simhosts: cgroup $cg/$tag-$h left" >&2
    fi
    [ -e "/run/netns/$tag-$h" ] && ip netns delete "$tag-$h"
  done
  [ -e "/run/netns/$tag-sw" ] && ip netns delete "$tag-sw"
  if [ -n "$cg" ]; then rmdir "$cg" 2>/dev/null || true; fi
  rm -rf "$work"
  rmdir "$base" 2>/dev/null || true
}

[ $# -ge 2 ] || die "usage: simhosts.sh create TAG N | exec TAG HOST CMD... | sshd TAG | pid TAG HOST | destroy TAG"
[ "$(id -u)" -eq 0 ] || die "run as root"
verb=$1 tag=$2
check_tag "$tag"
shift 2
case $verb in
  create)
    [ $# -eq 1 ] || die "usage: simhosts.sh create TAG N"
    create "$tag" "$1"
    ;;
  exec)
    [ $# -ge 2 ] || die "usage: simhosts.sh exec TAG HOST CMD..."
    run_in "$tag" "$@"
    ;;
  sshd) sshd_start "$tag" ;;
  pid)
    [ $# -eq 1 ] || die "usage: simhosts.sh pid TAG HOST"
    pid=$(holder_pid "$tag" "$1")
    [ -n "$pid" ] || die "no simulated host $1 in $tag"
    echo "$pid"
    ;;
  destroy) destroy "$tag" ;;
  *) die "unknown command '$verb' (create, exec, sshd, pid, destroy)" ;;
esac
