// Internal to http/: the parser the server reads requests with, and how the head it parsed
// becomes the Request handlers see (server.cpp and request_head.cpp share both).
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>

#include "http/message.h"

namespace berth::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// Limits a fresh parser to `max_header_bytes` of head and no body limit (the server enforces
// the body limit itself, so that handlers can answer 413).
void limit_request_parser(RequestParser& parser, std::size_t max_header_bytes);

// Sets method, target, path, query, headers and content_length of `request` from the head
// `parser` has read, and clears request_id. remote_address is left as it is.
void load_request_head(const RequestParser& parser, Request& request);

}  // namespace berth::http
