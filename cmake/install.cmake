# cmake --install: headers, the library and a package config for find_package(alchemy).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS alchemy EXPORT alchemyTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(ALCHEMY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/alchemy)
install(EXPORT alchemyTargets NAMESPACE alchemy:: DESTINATION ${ALCHEMY_CMAKE_DIR})
configure_package_config_file(cmake/alchemyConfig.cmake.in
    ${PROJECT_BINARY_DIR}/alchemyConfig.cmake INSTALL_DESTINATION ${ALCHEMY_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/alchemyConfigVersion.cmake
    COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/alchemyConfig.cmake
              ${PROJECT_BINARY_DIR}/alchemyConfigVersion.cmake
        DESTINATION ${ALCHEMY_CMAKE_DIR})
