// Plain HTTP request/response values shared by the server and the handlers. No Beast
// or Asio here: this header is included by every handler.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"

namespace berth::http {

enum class Method { get, head, post, put, patch, del, options, other };

std::string_view method_name(Method method);

// Header fields in arrival order; look-ups are case-insensitive.
class Headers {
 public:
  // First value of the field, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  void add(std::string name, std::string value);
  // Replaces every field of that name with one.
  void set(std::string name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  void clear() { fields_.clear(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  Method method = Method::other;
  std::string target;  // as received: path and query
  std::string path;    // the path part, still percent-encoded
  std::string query;   // after '?', still encoded; empty if none
  Headers headers;
  std::optional<std::uint64_t> content_length;  // nullopt when absent or chunked
  std::string remote_address;
  std::string request_id;

  // Decoded value of the first query parameter `name`, or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

// A body sent from an open file (sendfile on plain connections).
struct FileBody {
  std::shared_ptr<base::UniqueFd> fd;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;              // used when `file` is empty
  std::optional<FileBody> file;  // a file range to send as the body
  // For HEAD responses: the Content-Length to announce although no body is sent.
  std::optional<std::uint64_t> content_length_override;
  // Kept until the response has been sent, then released (a request slot, say).
  std::shared_ptr<const void> held_until_sent;
};

// The items of a comma-separated header value ("a, b;q=0, c"), each without the spaces around
// it; empty items are left out.
std::vector<std::string_view> header_list_items(std::string_view value);

// True if the request's If-None-Match names `etag` (quoted, as sent in ETag) or "*":
// the client's copy is current and gets 304.
bool matches_if_none_match(const Request& request, std::string_view etag);

// Percent-decodes `text`. Returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace berth::http
