// BlockSignals: every signal blocked on this thread while in scope (RAII).
// Threads inherit the mask of the thread that creates them, so creating
// helper threads (engine, feeds, Alertmanager, ZAP, metrics) inside one
// keeps signals for the socket thread alone: only its calls are ever
// interrupted, and it alone acts on them.
//
// Thread-safety: per thread (pthread_sigmask).
#ifndef RISKD_DAEMON_SIGNAL_MASK_H_
#define RISKD_DAEMON_SIGNAL_MASK_H_

#include <pthread.h>

#include <csignal>

namespace riskd::daemon {

class BlockSignals {
 public:
  BlockSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &previous_);
  }
  ~BlockSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace riskd::daemon

#endif  // RISKD_DAEMON_SIGNAL_MASK_H_
