# Writes OUT (a .cc defining topo's version and commit) from IN, touching it only when the text
# changes: run at every build (see CMakeLists.txt), so the commit is the one built, and an
# unchanged one recompiles nothing. Outside a git checkout the commit is "".
execute_process(
  COMMAND git -C ${SOURCE_DIR} describe --always --dirty --abbrev=12 --match=NONE
  OUTPUT_VARIABLE TOPO_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
  RESULT_VARIABLE failed)
if(failed)
  set(TOPO_COMMIT "")
endif()
configure_file(${IN} ${OUT} @ONLY)
