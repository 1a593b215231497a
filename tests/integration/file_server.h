// A minimal HTTP/1.1 server on a free loopback port that answers GET with fixed bodies (404
// for any other path), for tests of Berth as a client: downloads of vulnerability data.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>

namespace berth::integration {

class FileServer {
 public:
  // path ("/go.zip") -> body. Listens at once; stops when destroyed.
  explicit FileServer(std::map<std::string, std::string> files);
  ~FileServer();
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  // "http://127.0.0.1:<port><path>"
  std::string url(const std::string& path) const;
  // How many requests were answered for `path`.
  int requests(const std::string& path) const;

 private:
  void serve();

  std::map<std::string, std::string> files_;
  std::map<std::string, std::atomic<int>> counts_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace berth::integration
