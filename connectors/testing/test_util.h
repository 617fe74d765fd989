// Test helpers for the connectors: paths of the real data sets under data/
// (RISKD_DATA_DIR, set by CTest for the connector tests), whole-file reads,
// and edge lookups by node id.
#ifndef RISKD_CONNECTORS_TESTING_TEST_UTIL_H_
#define RISKD_CONNECTORS_TESTING_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/network.h"

namespace riskd::connectors::testing {

// The data directory: $RISKD_DATA_DIR (ctest sets it), else the source
// tree's data/ compiled in (riskd_engine_testing defines RISKD_DATA_DIR), so
// the test binary also runs by hand from any directory.
inline std::string DataDir() {
  if (const char* dir = std::getenv("RISKD_DATA_DIR"); dir && *dir) return dir;
#ifdef RISKD_DATA_DIR
  return RISKD_DATA_DIR;
#else
  return "data";
#endif
}

// DataDir() + "/" + relative; empty relative gives the directory.
inline std::string DataPath(const std::string& relative) {
  const std::string base = DataDir();
  return relative.empty() ? base : base + "/" + relative;
}

// The file's bytes, or "" if it cannot be read: then the test fails saying
// which file and where it was looked for (not later, on an empty parse).
inline std::string ReadDataFile(const std::string& relative) {
  std::ifstream in(DataPath(relative), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read test data " << DataPath(relative)
                  << " (data directory: $RISKD_DATA_DIR, else the source tree's data/)";
    return "";
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Weight of the material edge from -> to, or -1 if either node or the edge
// is missing.
inline double MaterialWeight(const engine::Network& net, const std::string& from,
                             const std::string& to) {
  auto f = net.Find(from), t = net.Find(to);
  if (!f || !t) return -1;
  return net.FindEdge(*f, *t, engine::Layer::kMaterial).value_or(-1);
}

}  // namespace riskd::connectors::testing

#endif  // RISKD_CONNECTORS_TESTING_TEST_UTIL_H_
