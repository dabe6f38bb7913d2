// Native inference plans: a Sequential model's whole forward pass at one input shape as one
// call (fastconv/keras/models/_plan.py builds them).
//
// A model's Python plan runs each layer's step: a closure, a binding call whose ~20 integer
// arguments pybind11 converts one by one, a new NumPy array per layer. At batch 1 that is
// ~15% of the lab CNN's inference, and more than its instruction count suggests: the 2 MB
// dense layer evicts the interpreter's data from L2 on every call, so each of those steps
// waits on cache misses. Here the geometry of every step is resolved and validated once, the
// weights are the layers' own arrays (held, read in place: Variables are updated in place, so
// assign / set_weights / optimizer steps are seen), the intermediate activations live in the
// calling thread's scratch (two slots used in turn), only the output is a new array, and the
// GIL is released once for the whole pass. Every step calls the same kernel with the same
// arguments as the corresponding Python step, so the result is bit-identical to it.
#include <pybind11/stl.h>

#include <cstring>
#include <string>
#include <vector>

#include "bindings/registry.h"
#include "common/buffer.h"
#include "conv/conv.h"
#include "gemm/gemm.h"
#include "nn/nn.h"
#include "pool/pool2d.h"

namespace fastconv::bindings {
namespace {

// thread_scratch slots of the activations between steps (kernels use slots 0-11).
constexpr int kSlotA = 12, kSlotB = 13;

enum class Kind { kConv, kConvMaxPool, kMaxPool, kAvgPool, kDense, kSoftmax, kReshape, kIdentity };

struct Step {
  Kind kind = Kind::kIdentity;
  std::string op;    // the kind as given ("conv", "dense", ...)
  std::string name;  // e.g. "step 3 (dense)", for messages
  ConvShape cs;
  Pool2dGeometry pg;
  py::object w, b;  // the weight arrays (b may be None); kept alive by the plan
  const float* wp = nullptr;
  const float* bp = nullptr;
  bool relu = false;
  int64_t rows = 0, depth = 0, cols = 0;  // dense
  std::vector<int64_t> out;               // output shape
};

int64_t volume(const std::vector<int64_t>& s) {
  int64_t v = 1;
  for (int64_t d : s) v *= d;
  return v;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.size() == 1 ? ",)" : ")");
}

std::vector<int64_t> ints_of(const py::handle& h, size_t count, const std::string& where) {
  const auto v = h.cast<std::vector<int64_t>>();
  if (count != 0 && v.size() != count)
    fail("InferencePlan: ", where, " takes ", count, " integers, got ", v.size());
  return v;
}

// A weight array: float32, C-contiguous, of the given rank; held by the step.
const float* weight(const py::handle& h, int rank, const std::string& where, const char* arg,
                    py::object* keep) {
  if (!py::isinstance<FArray>(h))
    fail("InferencePlan: ", where, ": ", arg, " must be a C-contiguous float32 array");
  FArray a = py::reinterpret_borrow<FArray>(h);
  if (a.ndim() != rank) fail("InferencePlan: ", where, ": ", arg, " must have rank ", rank,
                             ", got rank ", a.ndim());
  *keep = py::reinterpret_borrow<py::object>(h);
  return a.data();
}

class InferencePlan {
 public:
  InferencePlan(std::vector<int64_t> in_shape, const py::list& ops) : in_(std::move(in_shape)) {
    std::vector<int64_t> cur = in_;
    for (int64_t d : cur)
      if (d < 0) fail("InferencePlan: input shape ", shape_str(cur), " has a negative size");
    int index = 0;
    for (const py::handle& op : ops) {
      const auto t = op.cast<py::tuple>();
      if (t.size() != 3) fail("InferencePlan: each op is (kind, weights, ints)");
      Step s;
      const std::string kind = t[0].cast<std::string>();
      s.op = kind;
      s.name = "step " + std::to_string(index++) + " (" + kind + ")";
      const auto weights = t[1].cast<py::tuple>();
      const auto need_rank = [&](size_t rank) {
        if (cur.size() != rank)
          fail("InferencePlan: ", s.name, " needs a rank-", rank, " input, got ",
               shape_str(cur));
      };
      if (kind == "conv" || kind == "conv_maxpool") {
        const bool pool = kind == "conv_maxpool";
        s.kind = pool ? Kind::kConvMaxPool : Kind::kConv;
        need_rank(4);
        const auto v = ints_of(t[2], pool ? 17 : 9, s.name);
        if (weights.size() != 2) fail("InferencePlan: ", s.name, " takes (w, b)");
        s.wp = weight(weights[0], 4, s.name, "w", &s.w);
        const FArray w = py::reinterpret_borrow<FArray>(weights[0]);
        ConvShape& c = s.cs;
        c.n = cur[0], c.h = cur[1], c.w = cur[2], c.c = cur[3];
        c.kh = w.shape(0), c.kw = w.shape(1), c.f = w.shape(3);
        if (w.shape(2) != c.c)
          fail("InferencePlan: ", s.name, ": the input has ", c.c, " channels but w expects ",
               w.shape(2));
        c.sh = v[0], c.sw = v[1], c.pt = v[2], c.pb = v[3], c.pl = v[4], c.pr = v[5];
        c.dh = v[6], c.dw = v[7];
        s.relu = v[8] != 0;
        conv_finish_shape(&c, "InferencePlan conv");
        bias(weights[1], c.f, &s);
        s.out = {c.n, c.oh, c.ow, c.f};
        if (pool) {
          s.pg = make_pool2d_geometry("InferencePlan conv_maxpool", c.n, c.oh, c.ow, c.f, v[9],
                                      v[10], v[11], v[12], v[13], v[14], v[15], v[16]);
          s.out = {c.n, s.pg.oh, s.pg.ow, c.f};
        }
      } else if (kind == "maxpool" || kind == "avgpool") {
        s.kind = kind == "maxpool" ? Kind::kMaxPool : Kind::kAvgPool;
        need_rank(4);
        const auto v = ints_of(t[2], 8, s.name);
        s.pg = make_pool2d_geometry(kind == "maxpool" ? "InferencePlan maxpool"
                                                      : "InferencePlan avgpool",
                                    cur[0], cur[1], cur[2], cur[3], v[0], v[1], v[2], v[3],
                                    v[4], v[5], v[6], v[7]);
        s.out = {cur[0], s.pg.oh, s.pg.ow, cur[3]};
      } else if (kind == "dense") {
        s.kind = Kind::kDense;
        need_rank(2);
        const auto v = ints_of(t[2], 1, s.name);
        if (weights.size() != 2) fail("InferencePlan: ", s.name, " takes (w, b)");
        s.wp = weight(weights[0], 2, s.name, "w", &s.w);
        const FArray w = py::reinterpret_borrow<FArray>(weights[0]);
        s.rows = cur[0], s.depth = cur[1], s.cols = w.shape(1);
        if (w.shape(0) != s.depth)
          fail("InferencePlan: ", s.name, ": the input has ", s.depth,
               " features but w expects ", w.shape(0));
        s.relu = v[0] != 0;
        bias(weights[1], s.cols, &s);
        s.out = {s.rows, s.cols};
      } else if (kind == "softmax") {  // over the last axis
        s.kind = Kind::kSoftmax;
        if (!ints_of(t[2], 0, s.name).empty())
          fail("InferencePlan: ", s.name, " takes no integers");
        if (cur.empty() || cur.back() == 0)
          fail("InferencePlan: ", s.name, " needs at least one class, got ", shape_str(cur));
        s.cols = cur.back();
        s.rows = volume(cur) / s.cols;
        s.out = cur;
      } else if (kind == "reshape") {
        s.kind = Kind::kReshape;
        s.out = ints_of(t[2], 0, s.name);
        if (s.out.empty() || s.out[0] != cur[0] || volume(s.out) != volume(cur))
          fail("InferencePlan: ", s.name, ": cannot reshape ", shape_str(cur), " to ",
               shape_str(s.out));
      } else if (kind == "identity") {
        s.kind = Kind::kIdentity;
        if (!ints_of(t[2], 0, s.name).empty())
          fail("InferencePlan: ", s.name, " takes no integers");
        s.out = cur;
      } else {
        fail("InferencePlan: unknown op kind '", kind, "'");
      }
      cur = s.out;
      steps_.push_back(std::move(s));
    }
    out_ = cur;
    for (size_t i = 0; i < steps_.size(); ++i)
      if (steps_[i].kind != Kind::kReshape && steps_[i].kind != Kind::kIdentity) last_ = i;
  }

  FArray run(const FArray& x) const {
    std::vector<int64_t> xs(static_cast<size_t>(x.ndim()));
    for (size_t i = 0; i < xs.size(); ++i) xs[i] = x.shape(static_cast<py::ssize_t>(i));
    if (xs != in_)
      fail("InferencePlan: x has shape ", shape_str(xs), ", the plan was built for ",
           shape_str(in_));
    FArray y(out_);
    float* yp = y.mutable_data();
    const float* src = x.data();
    {
      py::gil_scoped_release release;
      forward(src, yp);
    }
    return y;
  }

  // The steps from x to y (no Python objects touched: runs without the GIL).
  void forward(const float* src, float* yp) const {
    if (last_ == kNone) {  // reshapes / identities only
      std::memcpy(yp, src, sizeof(float) * static_cast<size_t>(volume(out_)));
      return;
    }
    int slot = kSlotA;
    for (size_t i = 0; i <= last_; ++i) {
      const Step& s = steps_[i];
      if (s.kind == Kind::kReshape || s.kind == Kind::kIdentity) continue;
      float* dst = i == last_ ? yp : thread_scratch(slot, static_cast<size_t>(volume(s.out)));
      switch (s.kind) {
        case Kind::kConv: conv2d_fwd(s.cs, src, s.wp, s.bp, s.relu, dst); break;
        case Kind::kConvMaxPool:
          conv2d_maxpool_fwd(s.cs, s.pg, src, s.wp, s.bp, s.relu, dst);
          break;
        case Kind::kMaxPool: maxpool2d_fwd(s.pg, src, dst); break;
        case Kind::kAvgPool: avgpool2d_fwd(s.pg, src, dst); break;
        case Kind::kDense:
          gemm(false, false, s.rows, s.cols, s.depth, 1.0f, src, s.depth, s.wp, s.cols, 0.0f,
               dst, s.cols, s.bp, s.relu);
          break;
        case Kind::kSoftmax: softmax_fwd(s.rows, s.cols, src, dst); break;
        default: break;
      }
      src = dst;
      slot = slot == kSlotA ? kSlotB : kSlotA;
    }
  }

  const std::vector<int64_t>& input_shape() const { return in_; }
  const std::vector<int64_t>& output_shape() const { return out_; }
  size_t size() const { return steps_.size(); }
  std::vector<std::string> ops() const {
    std::vector<std::string> r;
    for (const Step& s : steps_) r.push_back(s.op);
    return r;
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  static void bias(const py::handle& h, int64_t n, Step* s) {
    if (h.is_none()) return;
    s->bp = weight(h, 1, s->name, "b", &s->b);
    const int64_t got = py::reinterpret_borrow<FArray>(h).shape(0);
    if (got != n) fail("InferencePlan: ", s->name, ": b has ", got, " values, expected ", n);
  }

  std::vector<int64_t> in_, out_;
  std::vector<Step> steps_;
  size_t last_ = kNone;  // the last step that computes (writes the output array)
};

}  // namespace
}  // namespace fastconv::bindings

FASTCONV_BINDING(plan) {
  using namespace fastconv::bindings;
  py::class_<InferencePlan>(m, "InferencePlan",
                            "A model's forward pass at one input shape as one native call "
                            "(see fastconv/keras/models/_plan.py).")
      .def(py::init<std::vector<int64_t>, const py::list&>(), py::arg("input_shape"),
           py::arg("ops"),
           "ops: (kind, weights, ints) per step, kind one of conv (w, b; strides, pads, "
           "dilations, relu), conv_maxpool (the same and the pooling's window, strides, pads), "
           "maxpool / avgpool (window, strides, pads), dense (w, b; relu), softmax (over the "
           "last axis), reshape (shape), identity. Shapes are checked here, once.")
      .def("__call__", &InferencePlan::run, py::arg("x").noconvert(),
           "x (float32, C-contiguous, the plan's input shape) -> a new output array.")
      .def_property_readonly("input_shape", &InferencePlan::input_shape)
      .def_property_readonly("output_shape", &InferencePlan::output_shape)
      .def_property_readonly("ops", &InferencePlan::ops, "The steps' kinds, in order.")
      .def("__len__", &InferencePlan::size);
}
