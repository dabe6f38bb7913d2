#include <pybind11/stl.h>

#include <optional>

#include "bindings/registry.h"
#include "gemm/gemm.h"
#include "gemm/peak.h"
#include "dispatch/table.h"

namespace fastconv::bindings {
namespace {

// A 2-D float32 array whose rows are contiguous (unit column stride) but may be spaced by a
// leading dimension: a slice like big[:, :100] is used in place.
int64_t leading_dim(const FView& a, const char* arg) {
  if (a.ndim() != 2) fail("gemm: ", arg, " must be 2-D, got rank ", a.ndim());
  const int64_t rows = a.shape(0), cols = a.shape(1);
  if (rows == 0 || cols == 0) return cols > 0 ? cols : 1;
  if (cols > 1 && a.strides(1) != static_cast<py::ssize_t>(sizeof(float)))
    fail("gemm: ", arg, " needs unit column stride (got strides ", a.strides(0), ", ",
         a.strides(1), ")");
  if (rows == 1) return cols;
  const py::ssize_t s0 = a.strides(0);
  if (s0 <= 0 || s0 % static_cast<py::ssize_t>(sizeof(float)) != 0 ||
      s0 / static_cast<py::ssize_t>(sizeof(float)) < cols)
    fail("gemm: ", arg, " has an unsupported row stride ", s0, " for ", cols, " columns");
  return s0 / static_cast<py::ssize_t>(sizeof(float));
}

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(gemm) {
  using namespace fastconv::bindings;
  m.def(
      "gemm",
      [](const FView& a, const FView& b, FView& c,
         float alpha, float beta, bool trans_a, bool trans_b, std::optional<FArray> bias,
         bool relu) {
        const int64_t lda = leading_dim(a, "a"), ldb = leading_dim(b, "b");
        const int64_t ldc = leading_dim(c, "c");
        if (!c.writeable()) fastconv::fail("gemm: c is read-only");
        const int64_t m = trans_a ? a.shape(1) : a.shape(0);
        const int64_t k = trans_a ? a.shape(0) : a.shape(1);
        const int64_t kb = trans_b ? b.shape(1) : b.shape(0);
        const int64_t n = trans_b ? b.shape(0) : b.shape(1);
        if (k != kb)
          fastconv::fail("gemm: inner dimensions differ: op(a) is ", m, "x", k, ", op(b) is ", kb,
                         "x", n);
        if (c.shape(0) != m || c.shape(1) != n)
          fastconv::fail("gemm: c has shape (", c.shape(0), ", ", c.shape(1), "), expected (", m,
                         ", ", n, ")");
        const float* bias_ptr = nullptr;
        if (bias) {
          if (bias->ndim() != 1 || bias->shape(0) != n)
            fastconv::fail("gemm: bias must have shape (", n, ",), got ndim ", bias->ndim());
          bias_ptr = bias->data();
        }
        const float* ap = a.data();
        const float* bp = b.data();
        float* cp = c.mutable_data();
        py::gil_scoped_release release;
        fastconv::gemm(trans_a, trans_b, m, n, k, alpha, ap, lda, bp, ldb, beta, cp, ldc,
                       bias_ptr, relu);
      },
      py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("c").noconvert(), py::arg("alpha") = 1.0f, py::arg("beta") = 0.0f,
      py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("bias").noconvert() = py::none(),
      py::arg("relu") = false,
      "c = alpha*op(a)@op(b) + beta*c (+bias)(relu), in place. float32, unit column stride.");
  m.def(
      "fma_peak_probe",
      [](double seconds, int threads) {
        if (threads < 1) fastconv::fail("fma_peak_probe: threads must be >= 1, got ", threads);
        if (!(seconds > 0.0 && seconds <= 60.0))
          fastconv::fail("fma_peak_probe: seconds must be in (0, 60], got ", seconds);
        py::gil_scoped_release release;
        return fastconv::fma_peak_gflops(seconds, threads);
      },
      py::arg("seconds") = 0.2, py::arg("threads") = 1,
      "Measured FP32 FMA throughput (GF/s) of the active ISA on `threads` threads.");
  m.def(
      "_gemm_pack_transpose",
      [](const FArray& src, int width) {
        // Test hook for the active ISA's transposing pack kernel: src (h, kc) -> (kc, width)
        // with dst[p, i] = src[i, p] for i < h and 0 beyond.
        if (src.ndim() != 2) fastconv::fail("_gemm_pack_transpose: src must be 2-D");
        const int64_t h = src.shape(0), kc = src.shape(1);
        if (width < h || width > 64)
          fastconv::fail("_gemm_pack_transpose: need h <= width <= 64, got h=", h, " width=", width);
        FArray dst({kc, static_cast<int64_t>(width)});
        const float* sp = src.data();
        float* dp = dst.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::active_table().packt(sp, kc, static_cast<int>(h), kc, width, dp);
        }
        return dst;
      },
      py::arg("src").noconvert(), py::arg("width"));
}
