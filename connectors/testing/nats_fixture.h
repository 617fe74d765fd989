// NatsServerTest: a GoogleTest fixture with one real nats-server (JetStream
// on, loopback, a free port, its store in a fresh temp dir) shared by the
// tests of a suite, and connections to it. Tests name their streams and
// buckets after themselves so they do not see each other's.
#ifndef RISKD_CONNECTORS_TESTING_NATS_FIXTURE_H_
#define RISKD_CONNECTORS_TESTING_NATS_FIXTURE_H_

#include <gtest/gtest.h>

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
