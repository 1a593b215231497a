// The one translation unit of the integration tests that compiles Boost.JSON.
#include <boost/json/src.hpp>
