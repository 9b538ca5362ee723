#!/bin/sh
# man.sh SRC OUTDIR VERSION - the man pages, made from docs/topology.md (their one source) by
# pandoc: topo(1) from its sections on the command line ("Changing a running lab", "Commands",
# "Python and pytest"), topo.yaml(5) from the rest (the file). Written gzipped (gzip -n: the same bytes every build).
set -eu
src=$1 out=$2 version=$3
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The document's own title (its first line) is replaced by each page's NAME; its ## sections
# become the pages' sections.
awk -v cmd="$tmp/cmd.md" -v file="$tmp/file.md" '
  NR == 1 { next }
  /^## / { to = ($0 == "## Commands" || $0 == "## Changing a running lab" ||
                $0 == "## Python and pytest") ? cmd : file }
  { print > (to ? to : file) }' "$src"
page() {  # page NAME SECTION SUMMARY SYNOPSIS BODY
  {
    printf '## NAME\n\n%s - %s\n\n## SYNOPSIS\n\n%s\n\n' "$1" "$3" "$4"
    cat "$5"
    printf '\n## SEE ALSO\n\n'
    if [ "$2" = 1 ]; then printf '**topo.yaml**(5), **ip-netns**(8)\n'; else printf '**topo**(1)\n'; fi
  } | pandoc --from markdown-smart --to man --standalone --shift-heading-level-by=-1 \
      --metadata title="$(echo "$1" | tr a-z A-Z)" --metadata section="$2" \
      --metadata header="topo manual" --metadata footer="topo $version" \
      --metadata date="" | gzip -9n > "$out/$1.$2.gz"
}
page topo 1 "declarative network-namespace labs, built in-process through netlink" \
  '**topo** [**-v**|**-q**] *VERB* [*OPTIONS*] [*ARGS*]' "$tmp/cmd.md"
page topo.yaml 5 "the topology file of topo: nodes, links, addresses, routes, daemons, tests" \
  '*lab*.yaml, read by **topo up**, **topo plan**, **topo validate** and **topo graph**' \
  "$tmp/file.md"
