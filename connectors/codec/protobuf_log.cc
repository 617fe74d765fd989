#include "connectors/codec/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

namespace riskd::connectors {
namespace {

thread_local std::string last_message;

void Capture(google::protobuf::LogLevel level, const char*, int, const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) return;  // protobuf aborts after FATAL anyway
  last_message = message;
}

}  // namespace

void CaptureProtobufLogs() { google::protobuf::SetLogHandler(&Capture); }

std::string TakeProtobufLogMessage() {
  std::string out;
  out.swap(last_message);
  return out;
}

}  // namespace riskd::connectors
