#!/bin/sh
# deb-check.sh BUILD - the Debian package as a new user meets it, as root: lintian finds no
# error; it holds the files `make install` places; in a clean Debian 12 root (mmdebstrap, from
# Debian's packages) where topo was never built, `apt-get install ./topo_*.deb` works, and
# `topo --version`, `man -w topo`, `topo validate` of an example, `import topo` and the pytest
# plugin's entry point work there; `apt-get remove` leaves none of its files (nor the Python
# modules' bytecode). The kernel tests stay on the build machine.
set -eu
build=$1
deb=$(ls -t "$build"/topo_*.deb | head -n 1)  # the newest, should several versions be there
tmp=$(mktemp -d)
# Never removes the root while anything is mounted in it.
trap 'umount "$tmp/root/proc" 2>/dev/null; mountpoint -q "$tmp/root/proc" || rm -rf "$tmp"' EXIT

echo "deb-check: lintian $deb"
lintian --fail-on error --suppress-tags-from-file /dev/null "$deb"

echo "deb-check: the package's files are what make install places under /usr"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./|/|' | sort > "$tmp/deb.list"
DESTDIR="$tmp/inst" cmake --install "$build" --prefix /usr >/dev/null
(cd "$tmp/inst" && find . ! -type d | sed 's|^\./|/|' | sort) > "$tmp/install.list"
diff -u "$tmp/install.list" "$tmp/deb.list"

echo "deb-check: a clean Debian 12 root"
mmdebstrap --quiet --variant=apt --include=man-db bookworm "$tmp/root" \
  "deb http://deb.debian.org/debian bookworm main"
cp "$deb" "$tmp/root/tmp/"
# topo finds topo-core through /proc/self/exe, as on any running system.
mount -t proc proc "$tmp/root/proc"
in_root() { chroot "$tmp/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root apt-get update -qq  # mmdebstrap leaves the root without package lists
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 /tmp/topo_*.deb >/dev/null'
in_root topo --version
in_root man -w topo
in_root man -w 5 topo.yaml
in_root topo validate /usr/share/doc/topo/examples/triangle.yaml
# python3 comes as the package's Recommends; the postinst compiled the modules (before any
# import could), and the prerm removes their bytecode (checked after the removal).
in_root sh -c 'ls /usr/lib/python3/dist-packages/topo/__pycache__/lab.*.pyc'
in_root python3 -c 'import topo; print("import topo:", topo.__file__)'
in_root python3 -c 'from importlib.metadata import entry_points
plugins = {e.name: e.value for e in entry_points(group="pytest11")}
assert plugins.get("topo") == "topo.pytest_plugin", plugins
print("pytest11 entry point: topo =", plugins["topo"])'
in_root dpkg -L topo | sort > "$tmp/owned.list"
in_root apt-get remove -y -qq -o Dpkg::Use-Pty=0 topo >/dev/null
left=""
while read -r path; do
  [ -e "$tmp/root$path" ] && [ ! -d "$tmp/root$path" ] && left="$left $path"
done < "$tmp/owned.list"
python_dir=/usr/lib/python3/dist-packages/topo
[ -e "$tmp/root$python_dir" ] && left="$left $python_dir ($(cd "$tmp/root$python_dir" && find . | tr '\n' ' '))"
if [ -n "$left" ]; then
  echo "deb-check: apt-get remove topo left:$left" >&2
  exit 1
fi
echo "deb-check: ok: $(basename "$deb") installs, works and removes cleanly in a clean root"
