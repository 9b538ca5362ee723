#!/bin/sh
# deps.sh - install the Debian packages topo needs to build and test, if any are missing.
set -e
pkgs="cmake make g++ pkg-config libyaml-cpp-dev libnl-3-dev libnl-route-3-dev libspdlog-dev
libfmt-dev libgtest-dev libcli11-dev nlohmann-json3-dev libpugixml-dev iproute2 iputils-ping util-linux time bc
python3-jsonschema python3-yaml clang libclang-rt-14-dev frr bird2 graphviz iperf3 e2fsprogs
pandoc dpkg-dev lintian mmdebstrap man-db libpcap-dev tshark tcpdump python3 python3-pytest
python3-pytest-xdist openssh-server openssh-client"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "deps: installing$missing"
# noninteractive: tshark's package asks whether non-root users may capture (the default, no, is
# kept); stdin from /dev/null, so that no question can wait for an answer.
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null </dev/null
