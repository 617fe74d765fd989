// A deliberate data race, built only under ThreadSanitizer
// (RISKD_SANITIZE_THREAD): the ctest `tsan.race_canary` passes only if TSan,
// run with the options scripts/test.sh gives every test, reports it. It keeps
// those options honest: the suppressions file and
// ignore_noninstrumented_modules (which silence races inside Debian's
// uninstrumented libraries) must never silence a race in riskd's own code.
#include <cstdio>
#include <string>
#include <thread>

namespace {

// Not atomic, not locked: both threads write it.
struct Shared {
  long counter = 0;
  std::string last_writer;
};

void Bump(Shared& shared, const char* who) {
  for (int i = 0; i < 100000; ++i) {
    ++shared.counter;
    if (i % 1000 == 0) shared.last_writer.assign(who);
  }
}

}  // namespace

int main() {
  Shared shared;
  std::thread other([&shared] { Bump(shared, "other"); });
  Bump(shared, "main");
  other.join();
  std::printf("counter %ld, last writer %s\n", shared.counter, shared.last_writer.c_str());
  return 0;
}
