// The 1-D transforms of the Winograd F(3x3, 4x4) weight gradient (conv2d_bwd_filter_winograd.cpp),
// written once over a value type T with +, - and * by a constant, so the scalar and SIMD
// ukernels evaluate the same expressions in the same order (no FMA contraction).
//
// Derivation: the forward F(4x4, 3x3) (conv/winograd4_math.h) computes a 4x4 output tile as
// A^T [(G g G^T) o (B^T d B)] A; differentiating the trilinear form
// sum e (.) y = sum_xi (A e A^T)_xi (G g G^T)_xi (B^T d B)_xi with respect to g gives the 3x3
// weight gradient of one tile: dW = G^T [(A e A^T) o (B^T d B)] G with e the 4x4 dy tile. So:
//   dy transform  E = A e A^T   (A = (A^T)^T, 6x4: rows [1 0 0 0], [1 1 1 1], [1 -1 1 -1],
//                                [1 2 4 8], [1 -2 4 -8], [0 0 0 1]; powers of two only),
//   input         V = B^T d B   (the forward's 6x6 input transform, reused),
//   output        dW = G^T M G  (G^T = [1/4 -1/6 -1/6 1/24 1/24 0; 0 -1/6 1/6 1/12 -1/12 0;
//                                0 -1/6 -1/6 1/6 1/6 1], as 24 G^T in float64 and one division
//                                by 576, rounded to float once more).
// 36 multiplies per 16 outputs (per channel pair) instead of 144; E's entries reach 15 |e| per
// dimension and V's 10 |d|, so rounding errors are larger than F(3x3, 2x2)'s (tests bound them).
#pragma once

namespace fastconv {
namespace winograd4_wgrad {

// y = A x: 4 values -> 6.
template <class T>
inline void a6(const T* x, T* y) {
  const T p = x[0] + x[2], q = x[1] + x[3];
  const T r = x[0] + x[2] * 4.0f, u = x[1] * 2.0f + x[3] * 8.0f;
  y[0] = x[0];
  y[1] = p + q;
  y[2] = p - q;
  y[3] = r + u;
  y[4] = r - u;
  y[5] = x[3];
}

// y = 24 G^T m: 6 values -> 3 (D: a float64 value type). 24 G^T = [6 -4 -4 1 1 0;
// 0 -4 4 2 -2 0; 0 -4 -4 4 4 24] has integer entries, so both passes are exact for the float
// sums (up to rare roundings of float64 sums of far-apart magnitudes) and dW = (24 G^T) M
// (24 G^T)^T / 576 is rounded once by the division (integer-valued results come out exact).
template <class D>
inline void gt6(const D* m, D* y) {
  const D s12 = m[1] + m[2], d12 = m[1] - m[2];
  const D s34 = m[3] + m[4], d34 = m[3] - m[4];
  y[0] = (m[0] * 6.0 - s12 * 4.0) + s34;
  y[1] = d34 * 2.0 - d12 * 4.0;
  y[2] = (s34 - s12) * 4.0 + m[5] * 24.0;
}

}  // namespace winograd4_wgrad
}  // namespace fastconv
