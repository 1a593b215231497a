// The base endpoint and the listener: GET /v2/ (spec end-1) and how a plain-HTTP port
// treats a client that opens with TLS.
#include <gtest/gtest.h>

#include "registry_fixture.h"

namespace berth::integration {
namespace {
using namespace std::chrono_literals;

class ApiVersionTest : public RegistryTest {};

TEST_F(ApiVersionTest, BaseEndpointAnswers200WithApiVersionHeader) {
  Response r = client().get("/v2/");
  EXPECT_EQ(r.status, 200) << r;
  // "When a 200 OK or 401 Unauthorized response is returned, the
  // Docker-Distribution-API-Version header SHOULD be set to registry/2.0".
  EXPECT_EQ(r.header("Docker-Distribution-API-Version"), "registry/2.0") << r;
}

TEST_F(ApiVersionTest, BaseEndpointAnswersHead) {
  Response r = client().head("/v2/");
  EXPECT_EQ(r.status, 200) << r;
}

TEST_F(ApiVersionTest, UnknownEndpointUnderV2IsNotSuccess) {
  Response r = client().get("/v2/" + unique_repo() + "/no-such-endpoint/x");
  EXPECT_GE(r.status, 400) << r;
  EXPECT_LT(r.status, 500) << r;
}

// skopeo and podman try TLS first on an insecure registry and fall back to HTTP: a
// plain listener must answer a ClientHello at once (an error or a close), not wait.
TEST_F(ApiVersionTest, PlainListenerAnswersTlsClientHelloPromptly) {
  if (!against_berth()) GTEST_SKIP() << "a requirement of Berth's architecture, not of the spec";
  // A TLS 1.2 ClientHello: record header, handshake header, version, random, empty
  // session id, one cipher suite, null compression.
  const std::string hello = std::string("\x16\x03\x01\x00\x2d", 5) +
                            std::string("\x01\x00\x00\x29\x03\x03", 6) + std::string(32, '\x11') +
                            std::string("\x00\x00\x02\x00\x2f\x01\x00", 7);
  auto started = std::chrono::steady_clock::now();
  auto reply = raw_exchange(registry().url(), hello, /*read_reply=*/true, 5s);
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(reply.has_value()) << "could not connect";
  EXPECT_LT(elapsed, 2s) << "the listener sat on a TLS ClientHello instead of answering or closing";
  EXPECT_EQ(reply->find("HTTP/1.1 200"), std::string::npos) << *reply;
}

}  // namespace
}  // namespace berth::integration
