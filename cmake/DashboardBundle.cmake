# riskd_dashboard_assets(<out-var>): sets <out-var> to a generated C++ source
# embedding the web dashboard (dashboard/) in the binary.
#
# With RISKD_BUILD_DASHBOARD (default ON) the build runs dashboard/build.sh:
# `npm ci` from the committed package-lock.json (only when the lock changed
# since the last install; node_modules/ stays in dashboard/, untracked) and
# `vite build` into <build>/dashboard/dist, then cmake/EmbedAssets.cmake
# pulls every file of the bundle into the source with .incbin. Node.js and
# npm come from scripts/install-deps.sh. With it OFF the daemon serves no
# page (the API still works).
function(riskd_dashboard_assets out_var)
  set(generated ${CMAKE_CURRENT_BINARY_DIR}/dashboard_assets.cc)
  set(embed ${PROJECT_SOURCE_DIR}/cmake/EmbedAssets.cmake)
  if(NOT RISKD_BUILD_DASHBOARD)
    add_custom_command(OUTPUT ${generated}
      COMMAND ${CMAKE_COMMAND} -DOUT=${generated} -P ${embed}
      DEPENDS ${embed}
      COMMENT "Embedding no dashboard bundle (RISKD_BUILD_DASHBOARD=OFF)")
  else()
    find_program(RISKD_NODE node)
    find_program(RISKD_NPM npm)
    if(NOT RISKD_NODE OR NOT RISKD_NPM)
      message(FATAL_ERROR "The dashboard bundle needs node and npm (scripts/install-deps.sh "
                          "installs them); or configure with -DRISKD_BUILD_DASHBOARD=OFF.")
    endif()
    set(src ${PROJECT_SOURCE_DIR}/dashboard)
    set(dist ${CMAKE_BINARY_DIR}/dashboard/dist)
    set(stamp ${CMAKE_BINARY_DIR}/dashboard/dist.stamp)
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${src}/src/*)
    add_custom_command(OUTPUT ${stamp}
      COMMAND ${src}/build.sh ${dist}
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      DEPENDS ${sources} ${src}/index.html ${src}/package.json ${src}/package-lock.json
              ${src}/vite.config.js ${src}/build.sh
      COMMENT "Building the dashboard bundle (npm ci, vite build)"
      USES_TERMINAL)
    add_custom_command(OUTPUT ${generated}
      COMMAND ${CMAKE_COMMAND} -DDIST=${dist} -DOUT=${generated} -P ${embed}
      DEPENDS ${stamp} ${embed}
      COMMENT "Embedding the dashboard bundle")
  endif()
  set(${out_var} ${generated} PARENT_SCOPE)
endfunction()
