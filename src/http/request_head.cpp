#include "http/request_head.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <limits>
#include <optional>

#include "http/beast_head.h"

namespace berth::http {
namespace {

namespace bhttp = boost::beast::http;

Method to_method(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::del;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

}  // namespace

void limit_request_parser(RequestParser& parser, std::size_t max_header_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(boost::none);
}

void load_request_head(const RequestParser& parser, Request& request) {
  const auto& message = parser.get();
  request.method = to_method(message.method());
  const std::string_view target = message.target();
  request.target.assign(target);
  const auto question = target.find('?');
  request.path.assign(target.substr(0, question));
  if (question == std::string_view::npos) {
    request.query.clear();
  } else {
    request.query.assign(target.substr(question + 1));
  }
  request.headers.clear();
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  const auto length = parser.content_length();
  request.content_length = length ? std::optional<std::uint64_t>(*length) : std::nullopt;
  request.request_id.clear();
}

base::Result<Request> parse_request_head(std::string_view bytes, std::size_t max_header_bytes) {
  RequestParser parser;
  limit_request_parser(parser, max_header_bytes);
  parser.eager(false);  // stop after the head, as the server's async_read_header does
  boost::system::error_code ec;
  // All the bytes are at hand, so "need more" means the head ends early.
  while (!parser.is_header_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
      return base::make_error(base::Errc::too_large, "the request head is too large");
    if ((ec && ec != bhttp::error::need_more) || (!ec && used == 0 && !parser.is_header_done()))
      return base::make_error(base::Errc::invalid_argument,
                              "malformed request head: " + (ec ? ec.message() : std::string("no progress")));
    if (ec) return base::make_error(base::Errc::io_error, "the request head is incomplete");
    bytes.remove_prefix(used);
  }
  Request request;
  load_request_head(parser, request);
  return request;
}

}  // namespace berth::http
