// Pooling bindings: x is NHWC float32, C-contiguous; the geometry arrives resolved (pool,
// strides and explicit pads as ints) from fastconv.ops.pool, which owns the user-facing checks.
#include <pybind11/stl.h>

#include "bindings/registry.h"
#include "dispatch/table.h"
#include "pool/pool2d.h"

namespace fastconv::bindings {
namespace {

FArray new_nhwc(int64_t n, int64_t h, int64_t w, int64_t c) {
  return FArray(std::vector<py::ssize_t>{n, h, w, c});
}

Pool2dGeometry geometry(const char* op, const std::vector<int64_t>& xs, int64_t ph, int64_t pw,
                        int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr) {
  return make_pool2d_geometry(op, xs[0], xs[1], xs[2], xs[3], ph, pw, sh, sw, pt, pb, pl, pr);
}

void check_dy(const char* op, const FArray& dy, int64_t n, int64_t oh, int64_t ow, int64_t c) {
  const auto s = shape_of(dy, 4, op, "dy");
  if (s[0] != n || s[1] != oh || s[2] != ow || s[3] != c)
    fail(op, ": dy.shape=(", s[0], ", ", s[1], ", ", s[2], ", ", s[3], "), expected (", n, ", ",
         oh, ", ", ow, ", ", c, ")");
}

std::vector<int64_t> shape4(const std::vector<int64_t>& v, const char* op) {
  if (v.size() != 4) fail(op, ": x_shape must have 4 entries (N,H,W,C), got ", v.size());
  for (int64_t d : v)
    if (d < 0) fail(op, ": x_shape entries must be >= 0");
  return v;
}

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(pool) {
  using namespace fastconv::bindings;
  using fastconv::Pool2dGeometry;
#define FC_POOL_ARGS                                                                          \
  py::arg("ph"), py::arg("pw"), py::arg("sh"), py::arg("sw"), py::arg("pt"), py::arg("pb"),     \
      py::arg("pl"), py::arg("pr")
  m.def(
      "maxpool2d_fwd",
      [](const FArray& x, int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt, int64_t pb,
         int64_t pl, int64_t pr) {
        const auto xs = shape_of(x, 4, "maxpool2d_fwd", "x");
        const Pool2dGeometry g = geometry("maxpool2d_fwd", xs, ph, pw, sh, sw, pt, pb, pl, pr);
        FArray y = new_nhwc(g.n, g.oh, g.ow, g.c);
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::maxpool2d_fwd(g, xp, yp);
        }
        return y;
      },
      py::arg("x").noconvert(), FC_POOL_ARGS, "x (N,H,W,C) -> y (N,OH,OW,C), max over real cells");
  m.def(
      "maxpool2d_bwd",
      [](const FArray& x, const FArray& dy, int64_t ph, int64_t pw, int64_t sh, int64_t sw,
         int64_t pt, int64_t pb, int64_t pl, int64_t pr, bool relu_mask) {
        const auto xs = shape_of(x, 4, "maxpool2d_bwd", "x");
        const Pool2dGeometry g = geometry("maxpool2d_bwd", xs, ph, pw, sh, sw, pt, pb, pl, pr);
        check_dy("maxpool2d_bwd", dy, g.n, g.oh, g.ow, g.c);
        FArray dx = new_nhwc(g.n, g.h, g.w, g.c);
        const float* xp = x.data();
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::maxpool2d_bwd(g, xp, dyp, dxp, relu_mask);
        }
        return dx;
      },
      py::arg("x").noconvert(), py::arg("dy").noconvert(), FC_POOL_ARGS,
      py::arg("relu_mask") = false,
      "x (N,H,W,C), dy (N,OH,OW,C) -> dx (N,H,W,C); gradient to the first arg-max; relu_mask: "
      "x is a ReLU output and dx is the gradient of its input (dy passes only where max > 0)");
  m.def(
      "avgpool2d_fwd",
      [](const FArray& x, int64_t ph, int64_t pw, int64_t sh, int64_t sw, int64_t pt, int64_t pb,
         int64_t pl, int64_t pr) {
        const auto xs = shape_of(x, 4, "avgpool2d_fwd", "x");
        const Pool2dGeometry g = geometry("avgpool2d_fwd", xs, ph, pw, sh, sw, pt, pb, pl, pr);
        FArray y = new_nhwc(g.n, g.oh, g.ow, g.c);
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::avgpool2d_fwd(g, xp, yp);
        }
        return y;
      },
      py::arg("x").noconvert(), FC_POOL_ARGS, "x (N,H,W,C) -> y (N,OH,OW,C), mean of real cells");
  m.def(
      "avgpool2d_bwd",
      [](const FArray& dy, const std::vector<int64_t>& x_shape, int64_t ph, int64_t pw,
         int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr) {
        const auto xs = shape4(x_shape, "avgpool2d_bwd");
        const Pool2dGeometry g = geometry("avgpool2d_bwd", xs, ph, pw, sh, sw, pt, pb, pl, pr);
        check_dy("avgpool2d_bwd", dy, g.n, g.oh, g.ow, g.c);
        FArray dx = new_nhwc(g.n, g.h, g.w, g.c);
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::avgpool2d_bwd(g, dyp, dxp);
        }
        return dx;
      },
      py::arg("dy").noconvert(), py::arg("x_shape"), FC_POOL_ARGS,
      "dy (N,OH,OW,C), x_shape -> dx (N,H,W,C)");
#undef FC_POOL_ARGS
  m.def(
      "global_avgpool2d_fwd",
      [](const FArray& x) {
        const auto xs = shape_of(x, 4, "global_avgpool2d_fwd", "x");
        const Pool2dGeometry g =
            fastconv::global_pool2d_geometry("global_avgpool2d_fwd", xs[0], xs[1], xs[2], xs[3]);
        FArray y(std::vector<py::ssize_t>{g.n, g.c});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::avgpool2d_fwd(g, xp, yp);
        }
        return y;
      },
      py::arg("x").noconvert(), "x (N,H,W,C) -> y (N,C)");
  m.def(
      "global_avgpool2d_bwd",
      [](const FArray& dy, const std::vector<int64_t>& x_shape) {
        const auto xs = shape4(x_shape, "global_avgpool2d_bwd");
        const Pool2dGeometry g =
            fastconv::global_pool2d_geometry("global_avgpool2d_bwd", xs[0], xs[1], xs[2], xs[3]);
        const auto ds = shape_of(dy, 2, "global_avgpool2d_bwd", "dy");
        if (ds[0] != g.n || ds[1] != g.c)
          fastconv::fail("global_avgpool2d_bwd: dy.shape=(", ds[0], ", ", ds[1], "), expected (",
                         g.n, ", ", g.c, ")");
        FArray dx = new_nhwc(g.n, g.h, g.w, g.c);
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::avgpool2d_bwd(g, dyp, dxp);
        }
        return dx;
      },
      py::arg("dy").noconvert(), py::arg("x_shape"), "dy (N,C), x_shape -> dx (N,H,W,C)");
  m.def(
      "global_maxpool2d_fwd",
      [](const FArray& x) {
        const auto xs = shape_of(x, 4, "global_maxpool2d_fwd", "x");
        const Pool2dGeometry g =
            fastconv::global_pool2d_geometry("global_maxpool2d_fwd", xs[0], xs[1], xs[2], xs[3]);
        FArray y(std::vector<py::ssize_t>{g.n, g.c});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::maxpool2d_fwd(g, xp, yp);
        }
        return y;
      },
      py::arg("x").noconvert(), "x (N,H,W,C) -> y (N,C)");
  m.def(
      "global_maxpool2d_bwd",
      [](const FArray& x, const FArray& dy) {
        const auto xs = shape_of(x, 4, "global_maxpool2d_bwd", "x");
        const Pool2dGeometry g =
            fastconv::global_pool2d_geometry("global_maxpool2d_bwd", xs[0], xs[1], xs[2], xs[3]);
        const auto ds = shape_of(dy, 2, "global_maxpool2d_bwd", "dy");
        if (ds[0] != g.n || ds[1] != g.c)
          fastconv::fail("global_maxpool2d_bwd: dy.shape=(", ds[0], ", ", ds[1], "), expected (",
                         g.n, ", ", g.c, ")");
        FArray dx = new_nhwc(g.n, g.h, g.w, g.c);
        const float* xp = x.data();
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::maxpool2d_bwd(g, xp, dyp, dxp);
        }
        return dx;
      },
      py::arg("x").noconvert(), py::arg("dy").noconvert(), "x (N,H,W,C), dy (N,C) -> dx (N,H,W,C)");
  m.def(
      "maxpool2d_kernel_name", [] { return std::string(fastconv::active_table().pool.maxpool_name); },
      "name of the max-pooling microkernel the active ISA uses");
}
