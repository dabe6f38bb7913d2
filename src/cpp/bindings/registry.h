// Self-registering bindings: each bind_<area>.cpp adds its functions to the module with
// FASTCONV_BINDING(area) { ... }, so adding an op never touches a shared file.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "common/error.h"

namespace fastconv::bindings {

namespace py = pybind11;
using BindFn = void (*)(py::module_&);
int register_binding(const char* name, BindFn fn);

// Float32 array as the bindings take it: C-contiguous, no implicit conversion. ops/ converts
// with np.ascontiguousarray(x, np.float32) first, so a copy is visible in Python code.
using FArray = py::array_t<float, py::array::c_style>;
// Float32 array with any strides (no conversion, no contiguity requirement); the binding
// checks the strides it supports.
using FView = py::array_t<float, 0>;

// Checks an array's rank and returns its shape; the message names the op and the argument.
inline std::vector<int64_t> shape_of(const py::array& a, int rank, const char* op,
                                     const char* arg) {
  if (a.ndim() != rank)
    ::fastconv::fail(op, ": ", arg, " must have rank ", rank, ", got rank ", a.ndim());
  std::vector<int64_t> s(rank);
  for (int i = 0; i < rank; ++i) s[i] = a.shape(i);
  return s;
}

inline float* mutable_data(FArray& a, const char* op, const char* arg) {
  if (!a.writeable()) ::fastconv::fail(op, ": ", arg, " is read-only");
  return a.mutable_data();
}

}  // namespace fastconv::bindings

#define FASTCONV_BINDING(area)                                                          \
  static void fastconv_bind_##area(::fastconv::bindings::py::module_& m);               \
  [[maybe_unused]] static const int fastconv_registered_##area =                       \
      ::fastconv::bindings::register_binding(#area, &fastconv_bind_##area);             \
  static void fastconv_bind_##area(::fastconv::bindings::py::module_& m)
