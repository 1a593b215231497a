// Router: picks a handler by path prefix (longest match wins); 404 otherwise.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/exchange.h"

namespace berth::http {

class Router {
 public:
  // Routes every request whose path equals `prefix` or, if `prefix` ends in '/', starts
  // with it.
  void add(std::string prefix, Handler handler);
  // A handler that dispatches to the routes. The router must outlive it.
  Handler handler() const;

 private:
  std::vector<std::pair<std::string, Handler>> routes_;
};

}  // namespace berth::http
