// Error helpers. Code reachable from Python never asserts or aborts: it throws
// std::invalid_argument (pybind11 turns it into ValueError) with a message that names the op,
// the argument and the values involved.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace fastconv {

template <typename... Args>
[[noreturn]] void fail(const Args&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw std::invalid_argument(os.str());
}

}  // namespace fastconv

#define FASTCONV_CHECK(cond, ...)     \
  do {                                \
    if (!(cond)) ::fastconv::fail(__VA_ARGS__); \
  } while (0)
