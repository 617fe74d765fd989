// Protobuf's own log output, tamed. libprotobuf writes an ERROR line to
// stderr for some malformed input (e.g. invalid UTF-8 in a string field);
// left alone, a hostile producer could flood the daemon's log. After
// CaptureProtobufLogs() those messages go nowhere by default, and the last
// one on the current thread can be taken to explain a rejection.
#ifndef RISKD_CONNECTORS_CODEC_PROTOBUF_LOG_H_
#define RISKD_CONNECTORS_CODEC_PROTOBUF_LOG_H_

#include <string>

namespace riskd::connectors {

// Installs the capturing handler (process-wide; idempotent).
void CaptureProtobufLogs();
// The last message libprotobuf logged on this thread since the previous
// call, or "" (then clears it).
std::string TakeProtobufLogMessage();

}  // namespace riskd::connectors

#endif  // RISKD_CONNECTORS_CODEC_PROTOBUF_LOG_H_
