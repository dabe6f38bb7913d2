// The value type the F(4x4, 3x3) templates (conv/winograd4_math.h) run on in the AVX-512
// transform kernels: 16 floats, with separate multiply and add (no FMA contraction), like the
// scalar kernels' float. Include only from files compiled for AVX-512F.
#pragma once

#include <immintrin.h>

namespace fastconv {
namespace winograd4 {

struct Z {
  __m512 v;
};
inline Z operator+(Z a, Z b) { return {_mm512_add_ps(a.v, b.v)}; }
inline Z operator-(Z a, Z b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline Z operator*(Z a, float s) { return {_mm512_mul_ps(a.v, _mm512_set1_ps(s))}; }

}  // namespace winograd4
}  // namespace fastconv
