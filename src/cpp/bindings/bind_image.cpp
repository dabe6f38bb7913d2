// Image augmentation: batched affine resampling (fastconv.image).
#include "bindings/registry.h"
#include "image/affine.h"

FASTCONV_BINDING(image) {
  using namespace fastconv::bindings;
  using DArray = py::array_t<double, py::array::c_style>;
  m.def(
      "image_affine_bilinear",
      [](const FArray& x, const DArray& coeffs, const FArray& fill, FArray& y) {
        // x, y (N, H, W, C); coeffs (N, 6) float64; fill (N, C).
        const auto s = shape_of(x, 4, "image_affine_bilinear", "x");
        const int64_t n = s[0], h = s[1], w = s[2], c = s[3];
        const auto ys = shape_of(y, 4, "image_affine_bilinear", "y");
        if (ys != s) fastconv::fail("image_affine_bilinear: y must have the shape of x");
        const auto cs = shape_of(coeffs, 2, "image_affine_bilinear", "coeffs");
        if (cs[0] != n || cs[1] != 6)
          fastconv::fail("image_affine_bilinear: coeffs must have shape (", n, ", 6), got (",
                         cs[0], ", ", cs[1], ")");
        const auto fs = shape_of(fill, 2, "image_affine_bilinear", "fill");
        if (fs[0] != n || fs[1] != c)
          fastconv::fail("image_affine_bilinear: fill must have shape (", n, ", ", c,
                         "), got (", fs[0], ", ", fs[1], ")");
        if (x.data() == y.data() && n * h * w * c > 0)
          fastconv::fail("image_affine_bilinear: y must not be x");
        const float* xp = x.data();
        const double* cp = coeffs.data();
        const float* fp = fill.data();
        float* yp = mutable_data(y, "image_affine_bilinear", "y");
        py::gil_scoped_release release;
        fastconv::affine_bilinear(xp, n, h, w, c, cp, fp, yp);
      },
      py::arg("x").noconvert(), py::arg("coeffs").noconvert(), py::arg("fill").noconvert(),
      py::arg("y").noconvert(),
      "y[i] = bilinear resampling of x[i] (N,H,W,C) at coeffs[i] (output->input affine), "
      "fill[i] outside.");
  m.def(
      "image_median",
      [](const FArray& x) {
        // x (N, H, W, C) -> (N, C).
        const auto s = shape_of(x, 4, "image_median", "x");
        const int64_t n = s[0], hw = s[1] * s[2], c = s[3];
        if (hw == 0) fastconv::fail("image_median: images must not be empty");
        FArray med({n, c});
        const float* xp = x.data();
        float* mp = med.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::image_median(xp, n, hw, c, mp);
        }
        return med;
      },
      py::arg("x").noconvert(), "Median of each image (N,H,W,C) per channel -> (N, C).");
  m.def(
      "image_median_u8",
      [](const py::array_t<uint8_t, py::array::c_style>& x) {
        // x (N, H, W, C) uint8 -> (N, C) float32.
        const auto s = shape_of(x, 4, "image_median_u8", "x");
        const int64_t n = s[0], hw = s[1] * s[2], c = s[3];
        if (hw == 0) fastconv::fail("image_median_u8: images must not be empty");
        FArray med({n, c});
        const uint8_t* xp = x.data();
        float* mp = med.mutable_data();
        {
          py::gil_scoped_release release;
          fastconv::image_median_u8(xp, n, hw, c, mp);
        }
        return med;
      },
      py::arg("x").noconvert(), "Median of each uint8 image (N,H,W,C) per channel -> (N, C).");
}
