#!/usr/bin/python3
"""The man pages must not drift from topo: topo(1) names every verb and every option the
command line has (as `topo-core VERB --help` lists them), topo.yaml(5) every key of the
file's JSON Schema. Both pages are made from docs/topology.md, so this checks the docs too.

usage: man_check.py TOPO_CORE MAN_DIR SCHEMA
"""
import gzip
import json
import re
import subprocess
import sys


def page_text(path):
    roff = gzip.open(path, "rt", encoding="utf-8").read()
    text = re.sub(r"\\f(\[[A-Z]*\]|[A-Z])", "", roff)  # font changes
    return text.replace("\\-", "-").replace("\\[at]", "@")


def cli(topo_core):
    """Each verb and the long options of topo and of each verb."""
    def help_of(*args):
        return subprocess.run([topo_core, *args, "--help"], capture_output=True, text=True,
                              check=True).stdout
    top = help_of()
    verbs = re.findall(r"^  ([a-z]+) {2,}", top.split("Subcommands:")[1], re.M)
    options = {None: set(re.findall(r"--[a-z][a-z-]*", top)) - {"--help"}}
    for verb in verbs:
        options[verb] = set(re.findall(r"--[a-z][a-z-]*", help_of(verb))) - {"--help"}
    return verbs, options


def schema_keys(node, keys):
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            keys.add(key)
        for value in node.values():
            schema_keys(value, keys)
    elif isinstance(node, list):
        for value in node:
            schema_keys(value, keys)
    return keys


def main():
    topo_core, man_dir, schema = sys.argv[1:4]
    missing = []
    topo1 = page_text(f"{man_dir}/topo.1.gz")
    verbs, options = cli(topo_core)
    if len(verbs) < 10:
        missing.append(f"topo --help lists only {len(verbs)} verbs: {verbs}")
    for verb in verbs:
        if f"topo {verb}" not in topo1:
            missing.append(f"topo(1): the verb `topo {verb}`")
        for option in sorted(options[verb]):
            if option not in topo1:
                missing.append(f"topo(1): `topo {verb}`'s option {option}")
    for option in sorted(options[None]):
        if option not in topo1 and option.replace("--", "-")[:2] not in topo1:
            missing.append(f"topo(1): the global option {option}")
    topo5 = page_text(f"{man_dir}/topo.yaml.5.gz")
    for key in sorted(schema_keys(json.load(open(schema)), set())):
        if not re.search(rf"\b{re.escape(key)}\b", topo5):
            missing.append(f"topo.yaml(5): the key `{key}`")
    for m in missing:
        print(f"man pages: missing {m}", file=sys.stderr)
    if missing:
        print("man pages are made from docs/topology.md: document it there", file=sys.stderr)
        return 1
    print(f"man pages: {len(verbs)} verbs, {sum(map(len, options.values()))} options and the "
          f"schema's keys are all documented")
    return 0


sys.exit(main())
