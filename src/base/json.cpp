// The one translation unit that compiles Boost.JSON (header-only library, built once).
#include <boost/json/src.hpp>
