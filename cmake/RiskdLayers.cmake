# Layers the build enforces: base <- engine <- connectors <- daemon (and the
# tools on top). Every include is spelled from the repository root
# ("engine/network.h"), but no library exports the repository root: each
# exports a directory of the build tree, layers/<layer>, that holds only a
# link named <layer> to the source directory <layer>/. A library therefore
# sees its own layer and the layers it links, nothing above: an engine file
# that includes "daemon/settings.h" or "connectors/csv/csv_reader.h" does not
# compile ("No such file or directory"). tests/layers checks this.

# riskd_layer_include_root(target layer [PUBLIC|PRIVATE|INTERFACE]): adds
# layers/<layer> to the target's include directories (PUBLIC by default).
function(riskd_layer_include_root target layer)
  set(scope PUBLIC)
  if(ARGC GREATER 2)
    set(scope ${ARGV2})
  endif()
  set(root ${PROJECT_BINARY_DIR}/layers/${layer})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${layer} ${root}/${layer} SYMBOLIC)
  target_include_directories(${target} ${scope} ${root})
endfunction()
