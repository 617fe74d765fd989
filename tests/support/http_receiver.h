// HttpReceiver: a small HTTP server for tests, standing in for a webhook
// receiver (a workflow engine Alertmanager notifies). It listens on
// 127.0.0.1 on a port the kernel picks, answers every request 200 with an
// empty body, and keeps each request's path and body. One connection at a
// time, one request per connection (Alertmanager's webhook client opens a
// new one or closes as told).
//
// Thread-safe: the server runs on its own thread; Requests() copies under a
// lock.
#ifndef RISKD_TESTS_SUPPORT_HTTP_RECEIVER_H_
#define RISKD_TESTS_SUPPORT_HTTP_RECEIVER_H_

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace riskd::testing {

class HttpReceiver {
 public:
  struct Request {
    std::string method;
    std::string path;
    std::string body;
  };

  HttpReceiver();
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // 0 if the socket could not be set up.
  int port() const { return port_; }
  std::vector<Request> Requests() const;

 private:
  void Run();
  void Serve(int connection);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread thread_;
};

}  // namespace riskd::testing

#endif  // RISKD_TESTS_SUPPORT_HTTP_RECEIVER_H_
