// result<T>: the return type of synchronous fallible functions (parsers, configuration).
// A value or an error_code, never an exception.
#pragma once

#include <boost/system/result.hpp>

namespace weft {

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace weft
