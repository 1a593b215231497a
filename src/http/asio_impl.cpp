// The one translation unit that compiles Asio, Asio's SSL support and Beast: the whole
// build defines BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION so
// that every other file includes their declarations only.

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
