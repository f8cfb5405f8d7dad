# `cmake --install build --prefix /usr` (DESTDIR honoured): the layout a Debian package would
# have (docs/operations.md#install-layout).
#   sbin/shelterd                         a daemon the administrator starts (Debian: /usr/sbin)
#   bin/shelterctl, bin/shelter-compile   tools anyone may run
#   lib/systemd/system/shelterd.service   the unit, its ExecStart= pointing at this prefix
#   share/doc/shelter/                    README, docs/ (its links kept), and examples/ (deploy/: the example
#                                         configuration, nftables rule sets, Redis files, the
#                                         TPROXY drop-in, the deployments' files)
# The configuration itself is not installed into /etc: re-running the install would overwrite
# the operator's edits. The operator copies examples/shelter.example.yaml to
# /etc/shelter/shelter.yaml once.
include(GNUInstallDirs)

install(TARGETS shelterd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS shelterctl shelter-compile RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names /usr/sbin/shelterd; the prefix is known only at install time (--prefix).
set(SHELTER_UNIT_SOURCE ${PROJECT_SOURCE_DIR}/deploy/systemd/shelterd.service)
install(CODE "
  set(unit_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(READ \"${SHELTER_UNIT_SOURCE}\" unit)
  string(REPLACE \"/usr/sbin/shelterd\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/shelterd\" unit \"\${unit}\")
  string(REPLACE \"/usr/share/doc/shelter/\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}/\" unit \"\${unit}\")
  file(MAKE_DIRECTORY \"\${unit_dir}\")
  message(STATUS \"Installing: \${unit_dir}/shelterd.service\")
  file(WRITE \"\${unit_dir}/shelterd.service\" \"\${unit}\")
")

install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        PATTERN screenshots EXCLUDE)
install(DIRECTORY deploy/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        PATTERN shelterd.service EXCLUDE)
