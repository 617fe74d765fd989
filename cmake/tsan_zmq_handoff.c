/* ThreadSanitizer builds only (RISKD_SANITIZE_THREAD): tells TSan that a
 * ZeroMQ message hands its contents from the sending thread to the
 * receiving one. Debian's libzmq is not built with TSan, so the lock-free
 * pipes between sockets are invisible to it, and every message passed over
 * inproc:// between riskd's threads (ingest -> engine, engine -> replies,
 * publisher -> alert forwarder) would be reported as a race on its buffer.
 * The linker redirects riskd's calls (-Wl,--wrap=zmq_...): a send releases
 * and a successful receive acquires one process-wide sync object, which
 * orders every send before every later receive (what message passing
 * guarantees, a little more: races between threads that also exchange
 * unrelated messages can be hidden). Races in riskd's own shared state
 * stay visible. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <zmq.h>

void __tsan_acquire(void* addr);
void __tsan_release(void* addr);

static char handoff;

int __real_zmq_msg_send(zmq_msg_t* msg, void* s, int flags);
int __real_zmq_msg_recv(zmq_msg_t* msg, void* s, int flags);
int __real_zmq_sendmsg(void* s, zmq_msg_t* msg, int flags);
int __real_zmq_recvmsg(void* s, zmq_msg_t* msg, int flags);
int __real_zmq_send(void* s, const void* buf, size_t len, int flags);
int __real_zmq_recv(void* s, void* buf, size_t len, int flags);

int __wrap_zmq_msg_send(zmq_msg_t* msg, void* s, int flags) {
  __tsan_release(&handoff);
  return __real_zmq_msg_send(msg, s, flags);
}
int __wrap_zmq_sendmsg(void* s, zmq_msg_t* msg, int flags) {
  __tsan_release(&handoff);
  return __real_zmq_sendmsg(s, msg, flags);
}
/* zmq_send copies the buffer inside libzmq, after a release here would
 * have been made: TSan would see that copy (the malloc and memcpy of the
 * message) unordered with the receiver's reads. So the copy is made here,
 * before the release, and sent as a message. */
int __wrap_zmq_send(void* s, const void* buf, size_t len, int flags) {
  zmq_msg_t msg;
  if (zmq_msg_init_size(&msg, len) != 0) return -1;
  if (len > 0) memcpy(zmq_msg_data(&msg), buf, len);
  __tsan_release(&handoff);
  const int n = __real_zmq_msg_send(&msg, s, flags);
  if (n < 0) {
    const int error = errno;
    zmq_msg_close(&msg);
    errno = error;
  }
  return n;
}
int __wrap_zmq_msg_recv(zmq_msg_t* msg, void* s, int flags) {
  const int n = __real_zmq_msg_recv(msg, s, flags);
  if (n >= 0) __tsan_acquire(&handoff);
  return n;
}
int __wrap_zmq_recvmsg(void* s, zmq_msg_t* msg, int flags) {
  const int n = __real_zmq_recvmsg(s, msg, flags);
  if (n >= 0) __tsan_acquire(&handoff);
  return n;
}
int __wrap_zmq_recv(void* s, void* buf, size_t len, int flags) {
  const int n = __real_zmq_recv(s, buf, len, flags);
  if (n >= 0) __tsan_acquire(&handoff);
  return n;
}
