// Winograd F(3x3, 2x2) backward-filter for 3x3 / stride 1 / dilation 1 convolutions.
//
// dW[k][l][c][f] = sum over n, oh, ow of x[n][oh + k - pt][ow + l - pl][c] dy[n][oh][ow][f]
// (x zero outside the image). The outputs are cut into 2x2 tiles, as in the forward
// (conv2d_winograd.cpp): tile t = (n, th, tw) owns outputs (2 th + a, 2 tw + b), a, b in {0, 1}
// (outputs past OH / OW get dy = 0), and reads the 4x4 input patch d_t whose top-left pixel is
// (2 th - pt, 2 tw - pl), the same patch the forward transforms. Per tile, the 3x3 gradient is
// the F(3x3, 2x2) algorithm of conv/winograd_wgrad_ukernel.h:
//   dW_t = G^T [(A e_t A^T) (.) (B^T d_t B)] G,
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   (the forward's input transform, reused),
//   A   = [1 0; 1 1; 1 -1; 0 1],   G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 -1],
// so with V_xi (tiles x C) and E_xi (tiles x F) the 16 positions of the transformed tiles,
//   M_xi[C x F] = sum over tiles of V_xi^T E_xi     (16 independent GEMMs of depth = tiles)
//   dW = G^T M G                                    (once per (c, f), after the whole sum).
// That is 16 C F multiply-adds per tile of 4 outputs instead of 36 (2.25x fewer when OH, OW
// are even; 7x7 outputs use 49 of 64 tile slots: 1.72x). db is the sum of E_5 = (A e A^T)[1][1]
// = e00 + e01 + e10 + e11 over the tiles, taken from the transformed block while it is in cache.
//
// Layout. A block of TB tiles is transformed straight into the GEMM microkernel's packed
// layout: V_xi as MR-channel micro-panels (panel[t * MR + i] = V_xi(t, c0 + i)), E_xi as
// NR-filter micro-panels, zero past C / F (or, when F < C, E_xi on the MR side and V_xi on
// the NR side, and M_xi comes out as F x C). Both fit in L2 together with the chunk's M.
//
// Determinism. The tiles are cut into chunks whose number depends only on the shape; a chunk
// is summed by one thread, block after block in tile order (the microkernel adds each block's
// depth-TB product to M), into its own partial M and db; the partials are added in chunk
// order and then transformed. No step depends on the thread count, so dW and db are
// bit-identical for any number of threads.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/buffer.h"
#include "common/parallel.h"
#include "conv/conv_winograd.h"
#include "conv/conv_winograd_wgrad.h"
#include "dispatch/table.h"

namespace fastconv {
namespace {

// thread_scratch slots, both owned by conv2d_bwd_filter (whose other paths do not run at the
// same time on a thread): 2 the partials and a zero row on the calling thread, 4 each worker's
// transformed block.
constexpr int kScratchPartial = 2;
constexpr int kScratchBlock = 4;

// Floats of one block's V + E: 1 MiB of the 2 MiB L2 per core, the rest for the chunk's M
// (16 C F floats: 512 KiB for 64 -> 128 channels).
constexpr int64_t kBlockFloats = int64_t{1} << 18;
// Chunks of the tile reduction: at most 16, and their partials within 16 MiB.
constexpr int64_t kMaxChunks = 16;
constexpr int64_t kMinChunkTiles = 256;
constexpr int64_t kPartialBudget = int64_t{1} << 22;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// auto: 0 (the other paths), 2 or 4 by shape only (never by thread count).
int conv_bwd_filter_auto_tile(const ConvShape& s, bool has_f4) {
  // auto: where Winograd measured faster than conv2d_bwd_filter's other paths (process CPU
  // time, AVX-512, 1 thread unless noted). Lab layers at batch 100: 14x14x32->64 1.7-1.8x,
  // 7x7x64->128 1.25-1.6x; ResNet 56x56x64->64 batch 8 1.9-2.0x; 14x14x32->64 batch 1 / 2 / 4
  // 1.7x / 1.8-1.9x / 1.9x (2 threads, wall: 1.0x / 1.2-1.4x / 1.7x); 7x7x64->128 batch
  // 2 / 4 / 8 (32 / 64 / 128 tiles) 1.1x / 1.1-1.7x / 1.6x; few channels at batch 8, 14x14:
  // C = 5 / 6 / 8 1.4x / 1.6x / 1.3-1.8x (F = 1..16 alike). Slower: the direct path for C <= 4
  // (28x28x3->32 batch 8: 0.76x; 4->8: 0.97x), and fewer than 32 tiles (4x4x128->128 at
  // batch 2, 8 tiles: 0.77x; batch 4: 1.04x), where the single chunk runs on one thread while
  // the GEMM path splits dW between two. AVX2: lab layers 1.9x / 1.7x, 7x7x64->128 batch 4
  // 1.4x, 14x14x6->16 batch 8 2.2x.
  // Wide layers: 28x28x128->128 batch 8 1.8x, 14x14x256->256 1.55x, 14x14x128->256 batch 32
  // 1.4x, but 7x7x512->512 batch 8 0.99x: its 16 C F sums (16 MiB) fill the partial budget,
  // so one chunk (one thread) streams them through memory for every block of 16 tiles.
  const int64_t tiles = s.n * ((s.oh + 1) / 2) * ((s.ow + 1) / 2);
  if (tiles < 32 || s.c < 5 || s.c * s.f >= 512 * 512) return 0;
  // F(3x3, 4x4) (every ISA) over F(3x3, 2x2), AVX-512, 1 thread CPU time (2 threads
  // wall): lab 7x7x64->128 batch 100 1.31x, batch 32 / 16 / 8 (128 / 64 / 32 4x4 tiles, 49
  // of 64 slots used by either tiling) 1.22x / 1.12x (1.09x) / 1.12x (1.1x); 14x14x32->64
  // (4x4 tiles waste 60 of 256 slots, 2x2 tiles none) batch 100 1.15x, 16 / 8 1.05x / 1.07x,
  // 4 / 2 0.94x (0.82x) / 0.94x; ResNet 56x56x64->64 batch 8 1.43x; 28x28x128->128 1.37x,
  // 28x28x16->32 1.36x, 14x14x8->16 1.06x, 14x14x256->256 1.05x. So: from 128 4x4 tiles, or
  // from 32 where the 4x4 tiling needs at most 0.6x the 2x2 one's multiply-adds (36 vs 16 per
  // tile: 7x7 outputs 0.56x, 14x14 0.73x).
  // AVX2 (its F(3x3, 4x4) kernels since 2026-11-28), F(3x3, 2x2) -> F(3x3, 4x4), 1 thread: lab
  // 14x14x32->64 batch 100 9.1 -> 7.4 ms, 7x7x64->128 9.3 -> 6.8, 56x56x64 batch 8 14.7 -> 9.1,
  // 28x28x16->32 batch 8 0.68 -> 0.46; the same rule holds there.
  const int64_t tiles4 = s.n * ((s.oh + 3) / 4) * ((s.ow + 3) / 4);
  if (!has_f4 || tiles4 < 32) return 2;
  return tiles4 >= 128 || 36 * tiles4 * 10 <= 16 * tiles * 6 ? 4 : 2;
}

}  // namespace

int conv_bwd_filter_winograd_tile(const ConvShape& s) {
  if (s.kh != 3 || s.kw != 3 || s.sh != 1 || s.sw != 1 || s.dh != 1 || s.dw != 1) return 0;
  const ConvWinogradKernels& wk = active_table().conv_winograd;
  const ConvWinogradWgradKernels& wg = active_table().conv_winograd_wgrad;
  const bool has_f4 = wk.input4 != nullptr && wg.dy_f4 != nullptr && wg.output_f4 != nullptr;
  switch (conv_algo()) {
    case ConvAlgo::kDirect: return 0;
    case ConvAlgo::kWinograd: return 2;
    case ConvAlgo::kWinograd4: return has_f4 ? 4 : 2;
    default: break;
  }
  return conv_bwd_filter_auto_tile(s, has_f4);
}

bool conv_bwd_filter_use_winograd(const ConvShape& s) {
  return conv_bwd_filter_winograd_tile(s) != 0;
}

// x (N,H,W,C), dy (N,OH,OW,F) -> dw (3,3,C,F), db (F) or null; 3x3, stride 1, dilation 1,
// any padding.
void conv2d_bwd_filter_winograd(const ConvShape& s, int tile, const float* x, const float* dy,
                                float* dw, float* db) {
  const int64_t C = s.c, F = s.f, OH = s.oh, OW = s.ow, H = s.h, W = s.w;
  // F(3x3, 2x2): 2x2 dy tiles, 4x4 patches, 16 positions; F(3x3, 4x4): 4x4, 6x6, 36.
  const int m = tile == 4 ? 4 : 2, PS = m + 2, P = PS * PS, PD = m * m;
  const int64_t th_n = (OH + m - 1) / m, tw_n = (OW + m - 1) / m;
  const int64_t T = s.n * th_n * tw_n;
  if (T == 0 || C == 0 || F == 0) {
    std::fill(dw, dw + 9 * C * F, 0.0f);
    if (db != nullptr) std::fill(db, db + F, 0.0f);
    return;
  }
  const GemmKernel& kern = active_table().gemm;
  const ConvWinogradKernels& wk = active_table().conv_winograd;
  const ConvWinogradWgradKernels& wg = active_table().conv_winograd_wgrad;
  const WinogradInFn input = m == 4 ? wk.input4 : wk.input;
  const WinogradWgradDyFn dyfn = m == 4 ? wg.dy_f4 : wg.dy;
  const WinogradWgradOutFn outfn = m == 4 ? wg.output_f4 : wg.output;
  // db: the position whose E sums the whole dy tile (A's row of ones: (1, 1)).
  const int xi_db = PS + 1;
  const int MR = kern.mr, NR = kern.nr;
  // Which side is the microkernel's row side (MR-wide A micro-panels): the one with fewer
  // values per tile, so the transposition of the sums (F rows) is only needed when C > F.
  // Where the ISA has 4-tile panel kernels (whole-vector stores of 12-wide rows on AVX-512,
  // 6-wide on AVX2) they fill the A panels; otherwise the per-tile transforms do. Measured on
  // AVX-512, 1 thread: 7x7x64->128 with C as rows (72 x 128 padded) 6.29 ms, with F as rows
  // (132 x 64, 8% fewer multiply-adds) 6.45 ms; 14x14x32->64 and 64->64 equal. (AVX2 with
  // one maskstore per 6-lane row instead of the panel kernels: 14x14x32->64 at batch 100
  // took 15.9 ms, with them 6.8 ms.)
  // (F(3x3, 4x4) has an input panel kernel only: its E side is the A side only when F < C.)
  const WinogradWgradPanelFn panel_in = m == 4 ? wg.input4_f4 : wg.input4;
  const WinogradWgradPanelFn panel_dy = m == 4 ? nullptr : wg.dy4;
  const bool f_rows = F < C;
  const bool panel_v = !f_rows && wg.panel == MR && panel_in != nullptr;
  const bool panel_e = f_rows && wg.panel == MR && panel_dy != nullptr;
  const int PV = f_rows ? NR : MR, PE = f_rows ? MR : NR;  // panel widths of V and E
  const int64_t vpanels = (C + PV - 1) / PV, epanels = (F + PE - 1) / PE;

  // M_xi of a partial: C x F (row stride F), or F x C (row stride C) when F takes the rows;
  // 16 floats more than C F apart so the 16 read streams of the sums do not share L1 sets;
  // db after the 16 matrices.
  const int64_t ms = C * F + 16;
  const int64_t total = round_up(P * ms + F, 16);

  // A power of two of chunks (an even split between 2 or 4 threads), fixed by the shape: two
  // from 64 tiles on, more only from kMinChunkTiles each (every chunk costs a 16 C F partial
  // to store and add: 7x7x64->128 at batch 100, 1 thread, 6.1 ms in 4 chunks, 7.3 ms in 16).
  const int64_t max_chunks = std::min<int64_t>(
      {kMaxChunks,
       std::max<int64_t>({1, std::min<int64_t>(2, T / 32), T / kMinChunkTiles}),
       std::max<int64_t>(1, kPartialBudget / total)});
  int64_t nchunks0 = 1;
  while (nchunks0 * 2 <= max_chunks) nchunks0 *= 2;
  const int64_t chunk = (T + nchunks0 - 1) / nchunks0;
  const int64_t nchunks = (T + chunk - 1) / chunk;

  // Tiles per block: V + E within the L2 budget (at least 16 tiles of depth per microkernel
  // call), never more than a chunk.
  int64_t TB = kBlockFloats / (P * (vpanels * PV + epanels * PE));
  TB = std::min(std::max<int64_t>(TB, 16), chunk);
  // Per position: the panels one after another; 64-byte aligned panels (B micro-panels are
  // read with aligned loads), 16 floats of skew between positions.
  // Panels hold TB rows rounded up to 4 (the panel kernels write groups of 4 tiles).
  const int64_t TB4 = round_up(TB, 4);
  const int64_t vpanel = round_up(TB4 * PV, 16), epanel = round_up(TB4 * PE, 16);
  const int64_t vs = vpanels * vpanel + 16, es = epanels * epanel + 16;

  // The partials, a zero row, and (F x C orientation) the transposed sum.
  const int64_t extra = std::max(C, F), tsize = f_rows ? P * ms : 0;
  float* partial = thread_scratch(kScratchPartial,
                                  static_cast<size_t>(nchunks * total + extra + tsize));
  float* zeros = partial + nchunks * total;
  std::fill(zeros, zeros + extra, 0.0f);

  const int nt = omp_get_max_active_levels() > 1
                     ? 1
                     : static_cast<int>(std::min<int64_t>(
                           threads_for(2.0 * P * static_cast<double>(T) * C * F, 1.0e6),
                           nchunks));
  int64_t patch_off[36];
  for (int a = 0; a < PS; ++a)
    for (int b = 0; b < PS; ++b) patch_off[a * PS + b] = (a * W + b) * C;

#pragma omp parallel num_threads(nt)
  {
    float* vbuf = thread_scratch(kScratchBlock, static_cast<size_t>(P * (vs + es)));
    float* ebuf = vbuf + P * vs;
    // The lanes past C in the last V panel and past F in the last E panel are never written
    // by the transforms: zero them (the microkernel multiplies them into rows / columns it
    // does not store; stale NaNs or subnormals there would only cost time).
    const int64_t v_tail = C - (vpanels - 1) * PV, e_tail = F - (epanels - 1) * PE;
    for (int xi = 0; xi < P; ++xi) {
      float* pv = vbuf + xi * vs + (vpanels - 1) * vpanel;
      for (int64_t i = 0; i < TB4 && v_tail < PV; ++i)
        std::fill(pv + i * PV + v_tail, pv + (i + 1) * PV, 0.0f);
      float* pe = ebuf + xi * es + (epanels - 1) * epanel;
      for (int64_t i = 0; i < TB4 && e_tail < PE; ++i)
        std::fill(pe + i * PE + e_tail, pe + (i + 1) * PE, 0.0f);
    }
    std::vector<const float*> vptrs(static_cast<size_t>(P * TB4)),
        dptrs(static_cast<size_t>(PD * TB4));
    const float* pp[36];
    const float* ep[16];
    UkernelParams params;

#pragma omp for schedule(dynamic, 1)
    for (int64_t ch = 0; ch < nchunks; ++ch) {
      float* mpart = partial + ch * total;
      float* dbpart = mpart + P * ms;
      std::fill(dbpart, dbpart + F, 0.0f);
      const int64_t c_begin = ch * chunk, c_end = std::min(T, c_begin + chunk);
      for (int64_t t0 = c_begin; t0 < c_end; t0 += TB) {
        const int64_t tb = std::min(TB, c_end - t0);
        // Pointers of the tiles' patches and dy pixels; (n, th, tw) advanced incrementally.
        int64_t n = t0 / (th_n * tw_n), th = t0 / tw_n % th_n, tw = t0 % tw_n;
        for (int64_t i = 0; i < tb; ++i) {
          const float** ptrs = vptrs.data() + i * P;
          const int64_t ih0 = m * th - s.pt, iw0 = m * tw - s.pl;
          const float* img = x + n * H * W * C;
          if (ih0 >= 0 && ih0 + PS - 1 < H && iw0 >= 0 && iw0 + PS - 1 < W) {
            const float* base = img + (ih0 * W + iw0) * C;
            for (int k = 0; k < P; ++k) ptrs[k] = base + patch_off[k];
          } else {
            for (int a = 0; a < PS; ++a) {
              const int64_t ih = ih0 + a;
              for (int b = 0; b < PS; ++b) {
                const int64_t iw = iw0 + b;
                ptrs[a * PS + b] =
                    (ih >= 0 && ih < H && iw >= 0 && iw < W) ? img + (ih * W + iw) * C : zeros;
              }
            }
          }
          // dy pixels of the tile, row-major; outputs past OH / OW read zeros.
          const float** eptrs = dptrs.data() + i * PD;
          for (int a = 0; a < m; ++a) {
            const int64_t oh = m * th + a;
            for (int b = 0; b < m; ++b) {
              const int64_t ow = m * tw + b;
              eptrs[a * m + b] = oh < OH && ow < OW ? dy + ((n * OH + oh) * OW + ow) * F : zeros;
            }
          }
          if (++tw == tw_n) {
            tw = 0;
            if (++th == th_n) th = 0, ++n;
          }
        }
        // The panel kernels' last group of 4 reads zero rows for the tiles past the block.
        for (int64_t i = tb; i < round_up(tb, 4) && panel_v; ++i)
          std::fill(vptrs.begin() + i * P, vptrs.begin() + (i + 1) * P, zeros);
        for (int64_t i = tb; i < round_up(tb, 4) && panel_e; ++i)
          std::fill(dptrs.begin() + i * PD, dptrs.begin() + (i + 1) * PD, zeros);
        // Transforms, one panel at a time (tile-major order measured no different).
        for (int64_t cp = 0; cp < vpanels; ++cp) {
          const int64_t nc = std::min<int64_t>(PV, C - cp * PV);
          if (panel_v) {
            for (int64_t i = 0; i < tb; i += 4)
              panel_in(vptrs.data() + i * P, cp * PV, nc, vbuf + cp * vpanel + i * PV, vs);
            continue;
          }
          for (int64_t i = 0; i < tb; ++i) {
            for (int k = 0; k < P; ++k) pp[k] = vptrs[i * P + k] + cp * PV;
            input(pp, nc, vbuf + cp * vpanel + i * PV, vs);
          }
        }
        for (int64_t fp = 0; fp < epanels; ++fp) {
          const int64_t nf = std::min<int64_t>(PE, F - fp * PE);
          if (panel_e) {
            for (int64_t i = 0; i < tb; i += 4)
              panel_dy(dptrs.data() + i * PD, fp * PE, nf, ebuf + fp * epanel + i * PE, es);
            continue;
          }
          for (int64_t i = 0; i < tb; ++i) {
            for (int k = 0; k < PD; ++k) ep[k] = dptrs[i * PD + k] + fp * PE;
            dyfn(ep, nf, ebuf + fp * epanel + i * PE, es);
          }
        }
        // db += the block's E rows at xi_db (the sum of each tile's dy), in tile order.
        for (int64_t fp = 0; fp < epanels; ++fp) {
          const float* __restrict e5 = ebuf + xi_db * es + fp * epanel;
          const int64_t nj = std::min<int64_t>(PE, F - fp * PE);
          float* __restrict dbp = dbpart + fp * PE;
          for (int64_t i = 0; i < tb; ++i)
            for (int64_t j = 0; j < nj; ++j) dbp[j] += e5[i * PE + j];
        }
        // P products M_xi += V_xi^T E_xi (or E_xi^T V_xi; the chunk's first block stores
        // instead). The B micro-panel (tb x NR) stays in L1 while the A panels stream past.
        params.beta = t0 == c_begin ? 0.0f : 1.0f;
        for (int xi = 0; xi < P; ++xi) {
          const float* v_xi = vbuf + xi * vs;
          const float* e_xi = ebuf + xi * es;
          float* m_xi = mpart + xi * ms;
          if (f_rows) {
            for (int64_t cp = 0; cp < vpanels; ++cp) {
              const int nn = static_cast<int>(std::min<int64_t>(NR, C - cp * NR));
              for (int64_t fp = 0; fp < epanels; ++fp)
                kern.ukernel(tb, e_xi + fp * epanel, v_xi + cp * vpanel, NR,
                             m_xi + fp * MR * C + cp * NR, C,
                             static_cast<int>(std::min<int64_t>(MR, F - fp * MR)), nn, params);
            }
          } else {
            for (int64_t fp = 0; fp < epanels; ++fp) {
              const int nn = static_cast<int>(std::min<int64_t>(NR, F - fp * NR));
              for (int64_t cp = 0; cp < vpanels; ++cp)
                kern.ukernel(tb, v_xi + cp * vpanel, e_xi + fp * epanel, NR,
                             m_xi + cp * MR * F + fp * NR, F,
                             static_cast<int>(std::min<int64_t>(MR, C - cp * MR)), nn, params);
            }
          }
        }
      }
    }
  }

  // Partials added into the first in chunk order (each element p0 + p1 + ...), threads taking
  // fixed element ranges; then (F x C orientation) each M_xi transposed to C x F; then
  // dW = G^T M G per input channel.
  float* sum = partial;
  if (nchunks > 1) {
    const int ntr = threads_for(static_cast<double>(total) * nchunks, 1.0e5);
#pragma omp parallel for schedule(static) num_threads(ntr)
    for (int64_t e0 = 0; e0 < total; e0 += 4096) {
      const int64_t e1 = std::min(total, e0 + 4096);
      float* __restrict dst = sum;
      for (int64_t t = 1; t < nchunks; ++t) {
        const float* __restrict part = partial + t * total;
        for (int64_t e = e0; e < e1; ++e) dst[e] += part[e];
      }
    }
  }
  const float* mm = sum;
  if (f_rows) {
    float* mt = zeros + extra;
    const int ntt = threads_for(static_cast<double>(P) * C * F, 1.0e5);
#pragma omp parallel for schedule(static) num_threads(ntt)
    for (int xi = 0; xi < P; ++xi) {
      const float* __restrict src = sum + xi * ms;
      float* __restrict dst = mt + xi * ms;
      // 16 x 16 blocks: the block's source rows stay in L1 while its columns are written.
      for (int64_t f0 = 0; f0 < F; f0 += 16) {
        const int64_t f1 = std::min(F, f0 + 16);
        for (int64_t c0 = 0; c0 < C; c0 += 16) {
          const int64_t c1 = std::min(C, c0 + 16);
          for (int64_t c = c0; c < c1; ++c)
            for (int64_t f = f0; f < f1; ++f) dst[c * F + f] = src[f * C + c];
        }
      }
    }
    mm = mt;
  }
  const int nto = threads_for(static_cast<double>(C) * F * P, 1.0e5);
#pragma omp parallel for schedule(static) num_threads(nto)
  for (int64_t c = 0; c < C; ++c) outfn(mm + c * F, ms, F, dw + c * F, C * F);
  if (db != nullptr) std::copy(sum + P * ms, sum + P * ms + F, db);
}

}  // namespace fastconv
