// Winograd F(3x3, 2x2) weight-gradient transform microkernels (conv/conv2d_bwd_filter_winograd.cpp),
// vectorised over the contiguous filters of NHWC data. The input patches are transformed by the
// forward's F(2x2, 3x3) input kernel (V = B^T d B, conv/winograd_ukernel.h) and the 16 per-position
// products run on the shared GEMM microkernel (gemm/ukernel.h).
//
// Derivation. Per 2x2 tile of outputs, the forward F(2x2, 3x3) algorithm is the trilinear form
//   sum_{a,b,k,l} e[a][b] g[k][l] d[a+k][b+l] = sum_xi (A^T' e A')_xi (G g G^T)_xi (B^T d B)_xi
// with e the 2x2 output cotangent dy and A = (A^T)^T. Its derivative with respect to g is the
// weight gradient of that tile: dW[k][l] = sum_{a,b} d[a+k][b+l] e[a][b]
//   = (G^T [(A e A^T) (.) (B^T d B)] G)[k][l],
// a F(3x3, 2x2) algorithm: alpha = 4, 16 multiplies per tile and channel pair instead of 36.
// Summed over tiles, the 16 positions xi are independent GEMMs M_xi = sum_t V_xi,t^T E_xi,t.
// Negating row 3 of A and column 3 of G^T (so the dy transform has no negation):
//   A   = [1 0; 1 1; 1 -1; 0 1]                          (dy tile 2x2 -> E = A e A^T, 4x4)
//   G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 -1]            (M 4x4 -> dW = G^T M G, 3x3)
//
// dy transform, one 2x2 tile of dy, f filters:
//   e:  4 pointers to dy pixels (0,0), (0,1), (1,0), (1,1) of the tile, f contiguous floats each
//       (a zero row for outputs past the bottom/right edge). No alignment needed.
//   out: out[xi * ldo + j] = (A e_j A^T)[xi / 4][xi % 4] for j < f: with s = A e (rows
//        s0 = e0, s1 = e0 + e1, s2 = e0 - e1, s3 = e1 of the two dy rows), row r of the result is
//        (s_r0, s_r0 + s_r1, s_r0 - s_r1, s_r1). At most 4 terms in 2 rounded steps, identical on
//        every ISA. Nothing past f is read or written.
// Output transform, one input channel, f filters:
//   m:  m[xi * ldm + j], the 16 summed products for filter j < f.
//   w:  w[(k * 3 + l) * tap_stride + j] = (G^T m_j G)[k][l]: with p = m1 + m2, q = m1 - m2 per
//       column, t0 = m0 + .5 p, t1 = .5 q, t2 = .5 p - m3, then the same on the rows of t.
//       4 rounded additions per element (the halvings are exact), identical on every ISA.
//
// Panel kernels (optional; an ISA whose GEMM microkernel's MR makes narrow panel rows sets them):
// the same two transforms for 4 consecutive tiles of one `panel`-wide slice of channels /
// filters, written the way the GEMM microkernel reads an A micro-panel, as 4 x panel contiguous
// floats per position:
//   input4: d[t * 16 + k] the 16 patch pointers of tile t < 4 (as for the input kernel);
//           out[xi * ldo + t * panel + i] = V_xi of tile t, channel off + i, for i < n, and 0
//           for n <= i < panel.
//   dy4:    e[t * 4 + k] the 4 dy pointers of tile t < 4; out as above with E_xi, filter off + i.
//   out and ldo are 64-byte aligned; lanes past n are never read from the pointers.
#pragma once

#include <cstdint>

namespace fastconv {

using WinogradWgradDyFn = void (*)(const float* const* e, int64_t f, float* out, int64_t ldo);
using WinogradWgradOutFn = void (*)(const float* m, int64_t ldm, int64_t f, float* w,
                                    int64_t tap_stride);

using WinogradWgradPanelFn = void (*)(const float* const* p, int64_t off, int64_t n, float* out,
                                      int64_t ldo);

struct ConvWinogradWgradKernels {
  WinogradWgradDyFn dy = nullptr;
  WinogradWgradOutFn output = nullptr;
  WinogradWgradPanelFn input4 = nullptr;  // optional panel kernels, see above
  WinogradWgradPanelFn dy4 = nullptr;
  int panel = 0;  // their panel width (the GEMM microkernel's MR they are written for)
  // F(3x3, 4x4) (conv/winograd4_wgrad_math.h), same contracts with 4x4 dy tiles (16 pointers,
  // row-major) and 36 positions; null where the ISA has no F(4x4, 3x3) input transform.
  WinogradWgradDyFn dy_f4 = nullptr;
  WinogradWgradOutFn output_f4 = nullptr;
  WinogradWgradPanelFn input4_f4 = nullptr;  // panel kernel (36 patch pointers per tile)
};

void f32_winograd_wgrad_dy_ukernel_c1__scalar(const float* const*, int64_t, float*, int64_t);
void f32_winograd_wgrad_dy_ukernel_c8__avx2(const float* const*, int64_t, float*, int64_t);
void f32_winograd_wgrad_dy_ukernel_c16__avx512f(const float* const*, int64_t, float*, int64_t);
void f32_winograd_wgrad_in_ukernel_4x6__avx2(const float* const*, int64_t, int64_t, float*,
                                             int64_t);
void f32_winograd_wgrad_dy_ukernel_4x6__avx2(const float* const*, int64_t, int64_t, float*,
                                             int64_t);
void f32_winograd_wgrad_in_ukernel_4x12__avx512f(const float* const*, int64_t, int64_t, float*,
                                                 int64_t);
void f32_winograd_wgrad_dy_ukernel_4x12__avx512f(const float* const*, int64_t, int64_t, float*,
                                                 int64_t);
void f32_winograd4_wgrad_dy_ukernel_c1__scalar(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_wgrad_dy_ukernel_c8__avx2(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_wgrad_dy_ukernel_c16__avx512f(const float* const*, int64_t, float*, int64_t);
void f32_winograd4_wgrad_in_ukernel_4x6__avx2(const float* const*, int64_t, int64_t, float*,
                                              int64_t);
void f32_winograd4_wgrad_in_ukernel_4x12__avx512f(const float* const*, int64_t, int64_t, float*,
                                                  int64_t);
void f32_winograd4_wgrad_out_ukernel_c1__scalar(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd4_wgrad_out_ukernel_c8__avx2(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd4_wgrad_out_ukernel_c16__avx512f(const float*, int64_t, int64_t, float*,
                                                  int64_t);
void f32_winograd_wgrad_out_ukernel_c1__scalar(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd_wgrad_out_ukernel_c8__avx2(const float*, int64_t, int64_t, float*, int64_t);
void f32_winograd_wgrad_out_ukernel_c16__avx512f(const float*, int64_t, int64_t, float*,
                                                 int64_t);

}  // namespace fastconv
