# What `make install` places, and the same files as a Debian package (`make deb`, CPack).
include(GNUInstallDirs)

# Man pages, from docs/topology.md by pandoc (scripts/man.sh).
option(TOPO_MAN "Build the man pages (needs pandoc)" ON)
if(TOPO_MAN)
  find_program(PANDOC pandoc)
  if(NOT PANDOC)
    message(FATAL_ERROR "the man pages need pandoc: apt-get install pandoc, or -DTOPO_MAN=OFF")
  endif()
  set(TOPO_MAN_DIR ${CMAKE_CURRENT_BINARY_DIR}/man)
  add_custom_command(
    OUTPUT ${TOPO_MAN_DIR}/topo.1.gz ${TOPO_MAN_DIR}/topo.yaml.5.gz
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/scripts/man.sh
      ${CMAKE_CURRENT_SOURCE_DIR}/docs/topology.md ${TOPO_MAN_DIR} ${PROJECT_VERSION}
    DEPENDS docs/topology.md scripts/man.sh
    COMMENT "man pages from docs/topology.md")
  add_custom_target(topo_man ALL DEPENDS ${TOPO_MAN_DIR}/topo.1.gz ${TOPO_MAN_DIR}/topo.yaml.5.gz)
  install(FILES ${TOPO_MAN_DIR}/topo.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  install(FILES ${TOPO_MAN_DIR}/topo.yaml.5.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endif()

install(TARGETS topo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS topo-core RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/topo)
install(FILES README.md docs/topology.md docs/triangle.svg DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES schema/topo.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/topo)
install(FILES completion/topo.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME topo)
include(${CMAKE_CURRENT_LIST_DIR}/python.cmake)

# The Debian package. Its copyright and changelog files are Debian's policy (lintian checks
# them); Depends is what dpkg-shlibdeps finds the binaries linked against, and iproute2 (the
# labs are used through `ip`, and `topo exec` is its `ip netns exec`).
set(TOPO_DEB_DOC ${CMAKE_CURRENT_BINARY_DIR}/deb-doc)
string(TIMESTAMP TOPO_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(packaging/changelog.Debian.in ${TOPO_DEB_DOC}/changelog.Debian @ONLY)
add_custom_command(
  OUTPUT ${TOPO_DEB_DOC}/changelog.Debian.gz
  COMMAND gzip -9nf ${TOPO_DEB_DOC}/changelog.Debian -c > ${TOPO_DEB_DOC}/changelog.Debian.gz
  DEPENDS ${TOPO_DEB_DOC}/changelog.Debian)
add_custom_target(topo_deb_doc ALL DEPENDS ${TOPO_DEB_DOC}/changelog.Debian.gz)
install(FILES packaging/copyright ${TOPO_DEB_DOC}/changelog.Debian.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME topo)
set(CPACK_PACKAGE_VENDOR "the topo authors")
set(CPACK_PACKAGE_CONTACT "topo maintainers <topo@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "declarative network-namespace labs, built in-process through netlink")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "topo turns a YAML file of nodes and links into named network namespaces
(as `ip netns add` makes them), wired with veth pairs, bridges, addresses,
routes, sysctls and impairments through netlink. It runs commands and
daemons per node, checks reachability, changes a running lab to match its
file, and removes exactly what it made: for protocol testing, CI and
reproducible labs, without containers.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2")
# The Python package is an addition to the command, which needs no Python: python3 is
# recommended (apt installs it unless told not to), not required, so that an image installed
# without recommends gets no interpreter for a C++ tool. postinst and prerm make and remove the
# modules' bytecode, as dh_python3's do.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-pytest")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_SOURCE_DIR}/packaging/postinst;${CMAKE_CURRENT_SOURCE_DIR}/packaging/prerm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
include(CPack)
