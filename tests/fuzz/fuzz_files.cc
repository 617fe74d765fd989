#include "tests/fuzz/fuzz_files.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace riskd::fuzz {

std::vector<std::string_view> SplitFiles(std::string_view input, std::size_t count) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    const auto at = input.find(kFuzzFileSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + kFuzzFileSeparator.size());
  }
  parts.push_back(input);
  parts.resize(count);
  return parts;
}

std::string JoinFiles(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += kFuzzFileSeparator;
    out += parts[i];
  }
  return out;
}

FuzzScratchDir::FuzzScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/riskd-fuzz-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = pattern;
}

FuzzScratchDir::~FuzzScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void FuzzScratchDir::Write(const std::string& relative, std::string_view content) const {
  const std::filesystem::path file = std::filesystem::path(path_) / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", file.c_str());
    std::abort();
  }
}

}  // namespace riskd::fuzz
