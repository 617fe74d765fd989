// FuzzFiles: how a fuzz target whose parser reads several files (a CSV
// network's nodes and edges, the SupplyGraph and BEA directories) gets them
// from one libFuzzer input, and how the seed tool writes such inputs.
//
// An input is the files' contents in a fixed order, separated by the line
// kFuzzFileSeparator; missing trailing parts are empty files. The target
// writes the parts under a scratch directory of its own (one per process)
// and runs the importer on it, exactly as the daemon reads a network.
//
// Thread-safety: a FuzzScratchDir belongs to one thread.
#ifndef RISKD_TESTS_FUZZ_FUZZ_FILES_H_
#define RISKD_TESTS_FUZZ_FUZZ_FILES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace riskd::fuzz {

inline constexpr std::string_view kFuzzFileSeparator = "\n--riskd-fuzz-file--\n";

// Splits `input` into exactly `count` parts (the last ones empty when the
// input has fewer separators; the last part keeps any further separators).
std::vector<std::string_view> SplitFiles(std::string_view input, std::size_t count);
// The inverse, for seeds.
std::string JoinFiles(const std::vector<std::string>& parts);

// A fresh directory under $TMPDIR (or /tmp), removed with the object.
class FuzzScratchDir {
 public:
  FuzzScratchDir();
  ~FuzzScratchDir();
  FuzzScratchDir(const FuzzScratchDir&) = delete;
  FuzzScratchDir& operator=(const FuzzScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to path()/relative (directories created); aborts on an
  // I/O error, which is the harness's fault, not the parser's.
  void Write(const std::string& relative, std::string_view content) const;

 private:
  std::string path_;
};

}  // namespace riskd::fuzz

#endif  // RISKD_TESTS_FUZZ_FUZZ_FILES_H_
