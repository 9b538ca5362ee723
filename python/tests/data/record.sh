#!/bin/sh
# record.sh TOPO - records the JSON reports and the capture test_reports.py reads, from the
# topo given (as root), of labs/small.yaml brought up as lab py-record: status (with an
# impairment, then with r1 stopped), ping (all answer, then h1 and h2 with r1:eth2 down), test
# (r1's loopback address removed: a test fails), plan of the file with a node more, and a
# capture of a ping. Run it again when topo's reports change, and look at the diff.
set -eu
topo=$1
here=$(cd "$(dirname "$0")" && pwd)
lab=py-record
small=$(cd "$here/../labs" && pwd)/small.yaml
trap '"$topo" down $lab >/dev/null 2>&1' EXIT
"$topo" -q up "$small" --name $lab
"$topo" impair $lab r1:eth1 --rate 20mbit
"$topo" status $lab --json > "$here/status.json"
"$topo" impair $lab r1:eth1 --clear
"$topo" ping $lab --json > "$here/ping.json"
rm -f "$here/capture.pcapng"
"$topo" -q capture $lab h1:eth1 r1:eth1 -f icmp -c 4 -w "$here/capture.pcapng" &
while [ ! -e "$here/capture.pcapng" ]; do sleep 0.01; done
"$topo" exec $lab h1 -- ping -c2 -i0.2 10.9.1.1 >/dev/null
wait
"$topo" link $lab r1:eth2 down
"$topo" ping $lab --nodes h1,h2 --json > "$here/ping-failed.json" || true
"$topo" link $lab r1:eth2 up
"$topo" exec $lab r1 -- ip addr del 10.9.0.1/32 dev lo
"$topo" test $lab --json > "$here/test-failed.json" || true
sed 's/^nodes:$/nodes:\n  h3: {}/' "$small" | "$topo" plan - --name $lab --json \
  > "$here/plan-running.json" || true
"$topo" node $lab r1 stop
"$topo" status $lab --json > "$here/status-stopped.json"
