// Compiled (syntax only) by the layers.* tests (tests/layers/CMakeLists.txt)
// with one library's include directories and RISKD_PROBE_HEADER naming a
// header of some layer: it compiles only if that library may include it.
#include RISKD_PROBE_HEADER
