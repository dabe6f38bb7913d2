// fastconv._core: the private compiled module. Thin by design: bindings check arrays, release
// the GIL and call a kernel; validation with user-facing messages lives in fastconv.ops.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "bindings/registry.h"

namespace fastconv::bindings {
namespace {
std::vector<std::pair<std::string, BindFn>>& registry() {
  static std::vector<std::pair<std::string, BindFn>> r;
  return r;
}
}  // namespace

int register_binding(const char* name, BindFn fn) {
  registry().emplace_back(name, fn);
  return static_cast<int>(registry().size());
}

}  // namespace fastconv::bindings

#ifndef FASTCONV_VERSION
#define FASTCONV_VERSION "dev"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastconv native kernels (private; use the fastconv package)";
  m.attr("__version__") = FASTCONV_VERSION;
  auto& r = fastconv::bindings::registry();
  // Static initialisation order across files is unspecified; sort for a stable module layout.
  std::sort(r.begin(), r.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& entry : r) entry.second(m);
}
