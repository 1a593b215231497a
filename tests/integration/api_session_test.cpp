// The portal's session: POST /c/login sets an HttpOnly "sid" cookie, requests with it act
// as the user, unsafe ones only with the session's X-Harbor-CSRF-Token, and POST
// /c/logout ends it. Failed logins from one address lock it out for a while.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "harbor_api.h"

namespace berth::integration {
namespace {

namespace json = boost::json;

const HeaderList kForm = {{"Content-Type", "application/x-www-form-urlencoded"}};
const HeaderList kJson = {{"Content-Type", "application/json"}};

// The value of the "sid" cookie a Set-Cookie header sets ("" when it sets none).
std::string sid_of(const Response& response) {
  const std::string cookie = response.header("Set-Cookie");
  if (!cookie.starts_with("sid=")) return {};
  return cookie.substr(4, cookie.find(';') - 4);
}

std::string form(std::string_view user, std::string_view password) {
  return "principal=" + percent_encode(user) + "&password=" + percent_encode(password);
}

class SessionApiTest : public HarborApiTest {
 protected:
  void SetUp() override {
    HarborApiTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    user_ = unique_name("portal");
    create_user(user_);
    browser_ = client_as("", "");
  }

  Response login(std::string_view user, std::string_view password) {
    return browser_->post("/c/login", form(user, password), kForm);
  }

  std::string user_;
  std::unique_ptr<HttpClient> browser_;  // no basic auth: only what a browser sends
};

TEST_F(SessionApiTest, LoginSetsAnHttpOnlySessionCookieAndACsrfToken) {
  Response r = login(user_, kUserPassword);
  ASSERT_EQ(r.status, 200) << r;
  const std::string cookie = r.header("Set-Cookie");
  EXPECT_EQ(sid_of(r).size(), 64u) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Lax"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: no Secure flag: " << cookie;
  EXPECT_FALSE(r.header("X-Harbor-CSRF-Token").empty()) << r;
  EXPECT_EQ(r.body.find(kUserPassword), std::string::npos) << r;

  Response again = login(user_, kUserPassword);
  EXPECT_NE(sid_of(again), sid_of(r)) << "every login gets a session of its own";
}

TEST_F(SessionApiTest, SessionActsAsTheUserAndEchoesTheCsrfToken) {
  Response signed_in = login(user_, kUserPassword);
  ASSERT_EQ(signed_in.status, 200) << signed_in;
  const std::string token = signed_in.header("X-Harbor-CSRF-Token");
  Response me = browser_->get(std::string(kApi) + "/users/current", {{"Cookie", "sid=" + sid_of(signed_in)}});
  ASSERT_EQ(me.status, 200) << me;
  EXPECT_EQ(text_of(json_of(me), "username"), user_);
  EXPECT_EQ(me.header("X-Harbor-CSRF-Token"), token) << me;

  Response other_cookies = browser_->get(std::string(kApi) + "/users/current",
                                         {{"Cookie", "lang=en; sid=" + sid_of(signed_in) + "; x=1"}});
  EXPECT_EQ(other_cookies.status, 200) << other_cookies;

  Response bogus =
      browser_->get(std::string(kApi) + "/users/current", {{"Cookie", "sid=" + std::string(64, 'a')}});
  EXPECT_TRUE(IsHarborError(bogus, 401, "UNAUTHORIZED"));
}

TEST_F(SessionApiTest, UnsafeSessionRequestsNeedTheCsrfToken) {
  Response signed_in = login(user_, kUserPassword);
  ASSERT_EQ(signed_in.status, 200) << signed_in;
  const std::string cookie = "sid=" + sid_of(signed_in);
  const std::string token = signed_in.header("X-Harbor-CSRF-Token");
  const std::string body = json::serialize(json::object{{"project_name", unique_name("csrf")}});

  Response without = browser_->post(std::string(kApi) + "/projects", body,
                                    {{"Content-Type", "application/json"}, {"Cookie", cookie}});
  EXPECT_TRUE(IsHarborError(without, 403, "FORBIDDEN"));
  EXPECT_NE(without.body.find("CSRF"), std::string::npos) << without;

  Response wrong = browser_->post(std::string(kApi) + "/projects", body,
                                  {{"Content-Type", "application/json"},
                                   {"Cookie", cookie},
                                   {"X-Harbor-CSRF-Token", std::string(token.size(), '0')}});
  EXPECT_TRUE(IsHarborError(wrong, 403, "FORBIDDEN"));

  Response with = browser_->post(
      std::string(kApi) + "/projects", body,
      {{"Content-Type", "application/json"}, {"Cookie", cookie}, {"X-Harbor-CSRF-Token", token}});
  EXPECT_EQ(with.status, 201) << with;

  // Basic-auth requests carry no cookie and need no token.
  EXPECT_EQ(client()
                .post(std::string(kApi) + "/projects",
                      json::serialize(json::object{{"project_name", unique_name("basic")}}), kJson)
                .status,
            201);
}

TEST_F(SessionApiTest, LogoutEndsTheSession) {
  Response signed_in = login(user_, kUserPassword);
  ASSERT_EQ(signed_in.status, 200) << signed_in;
  const std::string cookie = "sid=" + sid_of(signed_in);
  Response out = browser_->post("/c/logout", "", {{"Cookie", cookie}});
  ASSERT_EQ(out.status, 200) << out;
  const std::string cleared = out.header("Set-Cookie");
  EXPECT_TRUE(cleared.starts_with("sid=;")) << cleared;
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos) << cleared;
  EXPECT_TRUE(IsHarborError(browser_->get(std::string(kApi) + "/users/current", {{"Cookie", cookie}}), 401,
                            "UNAUTHORIZED"));
  EXPECT_EQ(browser_->post("/c/logout", "").status, 200) << "logging out without a session is harmless";
}

TEST_F(SessionApiTest, BadLoginsAreRefused) {
  Response wrong = login(user_, "Not-The-Password-1");
  EXPECT_TRUE(IsHarborError(wrong, 401, "UNAUTHORIZED"));
  EXPECT_FALSE(wrong.has_header("Set-Cookie")) << wrong;
  EXPECT_FALSE(wrong.has_header("WWW-Authenticate")) << wrong;

  // Robot accounts never get a portal session.
  EXPECT_TRUE(IsHarborError(login("robot$" + user_, kUserPassword), 401, "UNAUTHORIZED"));
  EXPECT_TRUE(IsHarborError(browser_->post("/c/login", "principal=" + user_, kForm), 400, "BAD_REQUEST"));
  EXPECT_EQ(browser_->post("/c/login", form(user_, kUserPassword), kJson).status, 415);
  EXPECT_EQ(browser_->get("/c/login").status, 405);
}

// A fresh Berth of its own: locking out 127.0.0.1 must not disturb other tests.
// On a Berth of its own with the default limit of 5 failures (the shared fixtures raise it).
TEST(SessionLockoutTest, RepeatedFailuresLockTheAddressOut) {
  if (using_external_registry()) GTEST_SKIP() << "Berth-specific test; REGISTRY_URL is set";
  std::string error;
  BerthOptions options;
  options.environment["BERTH_AUTH_MAX_FAILED_LOGINS"] = "5";
  auto berth = RegistryInstance::spawn_berth(&error, options);
  ASSERT_NE(berth, nullptr) << error;
  HttpClient browser(berth->url());
  for (int i = 0; i < 5; ++i) {
    Response r = browser.post("/c/login", form("admin", "Wrong-Password-" + std::to_string(i)), kForm);
    EXPECT_EQ(r.status, 401) << r;
  }
  Response locked = browser.post("/c/login", form("admin", kAdminPassword), kForm);
  EXPECT_TRUE(IsHarborError(locked, 429, "TOO_MANY_REQUESTS"));
  EXPECT_FALSE(locked.has_header("Set-Cookie")) << locked;
  HttpClient admin(berth->url());
  admin.set_basic_auth("admin", kAdminPassword);
  EXPECT_EQ(admin.get(std::string(kApi) + "/users/current").status, 429) << "basic auth is locked out too";
}

}  // namespace
}  // namespace berth::integration
