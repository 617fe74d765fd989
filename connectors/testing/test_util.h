// Test helpers for the connectors: paths of the real data sets under data/
// (RISKD_DATA_DIR, set by CMake for the connector tests), whole-file reads,
// and edge lookups by node id.
#ifndef RISKD_CONNECTORS_TESTING_TEST_UTIL_H_
#define RISKD_CONNECTORS_TESTING_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/network.h"

namespace riskd::connectors::testing {

// RISKD_DATA_DIR + "/" + relative; empty relative gives the directory.
inline std::string DataPath(const std::string& relative) {
  const char* dir = std::getenv("RISKD_DATA_DIR");
  std::string base = dir ? dir : "data";
  return relative.empty() ? base : base + "/" + relative;
}

// The file's bytes, or "" if it cannot be read.
inline std::string ReadDataFile(const std::string& relative) {
  std::ifstream in(DataPath(relative), std::ios::binary);
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
