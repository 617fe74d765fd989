// NatsServerTest: a GoogleTest fixture with one real nats-server (JetStream
// on, loopback, a free port, its store in a fresh temp dir) shared by the
// tests of a suite, and connections to it. Tests name their streams and
// buckets after themselves so they do not see each other's.
#ifndef RISKD_CONNECTORS_TESTING_NATS_FIXTURE_H_
#define RISKD_CONNECTORS_TESTING_NATS_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "connectors/nats/nats_connection.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/server_process.h"

namespace riskd::connectors::nats::testing {

class NatsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(std::filesystem::exists(riskd::testing::kNatsServerBinary))
        << "install nats-server (scripts/install-deps.sh)";
    dir_ = riskd::testing::FreshTempDir(
        ::testing::UnitTest::GetInstance()->current_test_suite()->name());
    server_ = riskd::testing::NatsCluster::Start(dir_, 1);
    ASSERT_NE(server_, nullptr) << "nats-server did not start";
  }
  static void TearDownTestSuite() {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<NatsConnection> Connect(
      const std::string& name = "test",
      std::chrono::milliseconds timeout = std::chrono::milliseconds(3000),
      std::chrono::milliseconds ping_interval = std::chrono::milliseconds(1000)) {
    NatsOptions o;
    o.servers = server_->urls();
    o.name = name;
    o.timeout = timeout;
    o.ping_interval = ping_interval;
    auto c = NatsConnection::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // Creates stream `stream` (one replica, file storage) capturing
  // `subjects`: a stream shared with others than riskd's.
  static void AddStream(NatsConnection* c, const std::string& stream,
                        const std::vector<std::string>& subjects) {
    std::vector<const char*> names;
    for (const auto& s : subjects) names.push_back(s.c_str());
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream.c_str();
    config.Subjects = names.data();
    config.SubjectsLen = static_cast<int>(names.size());
    config.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    ASSERT_EQ(js_AddStream(&info, c->js(), &config, nullptr, nullptr), NATS_OK);
    jsStreamInfo_Destroy(info);
  }
  // Pulls one message, `seq`, from the durable consumer `durable` of
  // `stream` (filter `subject`) through another pull subscription bound to
  // it, then drops that subscription: a delivery the consumer's reader
  // never gets, as one lost on the way (a fetch that expired in a
  // reconnect); the server counts it delivered.
  static void LoseOneDelivery(NatsConnection* c, const std::string& stream,
                              const std::string& subject, const std::string& durable,
                              std::uint64_t seq) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Consumer = durable.c_str();
    natsSubscription* sub = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    ASSERT_EQ(
        js_PullSubscribe(&sub, c->js(), subject.c_str(), durable.c_str(), nullptr, &so, &code),
        NATS_OK);
    natsMsgList list{};
    const natsStatus s = natsSubscription_Fetch(&list, sub, 1, 5000, &code);
    std::uint64_t got = 0;
    jsMsgMetaData* meta = nullptr;
    if (s == NATS_OK && list.Count == 1 && natsMsg_GetMetaData(&meta, list.Msgs[0]) == NATS_OK) {
      got = meta->Sequence.Stream;
      jsMsgMetaData_Destroy(meta);
    }
    natsMsgList_Destroy(&list);
    natsSubscription_Destroy(sub);
    ASSERT_EQ(got, seq) << natsStatus_GetText(s);
  }
  // The running test's name, usable as a stream or bucket name.
  static std::string TestName() {
    std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return n.substr(0, 60);
  }

  static inline std::filesystem::path dir_;
  static inline std::unique_ptr<riskd::testing::NatsCluster> server_;
};

}  // namespace riskd::connectors::nats::testing

#endif  // RISKD_CONNECTORS_TESTING_NATS_FIXTURE_H_
