// The 1-D transforms of Winograd F(4x4, 3x3) (Lavin & Gray 2016; interpolation points 0, +-1,
// +-2 and infinity), written once over a value type T that has +, - and * by a float, so the
// scalar and SIMD transform ukernels evaluate exactly the same expressions in the same order
// (mul and add stay separate: no FMA contraction, so the results agree across ISAs).
//
//   B^T = [4  0 -5  0  1  0]    A^T = [1  1  1  1  1  0]    G = [ 1/4     0     0  ]
//         [0 -4 -4  1  1  0]          [0  1 -1  2 -2  0]        [-1/6  -1/6  -1/6 ]
//         [0  4 -4 -1  1  0]          [0  1  1  4  4  0]        [-1/6   1/6  -1/6 ]
//         [0 -2 -1  2  1  0]          [0  1 -1  8 -8  1]        [ 1/24  1/12  1/6 ]
//         [0  2 -1 -2  1  0]                                     [ 1/24 -1/12  1/6 ]
//         [0  4  0 -5  0  1]                                     [ 0     0     1   ]
//
// A 6x6 input patch d and a 3x3 filter g give the 4x4 output tile A^T [(G g G^T) o (B^T d B)] A
// (o: element-wise), the 4x4 correlation of d with g: 36 multiplies per 16 outputs instead of
// 144. The price is precision: the transforms' entries reach 5 (B) and 8 (A) instead of 1, so
// rounding errors are ~10x those of F(2x2, 3x3); the tests bound them from |B^T| |d| |B| etc.
#pragma once

namespace fastconv {
namespace winograd4 {

// y = B^T x over 6 values at stride 1 (x, y: arrays of 6).
template <class T>
inline void bt6(const T* x, T* y) {
  const T a = x[4] - x[2] * 4.0f;  // x4 - 4 x2
  const T b = x[3] - x[1] * 4.0f;  // x3 - 4 x1
  const T c = x[4] - x[2];         // x4 - x2
  const T d = (x[3] - x[1]) * 2.0f;
  y[0] = (x[0] * 4.0f - x[2] * 5.0f) + x[4];
  y[1] = a + b;
  y[2] = a - b;
  y[3] = c + d;
  y[4] = c - d;
  y[5] = (x[1] * 4.0f - x[3] * 5.0f) + x[5];
}

// y = A^T m over 6 values -> 4.
template <class T>
inline void at6(const T* m, T* y) {
  const T s12 = m[1] + m[2], d12 = m[1] - m[2];
  const T s34 = m[3] + m[4], d34 = m[3] - m[4];
  y[0] = (s12 + s34) + m[0];
  y[1] = d12 + d34 * 2.0f;
  y[2] = s12 + s34 * 4.0f;
  y[3] = (d12 + d34 * 8.0f) + m[5];
}

}  // namespace winograd4
}  // namespace fastconv
