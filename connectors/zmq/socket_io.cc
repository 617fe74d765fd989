#include "connectors/zmq/socket_io.h"

#include <cerrno>

namespace riskd::connectors {
namespace {

// Runs `op` until it is not interrupted by a signal.
template <typename Op>
auto RetryOnEintr(Op op, std::uint64_t* interrupted) {
  while (true) {
    try {
      return op();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
      if (interrupted) ++*interrupted;
    }
  }
}

}  // namespace

bool SendFrames(zmq::socket_t& socket, std::span<zmq::message_t> frames, zmq::send_flags flags,
                std::uint64_t* interrupted) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const bool last = i + 1 == frames.size();
    // Only the first frame may be refused: once it is queued, the rest of
    // the message always is (and must be, or the message would be cut).
    const zmq::send_flags f = (i == 0 ? flags : flags & ~zmq::send_flags::dontwait) |
                              (last ? zmq::send_flags::none : zmq::send_flags::sndmore);
    const auto sent = RetryOnEintr([&] { return socket.send(frames[i], f); }, interrupted);
    if (!sent) return false;  // EAGAIN with dontwait, on the first frame
  }
  return true;
}

bool RecvFrames(zmq::socket_t& socket, std::vector<zmq::message_t>* frames, zmq::recv_flags flags,
                std::uint64_t* interrupted) {
  frames->clear();
  while (true) {
    zmq::message_t frame;
    // The rest of a message is already there once its first frame is.
    const zmq::recv_flags f = frames->empty() ? flags : zmq::recv_flags::none;
    const auto got = RetryOnEintr([&] { return socket.recv(frame, f); }, interrupted);
    if (!got) return false;  // EAGAIN with dontwait, before the first frame
    const bool more = frame.more();
    frames->push_back(std::move(frame));
    if (!more) return true;
  }
}

}  // namespace riskd::connectors
