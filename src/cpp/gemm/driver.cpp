// The GEMM loop ladder. It mirrors BLIS with the roles of A and B swapped, because our
// microkernel's vector operand is B (rows of C are contiguous in row-major storage) while
// BLIS's is A (column-major):
//
//   ic over MC   rows of C: pack an MC x KC block of A              (L3-resident)
//    pc over KC  depth
//     jc over NC columns of C: pack a KC x NC block of B            (L2-resident)
//      ir over MR  an A micro-panel (KC x MR) stays in L1 ...
//       jr over NR ... while B micro-panels stream from L2 through the microkernel
//
// OpenMP splits the (ir, jr) tiles of each block: threads take contiguous runs of the
// ir-major tile order, so each keeps its own A micro-panel in L1 and reads the whole B block
// from its own L2. Splitting tiles rather than only ir keeps both cores busy when M is small
// (a dense layer at batch 100, a convolution with 32 filters). Both packs are shared and
// split across the team by micro-panels, with a barrier before the tiles read them.
//
// Every C element is computed by one thread with the same operation sequence whatever the
// thread count, so results are bit-identical for 1 or N threads.
#include "gemm/driver.h"

#include <omp.h>

#include <algorithm>

#include "common/buffer.h"
#include "common/parallel.h"
#include "dispatch/table.h"

namespace fastconv {
namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// K == 0: the product is empty, C = beta * C (+ bias) (relu).
void scale_only(const GemmProblem& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* ci = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      float v = g.beta == 0.0f ? 0.0f : g.beta * ci[j];
      if (g.bias) v += g.bias[j];
      if (g.relu && v < 0.0f) v = 0.0f;
      ci[j] = v;
    }
  }
}

}  // namespace

void gemm_run(const GemmProblem& problem) { gemm_run(problem, active_table().gemm); }

void gemm_run(const GemmProblem& g, const GemmKernel& kern) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    scale_only(g);
    return;
  }
  const int MR = kern.mr, NR = kern.nr;
  const int64_t MC = std::min(kern.mc, round_up(g.m, MR));
  const int64_t KC = std::min(kern.kc, g.k);
  const int64_t NC = std::min(kern.nc, round_up(g.n, NR));

  // Scratch for the packed blocks, owned by the calling thread (workers only write into it).
  float* a_pack = thread_scratch(0, static_cast<size_t>(MC * KC));
  float* b_pack = thread_scratch(1, static_cast<size_t>(NC * KC));

  // Below ~1 MFLOP per thread, a team costs more than it saves.
  const int nthreads = threads_for(2.0 * g.m * g.n * g.k, 1.0e6);

#pragma omp parallel num_threads(nthreads)
  {
    const int tid = omp_get_thread_num();
    const int nt = omp_get_num_threads();
    for (int64_t ic = 0; ic < g.m; ic += MC) {
      const int64_t mc = std::min(MC, g.m - ic);
      const int64_t a_panels = (mc + MR - 1) / MR;
      for (int64_t pc = 0; pc < g.k; pc += KC) {
        const int64_t kc = std::min(KC, g.k - pc);
        const bool first = pc == 0, last = pc + kc == g.k;

        int64_t lo, hi;
        split_range(a_panels, nt, tid, &lo, &hi);
        if (hi > lo)
          g.a->pack(ic + lo * MR, std::min(hi * MR, mc) - lo * MR, pc, kc, MR,
                    a_pack + lo * MR * kc);

        for (int64_t jc = 0; jc < g.n; jc += NC) {
          const int64_t nc = std::min(NC, g.n - jc);
          const int64_t b_panels = (nc + NR - 1) / NR;
          split_range(b_panels, nt, tid, &lo, &hi);
          if (hi > lo)
            g.b->pack(pc, kc, jc + lo * NR, std::min(hi * NR, nc) - lo * NR, NR,
                      b_pack + lo * NR * kc);
#pragma omp barrier

          UkernelParams params;
          params.alpha = g.alpha;
          params.beta = first ? g.beta : 1.0f;  // later depth blocks accumulate into C
          params.relu = last && g.relu;
          split_range(a_panels * b_panels, nt, tid, &lo, &hi);
          for (int64_t t = lo; t < hi; ++t) {
            const int64_t ir = t / b_panels, jr = t % b_panels;
            const int64_t i0 = ir * MR, j0 = jr * NR;
            params.bias = (last && g.bias) ? g.bias + jc + j0 : nullptr;
            kern.ukernel(kc, a_pack + i0 * kc, b_pack + j0 * kc,
                         g.c + (ic + i0) * g.ldc + jc + j0, g.ldc,
                         static_cast<int>(std::min<int64_t>(MR, mc - i0)),
                         static_cast<int>(std::min<int64_t>(NR, nc - j0)), params);
          }
          // The next jc (or pc/ic) repacks the blocks this one is reading.
#pragma omp barrier
        }
      }
    }
  }
}

}  // namespace fastconv
