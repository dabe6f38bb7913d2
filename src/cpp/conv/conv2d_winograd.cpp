// Winograd F(2x2, 3x3) and F(4x4, 3x3) forward convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016). F(2x2, 3x3) is described here; F(4x4, 3x3) is the same
// scheme with 6x6 patches, 36 positions xi (36 GEMMs) and 4x4 output tiles, its matrices in
// conv/winograd4_math.h (36 C F multiply-adds per 16 outputs: 4x fewer than direct when full).
//
// The output is cut into 2x2 tiles; tile t reads the 4x4 input patch d_t whose top-left pixel
// is (2 th - pad_top, 2 tw - pad_left) (pixels outside the image are zero: padding, and past
// the bottom/right edge only for outputs that are clipped away). With
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
//   A^T = [1 1 1 0; 0 1 -1 -1],
// every channel's patch becomes V = B^T d B and every filter's 3x3 slice U = G g G^T (4x4 each),
// and the 16 positions xi of those 4x4 matrices give 16 independent GEMMs
//   M_xi[tiles x F] = V_xi[tiles x C] . U_xi[C x F],
// after which Y_t = A^T M_t A is the 2x2 output tile (bias and ReLU fused into that store).
// That is 16 C F multiply-adds per 4 outputs instead of 36: 2.25x fewer when the tiles are full.
//
// Blocking: U for all 16 positions is built once per call (NR-column panels, the layout the
// GEMM microkernel reads fastest). Threads take blocks of TB tiles; a block's transformed input
// (TB x 16 x C) and its products (TB x 16 x F) stay in the thread's L2 between the input
// transform, the 16 GEMMs and the output transform. When all tiles fit one block (batch-1
// layers), the kernel is transformed per panel of filters inside the GEMM loop instead
// (winograd_one_block), with the same arithmetic.
//
// Determinism: every output element belongs to one tile, computed by one thread from that
// tile's own V rows with a fixed operation order (blocks do not depend on the thread count, and
// a microkernel row's sums do not depend on which tile-row of the kernel it lands in), so y is
// bit-identical for any number of threads.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/parallel.h"
#include "common/task_pool.h"
#include "conv/conv_winograd.h"
#include "dispatch/table.h"
#include "pool/pool2d.h"
#include "pool/ukernel.h"

namespace fastconv {
namespace {

// thread_scratch slots: 6 holds U and a zero row on the calling thread (the workers only read
// it), 7 each thread's V and M blocks; in the one-block path 7 holds V and a zero row on the
// calling thread and 6 each thread's kernel-transform chunk and products. Slots 0-5 belong to the GEMM driver, conv2d_fwd (2, 5),
// conv2d_bwd_data (3, alive while it calls conv2d_fwd) and conv2d_bwd_filter (2, 4).
constexpr int kScratchU = 6;
constexpr int kScratchBlock = 7;

// Budget for one block's V + M in floats: 512 KiB of the 2 MiB L2 per core, leaving the rest
// for U (36 x 64 x 128 floats = 1.2 MB for the lab's 7x7x64 -> 128 under F(4x4, 3x3)) and the
// output rows. With 1 MiB, V + M + U overflowed L2 there: 12 tiles a block instead of 36 made
// its forward and backward-data 6% faster on 1 thread and 10% on 2 (more blocks to share).
// Where U cannot stay in L2 anyway (kLargeU), each U_xi is streamed once per block, so a block
// keeps at least two row-tiles (ResNet's 14x14x256 -> 256: 12 tiles a block were 5% slower).
constexpr int64_t kBlockFloats = int64_t{1} << 17;
constexpr int64_t kLargeU = int64_t{1} << 19;  // floats (2 MiB)
// Below this many flops a one-block job runs on the calling thread alone (winograd_one_block).
constexpr double kSplitMinFlops = 1.6e7;

// Atomic: Python threads may run convolutions (GIL released) while another one reads it.
std::atomic<ConvAlgo> g_algo{ConvAlgo::kAuto};
std::once_flag g_algo_once;

void read_env_once() {
  std::call_once(g_algo_once, [] {
    const char* env = std::getenv("FASTCONV_CONV_ALGO");
    if (env == nullptr || *env == '\0') return;
    ConvAlgo a;
    if (!parse_conv_algo(env, &a))
      throw std::invalid_argument(std::string("FASTCONV_CONV_ALGO='") + env +
                                  "' is not one of direct, winograd, winograd4, auto");
    g_algo = a;
  });
}

// U = G g G^T for every (c, f) (the table's kernel transform), into
// u[(xi * npanels + jp) * C * NR + c * NR + j] = U_xi(c, jp * NR + j), zero past F, for the P
// positions xi (16 for F(2x2, 3x3), 36 for F(4x4, 3x3)). tmp: P * F floats. One channel at a
// time through tmp: the P destination rows are npanels * C * NR floats apart (often a multiple
// of 4 KiB), and P interleaved store streams at such a stride would fight over one L1 set.
void transform_kernel(WinogradKernelFn kernel, int P, const float* w, int64_t C, int64_t F,
                      int NR, float* tmp, float* u) {
  const int64_t npanels = (F + NR - 1) / NR;
  const int64_t panel = C * NR, xi_stride = npanels * panel;
  // Channels are independent: threads split them (each with its own staging rows; the calling
  // thread uses tmp). Writing U (1.2 MB for 3x3x64x128 under F(4x4, 3x3)) on one thread was a
  // tenth of the lab's 7x7x64 -> 128 forward on 2 threads.
  const int nt = threads_for(static_cast<double>(P) * C * F, 2.0e5);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t c = 0; c < C; ++c) {
    thread_local std::vector<float> own;
    float* stage = tmp;
    if (omp_get_thread_num() != 0) {
      own.resize(static_cast<size_t>(P * F));
      stage = own.data();
    }
    kernel(w + c * F, C * F, F, stage, F);
    for (int xi = 0; xi < P; ++xi)
      for (int64_t jp = 0; jp < npanels; ++jp) {
        const int64_t nj = std::min<int64_t>(NR, F - jp * NR);
        float* dst = u + xi * xi_stride + jp * panel + c * NR;
        const float* src = stage + xi * F + jp * NR;
        // An inline loop, not memcpy + fill: P * npanels calls per channel of 128 bytes each
        // cost 9% of the lab's 7x7x64 -> 128 forward on 2 threads (this runs on one).
        int64_t j = 0;
        for (; j < nj; ++j) dst[j] = src[j];
        for (; j < NR; ++j) dst[j] = 0.0f;  // the microkernel reads whole packed panels
      }
  }
}

// Tile geometry of one forward call: m x m output tiles from alpha x alpha input patches.
struct Tiles {
  int m = 2, alpha = 4, P = 16;
  int64_t th_n = 0, tw_n = 0;
  int64_t patch_off[36];  // offsets of the P patch pixels from the patch's top-left pixel
  Tiles(const ConvShape& s, int m_) : m(m_), alpha(m_ + 2), P((m_ + 2) * (m_ + 2)) {
    th_n = (s.oh + m - 1) / m;
    tw_n = (s.ow + m - 1) / m;
    for (int a = 0; a < alpha; ++a)
      for (int b = 0; b < alpha; ++b) patch_off[a * alpha + b] = (a * s.w + b) * s.c;
  }
};

// Input transform of tiles [t0, t0 + tb): V_xi row i (C floats at v + xi * vs + i * C) from
// tile t0 + i's patch. zeros: C zeros (pixels outside the image).
void input_tiles(const ConvShape& s, const Tiles& g, WinogradInFn input, const float* x,
                 const float* zeros, int64_t t0, int64_t tb, float* v, int64_t vs) {
  const int64_t C = s.c, H = s.h, W = s.w;
  const float* ptrs[36];
  // (n, th, tw) of tile t0 + i, advanced incrementally.
  int64_t n = t0 / (g.th_n * g.tw_n), th = t0 / g.tw_n % g.th_n, tw = t0 % g.tw_n;
  for (int64_t i = 0; i < tb; ++i) {
    const int64_t ih0 = g.m * th - s.pt, iw0 = g.m * tw - s.pl;
    const float* img = x + n * H * W * C;
    if (ih0 >= 0 && ih0 + g.alpha - 1 < H && iw0 >= 0 && iw0 + g.alpha - 1 < W) {
      const float* base = img + (ih0 * W + iw0) * C;
      for (int k = 0; k < g.P; ++k) ptrs[k] = base + g.patch_off[k];
    } else {
      for (int a = 0; a < g.alpha; ++a) {
        const int64_t ih = ih0 + a;
        for (int b = 0; b < g.alpha; ++b) {
          const int64_t iw = iw0 + b;
          ptrs[a * g.alpha + b] =
              (ih >= 0 && ih < H && iw >= 0 && iw < W) ? img + (ih * W + iw) * C : zeros;
        }
      }
    }
    input(ptrs, C, v + i * C, vs);
    if (++tw == g.tw_n) {
      tw = 0;
      if (++th == g.th_n) th = 0, ++n;
    }
  }
}

// Output transform of tiles [t0, t0 + tb) for filters [j0, j0 + nf): tile t0 + i's P products
// are at mb + xi * ms + i * ldr. Outputs past the bottom/right edge go to `dummy` (nf floats).
// y is the whole output, or with tr0 >= 0 a buffer of whole tile rows from tile row tr0 on
// (tile row n * th_n + th: output rows m * th ... of image n), m rows of OW pixels each.
void output_tiles(const ConvShape& s, const Tiles& g, WinogradOutFn output, const float* mb,
                  int64_t ldr, int64_t ms, int64_t j0, int64_t nf, const float* bias, bool relu,
                  float* dummy, int64_t t0, int64_t tb, float* y, int64_t tr0 = -1) {
  const int64_t F = s.f, OH = s.oh, OW = s.ow;
  float* yp[16];
  int64_t n = t0 / (g.th_n * g.tw_n), th = t0 / g.tw_n % g.th_n, tw = t0 % g.tw_n;
  for (int64_t i = 0; i < tb; ++i) {
    const int64_t oh = g.m * th, ow = g.m * tw;
    const int64_t row0 = tr0 < 0 ? n * OH + oh : (n * g.th_n + th - tr0) * g.m;
    for (int a = 0; a < g.m; ++a)
      for (int b = 0; b < g.m; ++b)
        yp[a * g.m + b] = oh + a < OH && ow + b < OW
                              ? y + ((row0 + a) * OW + ow + b) * F + j0
                              : dummy;  // clipped: written, never read
    output(mb + i * ldr, ms, nf, bias ? bias + j0 : nullptr, relu, yp);
    if (++tw == g.tw_n) {
      tw = 0;
      if (++th == g.th_n) th = 0, ++n;
    }
  }
}

// Every tile in one block (batch-1 layers, small images): the kernel transform moves into the
// loop over weight panels. The blocked path below builds U for all P positions and all F
// filters up front (P C F floats: 0.5 MB for the lab's 7x7x64 -> 128 under F(2x2, 3x3), 16 MB
// for ResNet's 7x7x512 -> 512) and then streams it once through the GEMMs, because only a few
// tiles share it. Here a task owns one panel of NR filters: it transforms depth chunks of that
// panel into a buffer that stays in L1/L2 (P x KC x NR floats) and runs the P GEMMs on each
// chunk at once, so U is never written out and read back and the panels give threads work to
// share. The same transform calls, the same microkernel calls over the same depth chunks and
// row tiles, and the same output transform (per panel instead of all filters at once) as the
// blocked path: y is bit-identical to it, for any thread count.
void winograd_one_block(const ConvShape& s, const Tiles& g, WinogradKernelFn ktransform,
                        WinogradInFn input, WinogradOutFn output, const float* x,
                        const float* w, const float* bias, bool relu, float* y) {
  const int64_t C = s.c, F = s.f, P = g.P;
  const int64_t T = s.n * g.th_n * g.tw_n;
  const GemmKernel& kern = active_table().gemm;
  const int MR = kern.mr, NR = kern.nr;
  const int64_t npanels = (F + NR - 1) / NR;
  const int64_t KC = std::min<int64_t>(kern.kc, C);
  const bool a_in_place = kern.strided_a;

  // V on the calling thread (P matrices T x C, 16 floats more than whole rows apart so the
  // P store streams do not share an L1 set), then C zeros for padding pixels.
  const int64_t vs = T * C + 16;
  float* vbuf = thread_scratch(kScratchBlock, static_cast<size_t>(P * vs + C));
  float* zeros = vbuf + P * vs;
  std::fill(zeros, zeros + C, 0.0f);
  input_tiles(s, g, input, x, zeros, 0, T, vbuf, vs);

  // Per task: U chunk (P x (KC x NR) + 16), M panel (P x (T x NR) + 16), packed A, dummy row.
  const int64_t us = KC * NR + 16, msp = T * NR + 16;
  const int64_t a_size = a_in_place ? 0 : (MR * KC + 15) / 16 * 16;
  const size_t task_floats = static_cast<size_t>(P * (us + msp) + a_size + NR);
  auto panel_task = [&](int64_t jp) {
    float* ub = thread_scratch(kScratchU, task_floats);
    float* mp = ub + P * us;
    float* apack = mp + P * msp;
    float* dummy = apack + a_size;
    const int64_t j0 = jp * NR;
    const int nj = static_cast<int>(std::min<int64_t>(NR, F - j0));
    if (nj < NR)  // the transform writes nj columns; the microkernel reads whole panel rows
      for (int64_t r = 0; r < P * KC; ++r) {
        float* row = ub + (r / KC) * us + (r % KC) * NR;
        std::fill(row + nj, row + NR, 0.0f);
      }
    UkernelParams params;
    for (int64_t pc = 0; pc < C; pc += KC) {
      const int64_t kc = std::min(KC, C - pc);
      for (int64_t c = pc; c < pc + kc; ++c)
        ktransform(w + c * F + j0, C * F, nj, ub + (c - pc) * NR, us);
      params.beta = pc == 0 ? 0.0f : 1.0f;  // depth chunks after the first accumulate
      for (int64_t xi = 0; xi < P; ++xi) {
        const float* v_xi = vbuf + xi * vs;
        for (int64_t i0 = 0; i0 < T; i0 += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, T - i0));
          const float* a_panel = v_xi + i0 * C + pc;
          if (a_in_place) {
            params.lda = C;
          } else {
            params.lda = 0;
            active_table().packt(a_panel, C, mr, kc, MR, apack);
            a_panel = apack;
          }
          kern.ukernel(kc, a_panel, ub + xi * us, NR, mp + xi * msp + i0 * NR, NR, mr, nj,
                       params);
        }
      }
    }
    output_tiles(s, g, output, mp, NR, msp, j0, nj, bias, relu, dummy, 0, T, y);
  };

  // Threads share the panels only for larger jobs: a helper reads V from the caller's cache
  // and writes its part of y into it, which costs more than it saves below ~1.6e7 flops.
  // Measured 2 threads, split / one thread, us: 1x14x14x32 -> 64 56 / 44, 3x8x8x32 -> 96
  // 82 / 61, 1x7x7x64 -> 128 62 / 57, 2x14x14x16 -> 64 82 / 82; 1x7x7x256 -> 256 357 / 531.
  const double flops = 2.0 * P * T * C * F;
  const int nt = flops < kSplitMinFlops
                     ? 1
                     : static_cast<int>(std::min<int64_t>(threads_for(flops, 1.0e6), npanels));
  if (nt <= 1) {
    for (int64_t jp = 0; jp < npanels; ++jp) panel_task(jp);
    return;
  }
  if (flops <= kTaskPoolMaxFlops) {
    run_tasks(npanels, nt, panel_task);  // no team barrier for a job of a few microseconds
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t jp = 0; jp < npanels; ++jp) panel_task(jp);
}

}  // namespace

bool parse_conv_algo(const char* name, ConvAlgo* out) {
  const std::string s(name);
  if (s == "auto") *out = ConvAlgo::kAuto;
  else if (s == "direct") *out = ConvAlgo::kDirect;
  else if (s == "winograd") *out = ConvAlgo::kWinograd;
  else if (s == "winograd4") *out = ConvAlgo::kWinograd4;
  else return false;
  return true;
}

const char* conv_algo_name(ConvAlgo algo) {
  switch (algo) {
    case ConvAlgo::kDirect: return "direct";
    case ConvAlgo::kWinograd: return "winograd";
    case ConvAlgo::kWinograd4: return "winograd4";
    default: return "auto";
  }
}

ConvAlgo conv_algo() {
  read_env_once();
  return g_algo;
}

void set_conv_algo(ConvAlgo algo) {
  read_env_once();  // so a later first read cannot overwrite the explicit choice
  g_algo = algo;
}

int conv_winograd_tile(const ConvShape& s) {
  if (s.kh != 3 || s.kw != 3 || s.sh != 1 || s.sw != 1 || s.dh != 1 || s.dw != 1) return 0;
  const bool have4 = active_table().conv_winograd.input4 != nullptr;
  switch (conv_algo()) {
    case ConvAlgo::kDirect: return 0;
    case ConvAlgo::kWinograd: return 2;
    case ConvAlgo::kWinograd4: return have4 ? 4 : 2;
    default: break;
  }
  // auto: where Winograd measured faster (1 thread, process CPU time, AVX-512 unless noted).
  // The kernel transform costs ~C F per call whatever the batch, so enough tiles are needed to
  // pay for it, more when odd output sizes waste part of the edge tiles (7x7: 49 of 64 outputs
  // used, 1.72x fewer multiply-adds instead of 2.25x): 7x7x64->128 at batch 4 / 6 / 8 / 100
  // (64 / 96 / 128 / 1600 tiles): 0.94x / 0.95x / 1.03-1.05x / 1.16-1.25x; 14x14x32->64 at
  // batch 1 / 2 / 3 (49 / 98 / 147 tiles): 1.07x / 1.13x / 1.11x (AVX2: 1.21x at batch 2).
  const int64_t tiles = s.n * ((s.oh + 1) / 2) * ((s.ow + 1) / 2);
  const double reduction = 9.0 * static_cast<double>(s.m()) / (16.0 * tiles);  // 2.25 if full
  if (tiles < (reduction >= 2.0 ? 96 : 128)) return 0;
  const int64_t tiles4 = s.n * ((s.oh + 3) / 4) * ((s.ow + 3) / 4);
  // A GEMM microkernel that cannot read the transformed input in place (AVX2, scalar) packs it
  // once per position and block. Under F(2x2, 3x3) that only paid with more channels (AVX2 at
  // 4900 tiles: 32->64 1.18x, 32->32 1.02x, 16->64 0.99x, 16->16 0.79x); F(4x4, 3x3), with 2.25x
  // fewer products than F(2x2) for the same packing, pays from 8 channels and 16 filters, and up
  // to ~384 C F per 4x4 tile. Measured AVX2, 1 thread, direct / F(2x2) / F(4x4) ms: 8x28x28x16 ->
  // 16 0.63 / 0.82 / 0.51; 8 -> 16 0.375 / 0.58 / 0.371; 3 -> 32 0.36 / 1.16 / 0.59 (direct);
  // 32 -> 32 1.47 / 1.15 / 0.72; lab 100x14x14x32 -> 64 8.9 / 6.0 / 4.6 and 100x7x7x64 -> 128
  // 8.7 / 6.4 / 4.2; 56x56x64 b8 22.5 / 14.2 / 9.0; 16x8x8x128 -> 128 3.8 / 2.3 / 1.8; 8x14x14x256
  // -> 256 26.9 / 14.1 / 14.8 (F(2x2)). Scalar: 8x28x28x16 -> 32 12.3 / 2.8 / 1.8.
  if (!active_table().gemm.strided_a) {
    if (active_table().conv_winograd.input4 != nullptr && s.c >= 8 && s.f >= 16 &&
        tiles4 >= 32 && 384 * tiles4 > s.c * s.f)
      return 4;
    return s.c >= 32 && s.f >= 64 ? 2 : 0;
  }
  if (s.c < 16 || s.f < 16) return 0;
  // F(4x4, 3x3) does 36 instead of 4 x 16 multiplies per 4x4 outputs, but its kernel
  // transform (36 C F floats, built per call) and its transforms' larger patches have to be
  // paid for by enough tiles. Measured (1 thread, CPU time, forward / backward-data ms, F(2x2)
  // -> F(4x4)): lab 7x7x64->128 b100 (400 4x4 tiles, C F = 8192) 4.30 -> 3.55 / 4.00 -> 3.36;
  // 14x14x32->64 b100 (1600, 2048) 4.22 -> 3.40 / 3.92 -> 3.16; 56x56x64->64 b8 (1568, 4096)
  // 9.66 -> 6.39; 28x28x128->128 b8 (392, 16384) 8.38 -> 8.38 (tie); 14x14x256->256 b8 (128,
  // 65536) 13.0 -> 19.6; 8x8x128->128 b16 (64, 16384) 1.50 -> 2.45.
  if (active_table().conv_winograd.input4 != nullptr && tiles4 >= 64 && 32 * tiles4 > s.c * s.f)
    return 4;
  return 2;
}

bool conv_use_winograd(const ConvShape& s) { return conv_winograd_tile(s) != 0; }

namespace {

// Whether max pooling pg can be applied to whole tile rows of m output rows: windows that do
// not overlap vertically, start at row 0 and divide the tile height.
bool pools_by_tile_rows(const Pool2dGeometry& pg, int m) {
  return pg.pt == 0 && pg.sh == pg.ph && m % pg.ph == 0;
}

// Pools tile rows [tr0, tr1) held in `rows` (output_tiles' tile-row layout) into y (the pooled
// output, N x pg.oh x pg.ow x F): the same kernel over the same clipped windows as
// maxpool2d_fwd, so the same bits as pooling the whole output.
void pool_tile_rows(const ConvShape& s, const Tiles& g, const Pool2dGeometry& pg,
                    const float* rows, int64_t tr0, int64_t tr1, float* y) {
  const MaxPoolFn pool = active_table().pool.maxpool;
  const int64_t F = s.f, OW = s.ow;
  for (int64_t tr = tr0; tr < tr1; ++tr) {
    const int64_t n = tr / g.th_n, first = g.m * (tr % g.th_n);  // image, its first output row
    const int64_t pr1 = std::min(pg.oh, (first + g.m) / pg.ph);
    for (int64_t pr = first / pg.ph; pr < pr1; ++pr)
      for (int64_t pc = 0; pc < pg.ow; ++pc) {
        const Pool2dWindow win = pool2d_window(pg, pr, pc);
        pool(F, win.r1 - win.r0, win.c1 - win.c0,
             rows + (((tr - tr0) * g.m + win.r0 - first) * OW + win.c0) * F, OW * F, F,
             y + ((n * pg.oh + pr) * pg.ow + pc) * F);
      }
  }
}

// Tiles per block: V + M within the L2 budget, whole microkernel row-tiles (whole tile rows
// when the blocks are pooled).
int64_t block_tiles(const ConvShape& s, const Tiles& g, bool pooled) {
  const int MR = active_table().gemm.mr;
  int64_t TB = kBlockFloats / (g.P * (s.c + s.f));
  TB = std::max<int64_t>(g.P * s.c * s.f > kLargeU ? 2 * MR : MR, TB / MR * MR);
  return pooled ? std::max(g.tw_n, TB / g.tw_n * g.tw_n) : TB;
}

int output_tile(int tile) {
  return tile == 4 && active_table().conv_winograd.input4 != nullptr ? 4 : 2;
}

// The blocked path of conv2d_fwd_winograd; with pg, each block (whole tile rows) is written to
// the thread's buffer and max pooled from there into y, so the full output never exists.
void winograd_blocked(const ConvShape& s, const Tiles& g, WinogradKernelFn ktransform,
                      WinogradInFn input, WinogradOutFn output, int64_t TB, const float* x,
                      const float* w, const float* bias, bool relu, const Pool2dGeometry* pg,
                      float* y);

}  // namespace

// x (N,H,W,C), w (3,3,C,F), bias (F) or null -> y (N,OH,OW,F).
void conv2d_fwd_winograd(const ConvShape& s, int tile, const float* x, const float* w,
                         const float* bias, bool relu, float* y) {
  conv2d_fwd_winograd_maxpool(s, tile, nullptr, x, w, bias, relu, y);
}

bool conv_winograd_pools_blocks(const ConvShape& s, int tile, const Pool2dGeometry& pg) {
  const Tiles g(s, output_tile(tile));
  return pools_by_tile_rows(pg, g.m) && s.n * g.th_n * g.tw_n > block_tiles(s, g, true);
}

bool conv2d_fwd_winograd_maxpool(const ConvShape& s, int tile, const Pool2dGeometry* pg,
                                 const float* x, const float* w, const float* bias, bool relu,
                                 float* y) {
  if (pg != nullptr && !conv_winograd_pools_blocks(s, tile, *pg)) return false;
  const ConvWinogradKernels& wk = active_table().conv_winograd;
  // Output tile m x m from an (m + 2) x (m + 2) input patch; P transformed positions.
  const Tiles g(s, output_tile(tile));
  const WinogradInFn input = g.m == 4 ? wk.input4 : wk.input;
  const WinogradOutFn output = g.m == 4 ? wk.output4 : wk.output;
  const WinogradKernelFn ktransform = g.m == 4 ? wk.kernel4 : wk.kernel;
  const int64_t T = s.n * g.th_n * g.tw_n;
  if (T == 0) return true;
  const int64_t TB = block_tiles(s, g, pg != nullptr);
  if (T <= TB) winograd_one_block(s, g, ktransform, input, output, x, w, bias, relu, y);
  else winograd_blocked(s, g, ktransform, input, output, TB, x, w, bias, relu, pg, y);
  return true;
}

namespace {

void winograd_blocked(const ConvShape& s, const Tiles& g, WinogradKernelFn ktransform,
                      WinogradInFn input, WinogradOutFn output, int64_t TB, const float* x,
                      const float* w, const float* bias, bool relu, const Pool2dGeometry* pg,
                      float* y) {
  const int64_t C = s.c, F = s.f;
  const int P = g.P;
  const int64_t T = s.n * g.th_n * g.tw_n;
  const GemmKernel& kern = active_table().gemm;
  const int MR = kern.mr, NR = kern.nr;
  const int64_t npanels = (F + NR - 1) / NR;
  const int64_t KC = std::min<int64_t>(kern.kc, C);
  const int64_t nblocks = (T + TB - 1) / TB;

  // U, then a zero row for padding pixels, then the kernel transform's staging rows.
  float* u = thread_scratch(kScratchU, static_cast<size_t>(P * npanels * C * NR + C + P * F));
  float* zeros = u + P * npanels * C * NR;
  std::fill(zeros, zeros + C, 0.0f);
  transform_kernel(ktransform, P, w, C, F, NR, zeros + C, u);

  // Kernels that can read V_xi in place skip the packing (measured 10-20% faster on AVX-512).
  const bool a_in_place = kern.strided_a;
  const int nt = static_cast<int>(std::max<int64_t>(
      1, std::min<int64_t>(threads_for(2.0 * P * T * C * F, 1.0e6), nblocks)));

  // Per position xi, V_xi (tiles x C) and M_xi (tiles x F) are plain row-major matrices
  // (rows contiguous: the microkernel reads A rows and writes C rows at a short stride instead
  // of P C apart, which put all 12 rows of a tile into one L1 set). The P matrices of a block
  // are 16 floats more than a whole number of rows apart, so the transforms' P streams do not
  // alias in L1 either.
  const int64_t vs = TB * C + 16, ms = TB * F + 16;

#pragma omp parallel num_threads(nt)
  {
    // V (P x vs), M (P x ms), a packed A micro-panel for kernels that cannot read A in place,
    // the dummy row that clipped outputs are written to, and when pooling the block's output
    // (TB / tw_n tile rows of m x OW pixels).
    const int64_t a_size = a_in_place ? 0 : (MR * KC + 15) / 16 * 16;
    const int64_t rows_size = pg != nullptr ? TB / g.tw_n * g.m * s.ow * F : 0;
    float* vbuf = thread_scratch(kScratchBlock,
                                 static_cast<size_t>(P * (vs + ms) + a_size + F + rows_size));
    float* mbuf = vbuf + P * vs;
    float* apack = mbuf + P * ms;
    float* dummy = apack + a_size;
    float* rows = dummy + F;
    UkernelParams params;

#pragma omp for schedule(dynamic, 1)
    for (int64_t blk = 0; blk < nblocks; ++blk) {
      const int64_t t0 = blk * TB, tb = std::min(TB, T - t0);
      input_tiles(s, g, input, x, zeros, t0, tb, vbuf, vs);
      // P GEMMs M_xi = V_xi . U_xi.
      for (int xi = 0; xi < P; ++xi) {
        const float* v_xi = vbuf + xi * vs;
        float* m_xi = mbuf + xi * ms;
        for (int64_t i0 = 0; i0 < tb; i0 += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, tb - i0));
          for (int64_t pc = 0; pc < C; pc += KC) {
            const int64_t kc = std::min(KC, C - pc);
            const float* a_src = v_xi + i0 * C + pc;
            const float* a_panel;
            if (a_in_place) {
              params.lda = C;
              a_panel = a_src;
            } else {
              params.lda = 0;
              active_table().packt(a_src, C, mr, kc, MR, apack);
              a_panel = apack;
            }
            // Depth blocks after the first accumulate into M, in a fixed order.
            params.beta = pc == 0 ? 0.0f : 1.0f;
            for (int64_t jp = 0; jp < npanels; ++jp)
              kern.ukernel(kc, a_panel, u + (xi * npanels + jp) * C * NR + pc * NR, NR,
                           m_xi + i0 * F + jp * NR, F, mr,
                           static_cast<int>(std::min<int64_t>(NR, F - jp * NR)), params);
          }
        }
      }
      if (pg == nullptr) {
        output_tiles(s, g, output, mbuf, F, ms, 0, F, bias, relu, dummy, t0, tb, y);
      } else {
        const int64_t tr0 = t0 / g.tw_n;
        output_tiles(s, g, output, mbuf, F, ms, 0, F, bias, relu, dummy, t0, tb, rows, tr0);
        pool_tile_rows(s, g, *pg, rows, tr0, tr0 + tb / g.tw_n, y);
      }
    }
  }
}

}  // namespace

}  // namespace fastconv
