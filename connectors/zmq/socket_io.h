// Multipart send and receive on ZeroMQ sockets that survive signals.
//
// A signal delivered to the calling thread interrupts a libzmq call with
// EINTR (blocking calls while they wait, and even non-blocking ones while
// they process commands), and cppzmq turns that into a zmq::error_t. A caller
// that treats the exception as "nothing happened" silently loses the message
// it was sending or receiving: the daemon once dropped a batch the journal
// had already committed (no acks, events missing from the engine) when a
// SIGHUP arrived while the engine's queue was full. These helpers retry the
// interrupted frame, so a message is sent or received whole or, with
// dontwait, not at all. libzmq leaves a message untouched when a send fails,
// and later frames of a multipart message are never refused for a full
// queue (the high-water mark counts whole messages), so retrying frame by
// frame never duplicates or splits a message.
//
// Thread-safety: as the socket's (one thread at a time per socket).
#ifndef RISKD_CONNECTORS_ZMQ_SOCKET_IO_H_
#define RISKD_CONNECTORS_ZMQ_SOCKET_IO_H_

#include <cstdint>
#include <span>
#include <vector>
#include <zmq.hpp>

namespace riskd::connectors {

// Sends `frames` as one message (moving them out). With
// zmq::send_flags::dontwait, returns false when the socket cannot take the
// message now (nothing was sent); otherwise blocks until it can and returns
// true. Each retry after EINTR increments *interrupted when given. Throws
// zmq::error_t on any other error (e.g. the context was terminated).
// REQUIRES: !frames.empty().
bool SendFrames(zmq::socket_t& socket, std::span<zmq::message_t> frames,
                zmq::send_flags flags = zmq::send_flags::none,
                std::uint64_t* interrupted = nullptr);

// Receives one whole message into *frames (cleared first). With
// zmq::recv_flags::dontwait, returns false when none is waiting.
bool RecvFrames(zmq::socket_t& socket, std::vector<zmq::message_t>* frames,
                zmq::recv_flags flags = zmq::recv_flags::none,
                std::uint64_t* interrupted = nullptr);

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_ZMQ_SOCKET_IO_H_
