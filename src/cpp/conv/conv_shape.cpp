// Geometry checks shared by the three passes. Python validates first with friendlier
// messages; this is the C++ safety net so that no call can index outside a tensor.
#include "common/error.h"
#include "conv/conv.h"

namespace fastconv {

void conv_finish_shape(ConvShape* s, const char* op) {
  FASTCONV_CHECK(s->n >= 0 && s->h >= 0 && s->w >= 0, op, ": input size must be non-negative, got (",
                 s->n, ", ", s->h, ", ", s->w, ", ", s->c, ")");
  FASTCONV_CHECK(s->c >= 1 && s->f >= 1 && s->kh >= 1 && s->kw >= 1, op,
                 ": kernel (", s->kh, ", ", s->kw, ", ", s->c, ", ", s->f,
                 ") needs positive sizes");
  FASTCONV_CHECK(s->sh >= 1 && s->sw >= 1, op, ": strides must be >= 1, got (", s->sh, ", ",
                 s->sw, ")");
  FASTCONV_CHECK(s->dh >= 1 && s->dw >= 1, op, ": dilation must be >= 1, got (", s->dh, ", ",
                 s->dw, ")");
  FASTCONV_CHECK(s->pt >= 0 && s->pb >= 0 && s->pl >= 0 && s->pr >= 0, op,
                 ": pads must be >= 0, got ((", s->pt, ", ", s->pb, "), (", s->pl, ", ", s->pr,
                 "))");
  // Bounds that keep every product and sum below in int64 (a caller passing pads or dilation
  // near 2**62 must get an error, not signed overflow); real geometry is far below them.
  constexpr int64_t kMax = int64_t(1) << 31;
  FASTCONV_CHECK(s->sh <= kMax && s->sw <= kMax && s->dh <= kMax && s->dw <= kMax &&
                     s->pt <= kMax && s->pb <= kMax && s->pl <= kMax && s->pr <= kMax &&
                     s->kh <= kMax && s->kw <= kMax,
                 op, ": strides, dilation, pads and kernel sizes must be <= 2**31");
  const int64_t eh = (s->kh - 1) * s->dh + 1, ew = (s->kw - 1) * s->dw + 1;
  const int64_t ph = s->h + s->pt + s->pb, pw = s->w + s->pl + s->pr;
  FASTCONV_CHECK(eh <= ph && ew <= pw, op, ": kernel ", s->kh, "x", s->kw, " (dilated ", eh, "x",
                 ew, ") is larger than padded input ", ph, "x", pw);
  s->oh = (ph - eh) / s->sh + 1;
  s->ow = (pw - ew) / s->sw + 1;
}

}  // namespace fastconv
