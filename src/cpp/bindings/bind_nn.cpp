// Activation, loss, dropout, normalisation and optimizer bindings. Arrays are float32 and
// C-contiguous (fastconv.ops.nn converts and validates first); shapes are re-checked here
// cheaply so a direct _core call can never read out of bounds.
#include <pybind11/stl.h>

#include <optional>
#include <tuple>

#include "bindings/registry.h"
#include "nn/nn.h"

namespace fastconv::bindings {
namespace {

using BArray = py::array_t<bool, py::array::c_style>;
using LArray = py::array_t<int64_t, py::array::c_style>;

std::vector<py::ssize_t> dims(const py::array& a) {
  return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

void same_shape(const char* op, const py::array& a, const char* an, const py::array& b,
                const char* bn) {
  if (dims(a) != dims(b)) {
    std::ostringstream sa, sb;
    for (auto d : dims(a)) sa << d << ",";
    for (auto d : dims(b)) sb << d << ",";
    fail(op, ": ", an, ".shape=(", sa.str(), ") but ", bn, ".shape=(", sb.str(), ")");
  }
}

// (M, C) view of a (..., C) array; rank >= 1.
std::pair<int64_t, int64_t> rows_cols(const char* op, const py::array& a, const char* arg) {
  if (a.ndim() < 1) fail(op, ": ", arg, " must have rank >= 1 (channels last)");
  const int64_t c = a.shape(a.ndim() - 1);
  return {c == 0 ? 0 : int64_t(a.size()) / c, c};
}

void channel_vector(const char* op, const FArray& v, const char* arg, int64_t c) {
  if (v.ndim() != 1 || v.shape(0) != c)
    fail(op, ": ", arg, " must have shape (", c, ",) to match the channel axis, got rank ",
         v.ndim(), (v.ndim() == 1 ? " length " + std::to_string(v.shape(0)) : std::string()));
}

FArray vec(int64_t c) { return FArray(std::vector<py::ssize_t>{c}); }

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(nn) {
  using namespace fastconv::bindings;
  m.def(
      "relu_fwd",
      [](const FArray& x) {
        FArray y(dims(x));
        const float* xp = x.data();
        float* yp = y.mutable_data();
        const int64_t n = x.size();
        py::gil_scoped_release release;
        fastconv::relu_fwd(n, xp, yp);
        return y;
      },
      py::arg("x").noconvert(), "x (...) -> max(x, 0)");
  m.def(
      "relu_bwd",
      [](const FArray& x, const FArray& dy) {
        same_shape("relu_bwd", x, "x", dy, "dy");
        FArray dx(dims(x));
        const float* xp = x.data();
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        const int64_t n = x.size();
        py::gil_scoped_release release;
        fastconv::relu_bwd(n, xp, dyp, dxp);
        return dx;
      },
      py::arg("x").noconvert(), py::arg("dy").noconvert(), "x, dy -> dy where x > 0 else 0");
  m.def(
      "bias_add_fwd",
      [](const FArray& x, const FArray& b) {
        const auto [rows, c] = rows_cols("bias_add_fwd", x, "x");
        channel_vector("bias_add_fwd", b, "b", c);
        FArray y(dims(x));
        const float* xp = x.data();
        const float* bp = b.data();
        float* yp = y.mutable_data();
        py::gil_scoped_release release;
        fastconv::bias_add_fwd(rows, c, xp, bp, yp);
        return y;
      },
      py::arg("x").noconvert(), py::arg("b").noconvert(), "x (..., C), b (C,) -> x + b");
  m.def(
      "bias_add_bwd",
      [](const FArray& dy) {
        const auto [rows, c] = rows_cols("bias_add_bwd", dy, "dy");
        FArray db = vec(c);
        const float* dyp = dy.data();
        float* dbp = db.mutable_data();
        py::gil_scoped_release release;
        fastconv::bias_add_bwd(rows, c, dyp, dbp);
        return db;
      },
      py::arg("dy").noconvert(), "dy (..., C) -> db (C,), summed over all other axes");
  m.def(
      "softmax_fwd",
      [](const FArray& z) {
        const auto [rows, k] = rows_cols("softmax_fwd", z, "logits");
        FArray p(dims(z));
        const float* zp = z.data();
        float* pp = p.mutable_data();
        py::gil_scoped_release release;
        fastconv::softmax_fwd(rows, k, zp, pp);
        return p;
      },
      py::arg("logits").noconvert(), "logits (..., K) -> softmax over the last axis");
  m.def(
      "softmax_bwd",
      [](const FArray& y, const FArray& dy) {
        same_shape("softmax_bwd", y, "y", dy, "dy");
        const auto [rows, k] = rows_cols("softmax_bwd", y, "y");
        FArray dz(dims(y));
        const float* yp = y.data();
        const float* dyp = dy.data();
        float* dzp = dz.mutable_data();
        py::gil_scoped_release release;
        fastconv::softmax_bwd(rows, k, yp, dyp, dzp);
        return dz;
      },
      py::arg("y").noconvert(), py::arg("dy").noconvert(), "y (..., K), dy -> dlogits");
  m.def(
      "softmax_xent_fwd",
      [](const FArray& z, std::optional<FArray> targets, std::optional<LArray> labels) {
        const auto s = shape_of(z, 2, "softmax_xent_fwd", "logits");
        const int64_t n = s[0], k = s[1];
        if (targets.has_value() == labels.has_value())
          fastconv::fail("softmax_xent_fwd: pass exactly one of targets and labels");
        if (targets) same_shape("softmax_xent_fwd", *targets, "labels", z, "logits");
        if (labels && (labels->ndim() != 1 || labels->shape(0) != n))
          fastconv::fail("softmax_xent_fwd: integer labels must have shape (", n, ",)");
        FArray dz(dims(z));
        const float* zp = z.data();
        const float* tp = targets ? targets->data() : nullptr;
        const int64_t* lp = labels ? labels->data() : nullptr;
        float* dzp = dz.mutable_data();
        double loss;
        {
          py::gil_scoped_release release;
          loss = fastconv::softmax_xent_fwd(n, k, zp, tp, lp, dzp);
        }
        return py::make_tuple(loss, dz);
      },
      py::arg("logits").noconvert(), py::arg("targets").noconvert() = py::none(),
      py::arg("labels").noconvert() = py::none(),
      "logits (N,K), targets (N,K) or labels (N,) int64 -> (mean loss, dlogits (N,K))");
  m.def(
      "dropout_fwd",
      [](const FArray& x, double rate, uint64_t seed) {
        FArray y(dims(x));
        BArray mask(dims(x));
        const float* xp = x.data();
        float* yp = y.mutable_data();
        uint8_t* mp = reinterpret_cast<uint8_t*>(mask.mutable_data());
        const int64_t n = x.size();
        {
          py::gil_scoped_release release;
          fastconv::dropout_fwd(n, xp, rate, seed, yp, mp);
        }
        return py::make_tuple(y, mask);
      },
      py::arg("x").noconvert(), py::arg("rate"), py::arg("seed"),
      "training-mode inverted dropout: x -> (y, mask bool)");
  m.def(
      "dropout_bwd",
      [](const FArray& dy, const BArray& mask, double rate) {
        same_shape("dropout_bwd", dy, "dy", mask, "mask");
        FArray dx(dims(dy));
        const float* dyp = dy.data();
        const uint8_t* mp = reinterpret_cast<const uint8_t*>(mask.data());
        float* dxp = dx.mutable_data();
        const int64_t n = dy.size();
        py::gil_scoped_release release;
        fastconv::dropout_bwd(n, dyp, mp, rate, dxp);
        return dx;
      },
      py::arg("dy").noconvert(), py::arg("mask").noconvert(), py::arg("rate"),
      "dy, mask bool, rate -> dy * mask / (1 - rate)");
  m.def(
      "batch_norm_fwd",
      [](const FArray& x, const FArray& gamma, const FArray& beta, const FArray& moving_mean,
         const FArray& moving_var, bool training, double momentum, double epsilon) {
        const auto [rows, c] = rows_cols("batch_norm_fwd", x, "x");
        channel_vector("batch_norm_fwd", gamma, "gamma", c);
        channel_vector("batch_norm_fwd", beta, "beta", c);
        channel_vector("batch_norm_fwd", moving_mean, "moving_mean", c);
        channel_vector("batch_norm_fwd", moving_var, "moving_var", c);
        FArray y(dims(x));
        FArray nm = vec(c), nv = vec(c), sm = vec(c), si = vec(c);
        const float *xp = x.data(), *gp = gamma.data(), *bp = beta.data();
        const float *mmp = moving_mean.data(), *mvp = moving_var.data();
        float *yp = y.mutable_data(), *nmp = nm.mutable_data(), *nvp = nv.mutable_data();
        float *smp = sm.mutable_data(), *sip = si.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::batch_norm_fwd(rows, c, xp, gp, bp, mmp, mvp, training, momentum, epsilon,
                                   yp, nmp, nvp, smp, sip);
        }
        return py::make_tuple(y, nm, nv, sm, si);
      },
      py::arg("x").noconvert(), py::arg("gamma").noconvert(), py::arg("beta").noconvert(),
      py::arg("moving_mean").noconvert(), py::arg("moving_var").noconvert(), py::arg("training"),
      py::arg("momentum") = 0.99, py::arg("epsilon") = 1e-3,
      "-> (y, new_moving_mean, new_moving_var, save_mean, save_invstd)");
  m.def(
      "batch_norm_bwd",
      [](const FArray& dy, const FArray& x, const FArray& gamma, const FArray& save_mean,
         const FArray& save_invstd) {
        same_shape("batch_norm_bwd", dy, "dy", x, "x");
        const auto [rows, c] = rows_cols("batch_norm_bwd", x, "x");
        channel_vector("batch_norm_bwd", gamma, "gamma", c);
        channel_vector("batch_norm_bwd", save_mean, "save_mean", c);
        channel_vector("batch_norm_bwd", save_invstd, "save_invstd", c);
        FArray dx(dims(x));
        FArray dg = vec(c), db = vec(c);
        const float *dyp = dy.data(), *xp = x.data(), *gp = gamma.data();
        const float *smp = save_mean.data(), *sip = save_invstd.data();
        float *dxp = dx.mutable_data(), *dgp = dg.mutable_data(), *dbp = db.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::batch_norm_bwd(rows, c, dyp, xp, gp, smp, sip, dxp, dgp, dbp);
        }
        return py::make_tuple(dx, dg, db);
      },
      py::arg("dy").noconvert(), py::arg("x").noconvert(), py::arg("gamma").noconvert(),
      py::arg("save_mean").noconvert(), py::arg("save_invstd").noconvert(),
      "training-mode batch-norm backward -> (dx, dgamma, dbeta)");
  m.def(
      "lrn_fwd",
      [](const FArray& x, int64_t depth_radius, double bias, double alpha, double beta) {
        const auto [rows, c] = rows_cols("lrn_fwd", x, "x");
        FArray y(dims(x));
        const float* xp = x.data();
        float* yp = y.mutable_data();
        py::gil_scoped_release release;
        fastconv::lrn_fwd(rows, c, xp, yp, depth_radius, bias, alpha, beta);
        return y;
      },
      py::arg("x").noconvert(), py::arg("depth_radius") = 5, py::arg("bias") = 1.0,
      py::arg("alpha") = 1.0, py::arg("beta") = 0.5, "x (..., C) -> LRN over channels (TF)");
  m.def(
      "lrn_bwd",
      [](const FArray& x, const FArray& dy, int64_t depth_radius, double bias, double alpha,
         double beta) {
        same_shape("lrn_bwd", x, "x", dy, "dy");
        const auto [rows, c] = rows_cols("lrn_bwd", x, "x");
        FArray dx(dims(x));
        const float* xp = x.data();
        const float* dyp = dy.data();
        float* dxp = dx.mutable_data();
        py::gil_scoped_release release;
        fastconv::lrn_bwd(rows, c, xp, dyp, dxp, depth_radius, bias, alpha, beta);
        return dx;
      },
      py::arg("x").noconvert(), py::arg("dy").noconvert(), py::arg("depth_radius") = 5,
      py::arg("bias") = 1.0, py::arg("alpha") = 1.0, py::arg("beta") = 0.5,
      "x, dy (..., C) -> dx");
  m.def(
      "sgd_update_",
      [](FArray& param, const FArray& grad, std::optional<FArray> velocity, double lr,
         double momentum, bool nesterov) {
        same_shape("sgd_update_", param, "param", grad, "grad");
        float* pp = mutable_data(param, "sgd_update_", "param");
        float* vp = nullptr;
        if (velocity) {
          same_shape("sgd_update_", param, "param", *velocity, "velocity");
          vp = mutable_data(*velocity, "sgd_update_", "velocity");
        }
        const float* gp = grad.data();
        const int64_t n = param.size();
        py::gil_scoped_release release;
        fastconv::sgd_update(n, pp, gp, vp, lr, momentum, nesterov);
      },
      py::arg("param").noconvert(), py::arg("grad").noconvert(),
      py::arg("velocity").noconvert() = py::none(), py::arg("lr"), py::arg("momentum") = 0.0,
      py::arg("nesterov") = false, "SGD step in place over param (and velocity)");
  m.def(
      "adam_update_",
      [](FArray& param, const FArray& grad, FArray& mom, FArray& vel, double lr, double beta_1,
         double beta_2, double epsilon, int64_t step) {
        same_shape("adam_update_", param, "param", grad, "grad");
        same_shape("adam_update_", param, "param", mom, "m");
        same_shape("adam_update_", param, "param", vel, "v");
        float* pp = mutable_data(param, "adam_update_", "param");
        float* mp = mutable_data(mom, "adam_update_", "m");
        float* vp = mutable_data(vel, "adam_update_", "v");
        const float* gp = grad.data();
        const int64_t n = param.size();
        py::gil_scoped_release release;
        fastconv::adam_update(n, pp, gp, mp, vp, lr, beta_1, beta_2, epsilon, step);
      },
      py::arg("param").noconvert(), py::arg("grad").noconvert(), py::arg("m").noconvert(),
      py::arg("v").noconvert(), py::arg("lr"), py::arg("beta_1") = 0.9, py::arg("beta_2") = 0.999,
      py::arg("epsilon") = 1e-7, py::arg("step") = 1, "Adam step in place over param, m, v");
}
