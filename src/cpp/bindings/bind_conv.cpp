// Bindings for the three convolution passes. ops/conv.py validates with user-facing messages;
// here only the cheap invariants that keep the kernels inside their buffers are re-checked.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <tuple>

#include "bindings/registry.h"
#include "conv/conv.h"
#include "pool/pool2d.h"

namespace fastconv::bindings {
namespace {

ConvShape make_shape(int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr,
                     int64_t dh, int64_t dw) {
  ConvShape s;
  s.sh = sh;
  s.sw = sw;
  s.pt = pt;
  s.pb = pb;
  s.pl = pl;
  s.pr = pr;
  s.dh = dh;
  s.dw = dw;
  return s;
}

// The forward's shape from x, w and the geometry, validated; the bias pointer (or null).
ConvShape fwd_shape(const char* op, const FArray& x, const FArray& w,
                    const std::optional<FArray>& b, int64_t sh, int64_t sw, int64_t pt,
                    int64_t pb, int64_t pl, int64_t pr, int64_t dh, int64_t dw,
                    const float** bias) {
  auto xs = shape_of(x, 4, op, "x");
  auto ws = shape_of(w, 4, op, "w");
  ConvShape s = make_shape(sh, sw, pt, pb, pl, pr, dh, dw);
  s.n = xs[0], s.h = xs[1], s.w = xs[2], s.c = xs[3];
  s.kh = ws[0], s.kw = ws[1], s.f = ws[3];
  if (ws[2] != s.c) fail(op, ": x has ", s.c, " channels but w expects ", ws[2]);
  conv_finish_shape(&s, op);
  *bias = nullptr;
  if (b) {
    if (b->ndim() != 1 || b->shape(0) != s.f)
      fail(op, ": b must have shape (", s.f, ",), got rank ", b->ndim());
    *bias = b->data();
  }
  return s;
}

FArray conv2d_maxpool_fwd_py(const FArray& x, const FArray& w, std::optional<FArray> b,
                             int64_t sh, int64_t sw, int64_t pt, int64_t pb, int64_t pl,
                             int64_t pr, int64_t dh, int64_t dw, bool relu, int64_t ph,
                             int64_t pw, int64_t psh, int64_t psw, int64_t ppt, int64_t ppb,
                             int64_t ppl, int64_t ppr) {
  const char* op = "conv2d_maxpool_fwd";
  const float* bias;
  const ConvShape s = fwd_shape(op, x, w, b, sh, sw, pt, pb, pl, pr, dh, dw, &bias);
  const Pool2dGeometry g =
      make_pool2d_geometry(op, s.n, s.oh, s.ow, s.f, ph, pw, psh, psw, ppt, ppb, ppl, ppr);
  FArray y({g.n, g.oh, g.ow, g.c});
  float* yp = y.mutable_data();
  const float* xp = x.data();
  const float* wp = w.data();
  {
    py::gil_scoped_release release;
    conv2d_maxpool_fwd(s, g, xp, wp, bias, relu, yp);
  }
  return y;
}

// Which way conv2d_maxpool_fwd would go for these arguments (tests).
std::string conv2d_maxpool_path_py(const FArray& x, const FArray& w, int64_t sh, int64_t sw,
                                   int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh,
                                   int64_t dw, int64_t ph, int64_t pw, int64_t psh, int64_t psw,
                                   int64_t ppt, int64_t ppb, int64_t ppl, int64_t ppr) {
  const char* op = "_conv2d_maxpool_path";
  const float* bias;
  const ConvShape s = fwd_shape(op, x, w, std::nullopt, sh, sw, pt, pb, pl, pr, dh, dw, &bias);
  const Pool2dGeometry g =
      make_pool2d_geometry(op, s.n, s.oh, s.ow, s.f, ph, pw, psh, psw, ppt, ppb, ppl, ppr);
  return conv2d_maxpool_path(s, g);
}

FArray conv2d_fwd_py(const FArray& x, const FArray& w, std::optional<FArray> b, int64_t sh,
                     int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh,
                     int64_t dw, bool relu) {
  const float* bias;
  const ConvShape s = fwd_shape("conv2d_fwd", x, w, b, sh, sw, pt, pb, pl, pr, dh, dw, &bias);
  FArray y({s.n, s.oh, s.ow, s.f});
  float* yp = y.mutable_data();
  const float* xp = x.data();
  const float* wp = w.data();
  {
    py::gil_scoped_release release;
    conv2d_fwd(s, xp, wp, bias, relu, yp);
  }
  return y;
}

FArray conv2d_bwd_data_py(const FArray& dy, const FArray& w, int64_t h, int64_t wd, int64_t sh,
                          int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh,
                          int64_t dw) {
  const char* op = "conv2d_bwd_data";
  auto ys = shape_of(dy, 4, op, "dy");
  auto ws = shape_of(w, 4, op, "w");
  ConvShape s = make_shape(sh, sw, pt, pb, pl, pr, dh, dw);
  s.n = ys[0], s.h = h, s.w = wd, s.c = ws[2];
  s.kh = ws[0], s.kw = ws[1], s.f = ws[3];
  conv_finish_shape(&s, op);
  if (ys[1] != s.oh || ys[2] != s.ow || ys[3] != s.f)
    fail(op, ": dy has shape (", ys[0], ", ", ys[1], ", ", ys[2], ", ", ys[3], "), expected (",
         s.n, ", ", s.oh, ", ", s.ow, ", ", s.f, ")");
  FArray dx({s.n, s.h, s.w, s.c});
  float* dxp = dx.mutable_data();
  const float* dyp = dy.data();
  const float* wp = w.data();
  {
    py::gil_scoped_release release;
    conv2d_bwd_data(s, dyp, wp, dxp);
  }
  return dx;
}

std::tuple<FArray, FArray> conv2d_bwd_filter_py(const FArray& x, const FArray& dy, int64_t kh,
                                                int64_t kw, int64_t sh, int64_t sw, int64_t pt,
                                                int64_t pb, int64_t pl, int64_t pr, int64_t dh,
                                                int64_t dw) {
  const char* op = "conv2d_bwd_filter";
  auto xs = shape_of(x, 4, op, "x");
  auto ys = shape_of(dy, 4, op, "dy");
  ConvShape s = make_shape(sh, sw, pt, pb, pl, pr, dh, dw);
  s.n = xs[0], s.h = xs[1], s.w = xs[2], s.c = xs[3];
  s.kh = kh, s.kw = kw, s.f = ys[3];
  conv_finish_shape(&s, op);
  if (ys[0] != s.n || ys[1] != s.oh || ys[2] != s.ow)
    fail(op, ": dy has shape (", ys[0], ", ", ys[1], ", ", ys[2], ", ", ys[3], "), expected (",
         s.n, ", ", s.oh, ", ", s.ow, ", ", s.f, ")");
  FArray dwa({s.kh, s.kw, s.c, s.f});
  FArray dba({s.f});
  float* dwp = dwa.mutable_data();
  float* dbp = dba.mutable_data();
  const float* xp = x.data();
  const float* dyp = dy.data();
  {
    py::gil_scoped_release release;
    conv2d_bwd_filter(s, xp, dyp, dwp, dbp);
  }
  return {dwa, dba};
}

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(conv) {
  using namespace fastconv::bindings;
  m.def("conv2d_fwd", &conv2d_fwd_py, py::arg("x").noconvert(), py::arg("w").noconvert(),
        py::arg("b").noconvert(), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_top"),
        py::arg("pad_bottom"), py::arg("pad_left"), py::arg("pad_right"), py::arg("dil_h"),
        py::arg("dil_w"), py::arg("relu"),
        "x (N,H,W,C), w (KH,KW,C,F), b (F,) or None -> y (N,OH,OW,F) (+b) (relu).");
  m.def("conv2d_maxpool_fwd", &conv2d_maxpool_fwd_py, py::arg("x").noconvert(),
        py::arg("w").noconvert(), py::arg("b").noconvert(), py::arg("stride_h"),
        py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
        py::arg("pad_right"), py::arg("dil_h"), py::arg("dil_w"), py::arg("relu"),
        py::arg("ph"), py::arg("pw"), py::arg("sh"), py::arg("sw"), py::arg("pt"),
        py::arg("pb"), py::arg("pl"), py::arg("pr"),
        "maxpool(conv2d_fwd(x, w, b, ...)) for inference: the pooling geometry (window, "
        "strides, pads) applies to the convolution's output; bit-identical to the two calls.");
  m.def("_conv2d_maxpool_path", &conv2d_maxpool_path_py, py::arg("x").noconvert(),
        py::arg("w").noconvert(), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_top"),
        py::arg("pad_bottom"), py::arg("pad_left"), py::arg("pad_right"), py::arg("dil_h"),
        py::arg("dil_w"), py::arg("ph"), py::arg("pw"), py::arg("sh"), py::arg("sw"),
        py::arg("pt"), py::arg("pb"), py::arg("pl"), py::arg("pr"),
        "Which way conv2d_maxpool_fwd goes for these arguments: 'direct1_rows', "
        "'winograd_blocks' or 'map' (for tests).");
  m.def("conv2d_bwd_data", &conv2d_bwd_data_py, py::arg("dy").noconvert(),
        py::arg("w").noconvert(), py::arg("h"), py::arg("w_in"), py::arg("stride_h"),
        py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
        py::arg("pad_right"), py::arg("dil_h"), py::arg("dil_w"),
        "dy (N,OH,OW,F), w (KH,KW,C,F), input height h and width w_in -> dx (N,h,w_in,C).");
  m.def("conv2d_bwd_filter", &conv2d_bwd_filter_py, py::arg("x").noconvert(),
        py::arg("dy").noconvert(), py::arg("kh"), py::arg("kw"), py::arg("stride_h"),
        py::arg("stride_w"), py::arg("pad_top"), py::arg("pad_bottom"), py::arg("pad_left"),
        py::arg("pad_right"), py::arg("dil_h"), py::arg("dil_w"),
        "x (N,H,W,C), dy (N,OH,OW,F), kernel kh x kw -> (dw (kh,kw,C,F), db (F,)).");
}
