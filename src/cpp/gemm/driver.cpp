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
// Threads: C is cut into one rectangle per thread (whole MR x NR tiles, a tm x tn grid chosen
// by partition() below) and each thread runs the whole ladder on its rectangle with its own
// packed blocks. There is no barrier and no shared buffer: on 2 cores the earlier scheme (shared
// packs, tiles split between threads, two barriers per KC x NC block) scaled 1.4x, and on a
// loaded machine a thread spinning at a barrier while its partner was descheduled made it 30x
// slower. The price is that an operand is packed by every thread of a grid row or column,
// which partition() weighs against the multiply-adds.
//
// Every C element is computed by one thread with the same operation sequence whatever the
// thread count (the depth blocking does not depend on it, and the microkernel treats each
// element alike wherever its tile is), so results are bit-identical for 1 or N threads.
#include "gemm/driver.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "common/buffer.h"
#include "common/parallel.h"
#include "common/task_pool.h"
#include "dispatch/table.h"

namespace fastconv {
namespace {

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// Packed blocks live in per-thread buffers backed by 2 MiB pages where the OS allows it: the
// A block (MC x KC, megabytes) and the B block are walked panel by panel many times per call,
// and with 4 KiB pages their translations compete with C's rows for the TLB.
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(data_); }
  float* get(size_t count) {
    if (count > size_) {
      std::free(data_);
      constexpr size_t kHuge = size_t{1} << 21;
      const size_t want = count + count / 2;  // grow by 1.5x: fewer reallocations
      const size_t bytes = (want * sizeof(float) + kHuge - 1) / kHuge * kHuge;
      data_ = static_cast<float*>(std::aligned_alloc(kHuge, bytes));
      if (data_ == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      madvise(data_, bytes, MADV_HUGEPAGE);  // a hint: without THP it is simply ignored
#endif
      size_ = bytes / sizeof(float);
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

float* pack_buffer(int slot, size_t count) {
  static thread_local PackBuffer buffers[2];
  return buffers[slot].get(count);
}
int64_t ceil_div(int64_t x, int64_t d) { return (x + d - 1) / d; }

// Rows of B per band when a matrix-vector-like product sweeps a wide B (one read in place
// whose rows are longer than what the kernel's registers hold). A deep walk down a few columns
// reads a short run from each row, ldb floats apart: a new 4 KiB page per row, too many
// interleaved streams for the prefetchers (AlexNet's 9216 x 4096 layer at batch 1 read its
// 151 MB at 7 GB/s that way). A band of whole rows swept across all columns is kGemvBand
// sequential streams instead: 8 measured best of 4..64 (and 4..32 for the GEMV kernel).
constexpr int64_t kGemvBand = 8;

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

// Whether to let the microkernel read op(B) in place instead of packing it. Packing B costs
// a pass over the k x n block per MC rows of A; when a thread has only a few A micro-panels
// (a dense layer at batch 100) that copy is a large share of the time, while reading the
// matrix in place costs only the first pass from L3 (prefetched in the kernel). With many
// rows, the packed block's contiguous L2 footprint wins.
constexpr int64_t kInPlaceMaxRows = 256;
constexpr int64_t kInPlaceNarrowLd = 128;

const float* use_b_in_place(const GemmProblem& g, const GemmKernel& kern, int64_t rows,
                            int64_t* ldb) {
  if (!kern.strided_b) return nullptr;
  // Measured on AVX-512 (Sapphire Rapids): in place wins clearly at 100 rows, ties at 512,
  // loses at 2048 rows with ldb = 2048 (the strided block aliases in L2).
  // Narrow B (a backward-filter GEMM's dy, ldb = F <= 128): its rows are a few contiguous
  // cache lines that do not alias, so in place wins at any row count.
  const float* b = g.b->in_place(ldb);
  if (b == nullptr || (rows > kInPlaceMaxRows && *ldb > kInPlaceNarrowLd)) return nullptr;
  return b;
}

// Whether to let the microkernel read op(A) in place instead of packing it: worth it when
// each A micro-panel feeds only a few tiles (a narrow C, e.g. n = 100), so the packing pass
// is not amortised. With wide C the packed panel's contiguous layout wins.
constexpr int64_t kInPlaceAMaxCols = 256;

const float* use_a_in_place(const GemmProblem& g, const GemmKernel& kern, int64_t cols,
                            int64_t* lda) {
  if (!kern.strided_a || cols > kInPlaceAMaxCols) return nullptr;
  return g.a->in_place(lda);
}

// The ladder on rows [i_begin, i_end) x columns [j_begin, j_end) of C, on the calling thread.
// i_begin is a multiple of MR and j_begin of NR (whole tiles), so packed panels line up with
// the ones a single thread would build.
void run_block(const GemmProblem& g, const GemmKernel& kern, int64_t i_begin, int64_t i_end,
               int64_t j_begin, int64_t j_end) {
  const int MR = kern.mr, NR = kern.nr;
  const int64_t rows = i_end - i_begin, cols = j_end - j_begin;
  const int64_t MC = std::min(kern.mc, round_up(rows, MR));
  const int64_t NC = std::min(kern.nc, round_up(cols, NR));
  // B read in place: see use_b_in_place().
  int64_t ldb = 0;
  const float* b_direct = use_b_in_place(g, kern, rows, &ldb);
  // A matrix-vector-like product (op(A) at most one micro-panel tall, but more rows than the
  // GEMV path takes) is a stream over B: sweep it in bands of whole rows (see kGemvBand).
  // g.m alone decides, so the depth blocking, and with it the result, is the same for any
  // thread count.
  const int64_t KC = (b_direct != nullptr && g.m <= MR) ? std::min(kGemvBand, g.k)
                                                        : std::min(kern.kc, g.k);
  int64_t lda = 0;
  const float* a_direct = use_a_in_place(g, kern, cols, &lda);
  // Scratch owned by this thread (thread_local): OpenMP keeps its workers alive between
  // calls, so after the first call nothing is allocated or faulted in.
  float* a_pack = a_direct ? nullptr : pack_buffer(0, static_cast<size_t>(MC * KC));
  float* b_pack = b_direct ? nullptr : pack_buffer(1, static_cast<size_t>(NC * KC));

  UkernelParams params;
  params.alpha = g.alpha;
  for (int64_t ic = i_begin; ic < i_end; ic += MC) {
    const int64_t mc = std::min(MC, i_end - ic);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const bool first = pc == 0, last = pc + kc == g.k;
      params.beta = first ? g.beta : 1.0f;  // later depth blocks accumulate into C
      params.relu = last && g.relu;
      if (a_direct) params.lda = lda;
      else g.a->pack(ic, mc, pc, kc, MR, a_pack);
      for (int64_t jc = j_begin; jc < j_end; jc += NC) {
        const int64_t nc = std::min(NC, j_end - jc);
        const float* b_block;
        int64_t b_ld, b_panel_stride;  // row stride inside a micro-panel, panel-to-panel step
        if (b_direct) {
          b_block = b_direct + pc * ldb + jc;
          b_ld = ldb;
          b_panel_stride = NR;
        } else {
          g.b->pack(pc, kc, jc, nc, NR, b_pack);
          b_block = b_pack;
          b_ld = NR;
          b_panel_stride = NR * kc;
        }
        for (int64_t i0 = 0; i0 < mc; i0 += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, mc - i0));
          const float* a_panel = a_direct ? a_direct + (ic + i0) * lda + pc : a_pack + i0 * kc;
          float* c_row = g.c + (ic + i0) * g.ldc + jc;
          for (int64_t j0 = 0, jp = 0; j0 < nc; j0 += NR, ++jp) {
            params.bias = (last && g.bias) ? g.bias + jc + j0 : nullptr;
            // A read in place with contiguous rows: the first column tile of each panel
            // prefetches the next panel (see UkernelParams::prefetch_next_a).
            params.prefetch_next_a = a_direct && lda == kc && jc == j_begin && j0 == 0;
            // The last depth block writes C: the next panel's tile can be fetched meanwhile.
            params.prefetch_next_c = last && i0 + MR < mc;
            kern.ukernel(kc, a_panel, b_block + jp * b_panel_stride, b_ld, c_row + j0, g.ldc, mr,
                         static_cast<int>(std::min<int64_t>(NR, nc - j0)), params);
          }
        }
      }
    }
  }
}

struct Grid {
  int tm = 1, tn = 1;
};

// Cut C into tm x tn rectangles of whole tiles, tm * tn == nt. Per thread, the cost is the
// multiply-adds of its largest rectangle plus packing its A rows and B columns (each packed
// float weighs about as much as `kPackWeight` tile-lanes of multiply-add over the same depth).
Grid partition(int64_t m, int64_t n, int MR, int NR, int nt) {
  constexpr double kPackWeight = 16.0;
  const int64_t mp = ceil_div(m, MR), np = ceil_div(n, NR);
  Grid best;
  double best_cost = -1.0;
  for (int tm = 1; tm <= nt; ++tm) {
    if (nt % tm != 0) continue;
    const int tn = nt / tm;
    if (tm > mp || tn > np) continue;
    const double rows = static_cast<double>(ceil_div(mp, tm) * MR);
    const double cols = static_cast<double>(ceil_div(np, tn) * NR);
    const double cost = rows * cols + kPackWeight * (rows + cols);
    if (best_cost < 0.0 || cost < best_cost) {
      best_cost = cost;
      best.tm = tm;
      best.tn = tn;
    }
  }
  return best;
}

// Runs body(i_begin, i_end, j_begin, j_end) on each thread's rectangle of an m x n product.
template <typename Body>
void for_each_block(int64_t m, int64_t n, int64_t k, int MR, int NR, Body body) {
  // Below ~1 MFLOP per thread, a team costs more than it saves.
  int nt = threads_for(2.0 * m * n * k, 1.0e6);
  nt = static_cast<int>(std::min<int64_t>(nt, ceil_div(m, MR) * ceil_div(n, NR)));
  Grid grid = partition(m, n, MR, NR, nt);
  // A thread count with no exact grid over the tiles: use fewer threads.
  while (grid.tm * grid.tn != nt && nt > 1) grid = partition(m, n, MR, NR, --nt);
  if (nt <= 1) {
    body(0, m, 0, n);
    return;
  }
  const int64_t mp = ceil_div(m, MR), np = ceil_div(n, NR);
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    if (omp_get_num_threads() == nt) {
      int64_t plo, phi, qlo, qhi;
      split_range(mp, grid.tm, tid / grid.tn, &plo, &phi);
      split_range(np, grid.tn, tid % grid.tn, &qlo, &qhi);
      if (phi > plo && qhi > qlo)
        body(plo * MR, std::min(phi * MR, m), qlo * NR, std::min(qhi * NR, n));
    } else if (tid == 0) {
      // The runtime gave us fewer threads (nested region, thread limit): do it all here.
      body(0, m, 0, n);
    }
  }
}

// The GEMV path: op(A) has at most gemv.max_m rows and op(B) is a row-major matrix read in
// place.
//
// Depth segments. The k rows of B are cut into segments of kGemvSegment rows (a constant, so
// the cut never depends on the thread count). Each segment's sums go to its own m x n block of
// a shared buffer, then one more kernel call per row of C adds the blocks up in segment order
// (a product with a vector of ones: one rounded add per segment) and applies
// alpha/beta/bias/relu. Threads take
// whole segments where there are enough, so each streams one contiguous part of B (whole rows,
// the order the prefetchers like; a column split would give each thread a short run of every
// row). A product of at most one segment (k <= kGemvSegment) skips the buffer: the kernel
// writes C directly, and threads, if any, split the columns. The segment sums also bound the
// rounding error by ~(kGemvSegment + k / kGemvSegment) u instead of ~k u.
//
// Within a segment, one kernel call walks all rows for a short run of columns (the
// accumulators never leave registers). For a wide run (AlexNet's 9216 x 4096 layer: 16 KiB
// rows), a walk down a few columns would read a short run from every row, 16 KiB apart: a new
// 4 KiB page per row, which neither the TLB nor the prefetchers follow well; then the kernel
// is called on bands of kGemvBand whole rows instead, each swept across all the columns, with
// the running sums parked in between (stores and reloads are exact: the band split does not
// change a single bit).
//
// Each segment's sum runs over its rows in order in one accumulator, and the segments are
// added in order, whatever the split: bit-identical results for any thread count.
constexpr int64_t kGemvSegment = 512;
constexpr int kGemvSegmentScratchSlot = 9;  // thread_scratch slot of the segment sums

// Whether this thread's GEMV over B should walk its segments backwards: alternates between
// successive calls with the same B (a few recent B's are remembered, so that a model's dense
// layers each alternate), forwards for a B not seen lately.
bool gemv_walk_backwards(const float* b) {
  struct Recent {
    const float* b = nullptr;
    bool backwards = false;
  };
  constexpr int kRemembered = 8;
  thread_local Recent recent[kRemembered];
  thread_local int next = 0;
  for (Recent& r : recent)
    if (r.b == b) return r.backwards = !r.backwards;
  recent[next] = Recent{b, false};
  next = (next + 1) % kRemembered;
  return false;
}

void gemv_run(const GemmProblem& g, const GemmKernel& kern, const GemvKernel& gv,
              const float* b, int64_t ldb) {
  int64_t a_rs = 0, a_cs = 1;
  const float* a = g.a->in_place(&a_rs);
  if (a == nullptr) {
    // A stored transposed (or by a custom packer): one packed micro-panel, a(i, p) at
    // [p * MR + i]. It is m * k floats against the k * n of B.
    float* panel = pack_buffer(0, static_cast<size_t>(g.k * kern.mr));
    g.a->pack(0, g.m, 0, g.k, kern.mr, panel);
    a = panel;
    a_rs = 1;
    a_cs = kern.mr;
  }
  const int m = static_cast<int>(g.m);
  GemvParams params;
  params.alpha = g.alpha;
  params.beta = g.beta;
  params.relu = g.relu;

  // Rows [p0, p1) x columns [j0, j1) of the product: into C with the epilogue (sums ==
  // nullptr), or as plain sums into sums + j0 (m rows, row stride n).
  const auto sweep = [&](int64_t p0, int64_t p1, int64_t j0, int64_t j1, float* sums) {
    const int64_t w = j1 - j0, depth = p1 - p0;
    const int64_t band = w > gv.nb / m ? kGemvBand : depth;
    GemvParams pt = params;
    pt.bias = g.bias ? g.bias + j0 : nullptr;
    if (sums != nullptr) {
      pt.partial = sums + j0;
      pt.ldp = g.n;
    } else if (band < depth) {
      pt.partial = pack_buffer(1, static_cast<size_t>(m * w));
      pt.ldp = w;
    }
    for (int64_t pc = p0; pc < p1; pc += band) {
      const int64_t kc = std::min(band, p1 - pc);
      pt.first = pc == p0;
      pt.last = sums == nullptr && pc + kc == p1;
      gv.ukernel(m, w, kc, a + pc * a_cs, a_rs, a_cs, b + pc * ldb + j0, ldb, g.c + j0, g.ldc,
                 pt);
    }
  };

  const int64_t nseg = ceil_div(g.k, kGemvSegment);
  const size_t seg_floats = static_cast<size_t>(g.m * g.n);
  float* sums = nseg > 1 ? thread_scratch(kGemvSegmentScratchSlot, nseg * seg_floats) : nullptr;
  // C's columns [j0, j1) from the segment sums: sum_s 1 * sums[s] in order, then the epilogue.
  const auto combine = [&](int64_t j0, int64_t j1) {
    static const float kOne = 1.0f;
    GemvParams pt = params;
    pt.bias = g.bias ? g.bias + j0 : nullptr;
    for (int i = 0; i < m; ++i)
      gv.ukernel(1, j1 - j0, nseg, &kOne, 0, 0, sums + i * g.n + j0,
                 static_cast<int64_t>(seg_floats), g.c + i * g.ldc + j0, g.ldc, pt);
  };

  // Threads: tasks on the task pool (common/task_pool.h), not an OpenMP team, because these
  // jobs are short (the lab CNN's 2 MB layer: ~50 us) and a team would wait for a worker that
  // is asleep or preempted, while here the caller starts at once and does whatever a helper
  // has not claimed. Tasks are whole segments (one contiguous part of B each) or, for a single
  // segment, runs of 16-column groups (whole AVX-512 vectors); each task writes its own
  // outputs, so which thread runs it does not matter. At least 1 MB of B per thread: then each
  // core streams its own contiguous part, which stays in its L2 from one call to the next when
  // the machine is otherwise idle. Measured 2026-11-28 08:03 on the idle 2-core machine (after
  // a loaded-machine measurement had kept the lab CNN's 2 MB layer on one thread): 1 x 2048 x
  // 256 alone 49-56 us on 1 thread, 22 us on 2; the lab CNN's whole batch-1 inference on 2
  // threads 211-248 -> 145-179 us (medians of 3000, three alternating runs each). Under load a
  // preempted helper can make a call slower (50-97 us seen on 2 threads then): the task pool
  // bounds that to the task the helper holds.
  constexpr double kMinFloatsPerThread = 256.0 * 1024;
  constexpr int64_t kGroup = 16;
  const int64_t groups = ceil_div(g.n, kGroup);
  const int nt = threads_for(static_cast<double>(g.k) * static_cast<double>(g.n),
                             kMinFloatsPerThread);
  if (nseg > 1) {
    const auto segment = [&](int64_t s) {
      sweep(s * kGemvSegment, std::min(g.k, (s + 1) * kGemvSegment), 0, g.n,
            sums + s * seg_floats);
    };
    if (nt <= 1) {
      // One thread walks the segments back and forth on successive calls with the same B:
      // a batch-1 dense layer is called with the same weights every inference, and when they
      // are about the size of L2 (the lab CNN's 2 MB) a walk in the same direction each time
      // finds nothing left of them (every line was evicted before it was needed again), while
      // turning around starts on the segments read last, still in L2. The segments are summed
      // in their fixed order whatever the walk, so the result does not change. Lab CNN batch-1
      // inference on 1 thread, interleaved A/B, 3 runs: 264-320 -> 238-302 us.
      if (gemv_walk_backwards(b)) {
        for (int64_t s = nseg - 1; s >= 0; --s) segment(s);
      } else {
        for (int64_t s = 0; s < nseg; ++s) segment(s);
      }
    } else {
      run_tasks(nseg, nt, segment);
    }
    combine(0, g.n);  // nseg * m * n floats: a blink next to the k * n of B
    return;
  }
  // One segment: split the columns, a few tasks per thread so that the caller can take over a
  // late helper's share.
  const int64_t chunks = nt <= 1 ? 1 : std::min<int64_t>(groups, 4 * nt);
  const auto columns = [&](int64_t chunk) {
    int64_t q0, q1;
    split_range(groups, static_cast<int>(chunks), static_cast<int>(chunk), &q0, &q1);
    const int64_t j0 = q0 * kGroup, j1 = std::min(q1 * kGroup, g.n);
    if (j1 > j0) sweep(0, g.k, j0, j1, nullptr);
  };
  if (chunks <= 1) columns(0);
  else run_tasks(chunks, nt, columns);
}

}  // namespace

void gemm_run(const GemmProblem& problem) { gemm_run(problem, active_table().gemm); }

void gemm_run(const GemmProblem& g, const GemmKernel& kern) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    scale_only(g);
    return;
  }
  // A dense layer at batch 1 (and any product with a few rows of op(A)) against a matrix read
  // in place: a stream over B that the GEMV kernel does with one pass per column block
  // (see gemv_run). The tile ladder below would see it as thousands of tiny tiles.
  const GemvKernel& gv = active_table().gemv;
  if (gv.ukernel != nullptr && g.m <= gv.max_m) {
    int64_t ldb = 0, lda = 0;
    const float* b = g.b->in_place(&ldb);
    // A that is not row-major is packed as one micro-panel of kern.mr rows (gemv_run).
    if (b != nullptr && (g.m <= kern.mr || g.a->in_place(&lda) != nullptr)) {
      gemv_run(g, kern, gv, b, ldb);
      return;
    }
  }
  for_each_block(g.m, g.n, g.k, kern.mr, kern.nr,
                 [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
                   run_block(g, kern, i0, i1, j0, j1);
                 });
}

}  // namespace fastconv
