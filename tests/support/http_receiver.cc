#include "tests/support/http_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace riskd::testing {

HttpReceiver::HttpReceiver() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) return;
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

HttpReceiver::~HttpReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::vector<HttpReceiver::Request> HttpReceiver::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void HttpReceiver::Run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int connection = ::accept(listen_fd_, nullptr, nullptr);
    if (connection < 0) continue;
    Serve(connection);
    ::close(connection);
  }
}

void HttpReceiver::Serve(int connection) {
  std::string data;
  char buf[8192];
  std::size_t header_end = std::string::npos;
  std::size_t length = 0;
  // Read the headers, then Content-Length bytes of body (5 s at most).
  for (int waited = 0; waited < 50;) {
    pollfd p{connection, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      ++waited;
      continue;
    }
    const ssize_t n = ::recv(connection, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string headers = data.substr(0, header_end);
      for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const auto at = headers.find("content-length:");
      if (at != std::string::npos) length = std::strtoul(headers.c_str() + at + 15, nullptr, 10);
    }
    if (data.size() >= header_end + 4 + length) break;
  }
  if (header_end == std::string::npos) return;
  Request r;
  const auto space = data.find(' ');
  const auto space2 = data.find(' ', space + 1);
  r.method = data.substr(0, space);
  r.path = data.substr(space + 1, space2 - space - 1);
  r.body = data.substr(header_end + 4, length);
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(std::move(r));
}

}  // namespace riskd::testing
