# bash completion for topo: verbs, options, lab names (running labs), node and scenario names.
# Installed by `make install` into share/bash-completion/completions/topo.

_topo_labs() {
  local d
  for d in /run/topo/*/; do
    [ -d "$d" ] && basename "$d"
  done
}

# Nodes of a running lab, from its journal (readable by root, as topo itself needs root).
_topo_nodes() {
  local journal="/run/topo/$1/state/journal"
  [ -r "$journal" ] || return
  sed -n 's/.*"node":"\([^"]*\)".*"t":"netns".*/\1/p' "$journal" | grep -v '^_'
}

# Scenarios of a running lab, from the copy of its file `up` keeps: the keys under `scenarios:`.
_topo_scenarios() {
  local file="/run/topo/$1/state/topology.yaml"
  [ -r "$file" ] || return
  awk '/^scenarios:/ {in_s = 1; next} in_s && /^[^ #]/ {in_s = 0}
       in_s && /^  [A-Za-z0-9_.-]+:/ {sub(/^  /, ""); sub(/:.*/, ""); print}' "$file"
}

_topo() {
  local cur prev verb i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  local verbs="up plan down validate exec status ping test graph impair link node run capture k8s"
  verb=""
  local args=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) case ${COMP_WORDS[i-1]} in --junit|--repeat|-w|--write|-f|--filter|-c|--count|--duration|--snaplen|--family|--nodes|--only|--name|--host|--image|--namespace) continue ;; esac ;;&  # option values, not LAB
      *) if [ -z "$verb" ]; then verb=${COMP_WORDS[i]}; else args+=("${COMP_WORDS[i]}"); fi ;;
    esac
  done
  if [ -z "$verb" ]; then
    COMPREPLY=($(compgen -W "$verbs -v --verbose -q --quiet -h --help" -- "$cur"))
    return
  fi
  case $verb in
    up)
      if [ "$prev" = --name ] || [ "$prev" = --host ]; then
        :  # a lab's name, a host of the file's: any name
      elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--dry-run --keep-on-failure --wait --name --host --all-hosts --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
      fi ;;
    plan)
      if [ "$prev" = --name ] || [ "$prev" = --host ]; then
        :
      elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--json --name --host --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
      fi ;;
    k8s)
      case $prev in
        --image|--namespace) ;;  # an image, a Kubernetes namespace: any text
        *) if [[ $cur == -* ]]; then
             COMPREPLY=($(compgen -W "--image --namespace --help" -- "$cur"))
           else
             COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
           fi ;;
      esac ;;
    validate)
      if [ "$prev" = --name ]; then
        :
      elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--name --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
      fi ;;
    graph)
      case $prev in
        --format) COMPREPLY=($(compgen -W "dot mermaid svg" -- "$cur")) ;;
        -o|--output) COMPREPLY=($(compgen -f -- "$cur")) ;;
        *) if [[ $cur == -* ]]; then
             COMPREPLY=($(compgen -W "--format -o --output --help" -- "$cur"))
           else
             COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
           fi ;;
      esac ;;
    down|status|ping|test)
      if [ "$verb" = test ] && [ "$prev" = --junit ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
      elif [ "$verb" = ping ] && [ "$prev" = --family ]; then
        COMPREPLY=($(compgen -W "4 6" -- "$cur"))
      elif [ "$verb" = ping ] && [ "$prev" = --nodes ]; then
        [ ${#args[@]} -gt 0 ] && COMPREPLY=($(compgen -W "$(_topo_nodes "${args[0]}")" -- "$cur"))
      elif [ "$verb" = test ] && { [ "$prev" = --only ] || [ "$prev" = --name ]; }; then
        :  # a test's name: any text
      elif [[ $cur == -* ]]; then
        local options="--json --help"
        [ "$verb" = down ] && options="--force --all-hosts --help"
        [ "$verb" = ping ] && options="--json --family --nodes --help"
        [ "$verb" = test ] && options="--json --only --junit --name --help"
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
      elif [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
      fi ;;
    impair|link)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--delay --jitter --loss --duplicate --corrupt --reorder --rate --clear --help" -- "$cur"))
      elif [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
      elif [ ${#args[@]} -eq 2 ] && [ "$verb" = link ]; then
        COMPREPLY=($(compgen -W "up down" -- "$cur"))
      fi ;;
    node)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help" -- "$cur"))
      elif [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
      elif [ ${#args[@]} -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_topo_nodes "${args[0]}")" -- "$cur"))
      elif [ ${#args[@]} -eq 2 ]; then
        COMPREPLY=($(compgen -W "stop start restart pause resume" -- "$cur"))
      fi ;;
    run)
      if [ "$prev" = --junit ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
      elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--repeat --keep --json --junit --help" -- "$cur"))
      elif [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
      elif [ ${#args[@]} -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_topo_scenarios "${args[0]}")" -- "$cur"))
      fi ;;
    capture)
      case $prev in
        -w|--write) COMPREPLY=($(compgen -f -- "$cur")) ;;
        -f|--filter|-c|--count|--duration|--snaplen) ;;
        *) if [[ $cur == -* ]]; then
             COMPREPLY=($(compgen -W "-w --write --force -f --filter -c --count --duration --snaplen --help" -- "$cur"))
           elif [ ${#args[@]} -eq 0 ]; then
             COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
           else
             COMPREPLY=($(compgen -W "$(_topo_nodes "${args[0]}")" -- "$cur"))
           fi ;;
      esac ;;
    exec)
      if [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_topo_labs)" -- "$cur"))
      elif [ ${#args[@]} -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_topo_nodes "${args[0]}")" -- "$cur"))
      else
        COMPREPLY=($(compgen -c -- "$cur"))
      fi ;;
  esac
}
shopt -s extglob
complete -o filenames -F _topo topo
