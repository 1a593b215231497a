// The one translation unit that compiles Asio, Asio's SSL support and Beast: the whole
// build defines BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION so
// that every other file includes their declarations only.

// GCC 12 reports a "potential null pointer dereference" inside Asio's scheduler after
// inlining (a thread-info pointer that Asio knows is set); it is not ours to fix.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
