# The Python package python/topo (with its pytest plugin), installed as Debian installs Python
# modules, with a dist-info beside it so that importlib.metadata, and so pytest, find the
# plugin's `pytest11` entry point:
#   prefix /usr (the Debian package): lib/python3/dist-packages, read by every Python 3 Debian has;
#   any other prefix (make install: /usr/local): lib/python3.X/dist-packages, X the minor version
#   of this machine's python3 (Debian's python3.11 reads /usr/local/lib/python3.11/dist-packages;
#   under another prefix, set PYTHONPATH to it). TOPO_PYTHON_DIR, relative to the prefix, says
#   otherwise. The prefix is the one given at install time (`cmake --install --prefix`).

# Debian's interpreter, whose sys.path the modules must be on (a pyenv's python3 may come
# first on PATH).
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  set(TOPO_PYTHON_VERSION ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR})
else()
  set(TOPO_PYTHON_VERSION 3.11)  # Debian 12's
  message(STATUS "no python3: the Python package goes to lib/python3.11/dist-packages "
                 "under a prefix other than /usr")
endif()
set(TOPO_PYTHON_DIR "" CACHE STRING
    "Where the Python package goes, under the install prefix (empty: as Debian installs modules)")

set(TOPO_DIST_INFO ${CMAKE_CURRENT_BINARY_DIR}/python/topo-${PROJECT_VERSION}.dist-info)
file(WRITE ${TOPO_DIST_INFO}/METADATA
"Metadata-Version: 2.1
Name: topo
Version: ${PROJECT_VERSION}
Summary: Network-namespace labs for protocol tests, driven through the topo command; a pytest plugin
Requires-Python: >=3.11
")
file(WRITE ${TOPO_DIST_INFO}/entry_points.txt "[pytest11]\ntopo = topo.pytest_plugin\n")
file(WRITE ${TOPO_DIST_INFO}/top_level.txt "topo\n")

install(CODE "
  if(NOT \"${TOPO_PYTHON_DIR}\" STREQUAL \"\")
    set(topo_python_dir \"${TOPO_PYTHON_DIR}\")
  elseif(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(topo_python_dir lib/python3/dist-packages)
  else()
    set(topo_python_dir lib/python${TOPO_PYTHON_VERSION}/dist-packages)
  endif()
  file(INSTALL \"${CMAKE_CURRENT_SOURCE_DIR}/python/topo\" \"${TOPO_DIST_INFO}\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${topo_python_dir}\"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       PATTERN __pycache__ EXCLUDE)
")
