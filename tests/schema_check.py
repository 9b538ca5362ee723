#!/usr/bin/env python3
"""Every example validates against schema/topo.schema.json, and known-bad files do not."""
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(sys.argv[1])
schema = json.loads((root / "schema/topo.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failures = 0
examples = sorted((root / "examples").glob("*.yaml"))
for path in examples:
    errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
    for e in errors:
        print(f"FAIL {path.name}: {'/'.join(map(str, e.path))}: {e.message}")
    failures += bool(errors)

bad = {
    "unknown top-level key": "name: x\nnodez: {}\nnodes: {a: {}}\n",
    "bad lab name": "name: X_Y\nnodes: {a: {}}\n",
    "reserved node name": "name: x\nnodes: {host: {}}\n",
    "unknown kind": "name: x\nnodes: {a: {kind: ruter}}\n",
    "mtu out of range": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e], mtu: 20}]\n",
    "one endpoint": "name: x\nnodes: {a: {}}\nlinks: [{endpoints: [a:e]}]\n",
    "bad duration": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e], impair: {delay: 5 ms}}]\n",
    "non-net sysctl": "name: x\nnodes: {a: {sysctls: {kernel.panic: 1}}}\n",
    "test without ping or exec": "name: x\nnodes: {a: {}}\ntests: [{name: t}]\n",
    "an interface name the kernel fills in": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e%d, b:e]}]\n",
    "an interface named all": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:all]}]\n",
    "within on an action": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e]}]\nscenarios: {s: [{down: a:e, within: 1s}]}\n",
    "two actions in a step": "name: x\nnodes: {a: {}}\nscenarios: {s: [{stop: a, start: a}]}\n",
    "a step with no action": "name: x\nnodes: {a: {}}\nscenarios: {s: [{name: n}]}\n",
    "ready without tests": "name: x\nnodes: {a: {}}\nready: {timeout: 1s}\n",
    "a key of the user's without x-": "name: x\nx_frr: 1\nnodes: {a: {}}\n",
    "a stub of two endpoints": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e], stub: true}]\n",
    "a name on a link of two": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, b:e], name: ab}]\n",
    "a LAN named lanN": "name: x\nnodes: {a: {}, b: {}, c: {}}\nlinks: [{endpoints: [a:e, b:e, c:e], name: lan2}]\n",
    "an interface named default": "name: x\nnodes: {a: {}, b: {}}\nlinks: [{endpoints: [a:e, {node: b, iface: default}]}]\n",
}
good = {
    "keys of the user's and merge keys": "name: x\nx-r: &r {kind: router, x-n: 1}\nnodes: {a: {<<: *r}, b: {}}\nlinks: [{endpoints: [a:e, {node: b, iface: e, x-c: 1}], x-id: 1}]\n",
    "a stub with a name": "name: x\nnodes: {a: {}}\nlinks: [{endpoints: [a:e], stub: true, name: s1, addresses: [10.0.0.1/24]}]\n",
    "a named LAN": "name: x\nnodes: {a: {}, b: {}, c: {}}\nlinks: [{endpoints: [a:e, b:e, c:e], name: core}]\n",
}
for what, text in good.items():
    for e in validator.iter_errors(yaml.safe_load(text)):
        print(f"FAIL the schema refuses a file with {what}: {'/'.join(map(str, e.path))}: {e.message}")
        failures += 1

for what, text in bad.items():
    if validator.is_valid(yaml.safe_load(text)):
        print(f"FAIL the schema accepts a file with: {what}")
        failures += 1

print(f"{len(examples) + len(good) + len(bad) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
