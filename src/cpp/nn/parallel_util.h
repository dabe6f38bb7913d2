// Work splitting shared by the nn drivers. Both helpers give results that do not depend on the
// thread count: elementwise work is split at multiples of 64 elements (every element runs the
// same code anyway), and column reductions are summed in fixed row blocks whose partial sums are
// combined in block order, whoever computed them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <omp.h>

#include "common/parallel.h"

namespace fastconv::nn_detail {

constexpr int64_t kRowBlock = 256;  // rows per partial sum of a column reduction

// fn(lo, hi) over [0, n) in contiguous pieces, one per thread.
template <typename Fn>
void parallel_elementwise(int64_t n, double min_per_thread, Fn fn) {
  const int nt = threads_for(double(n), min_per_thread);
  if (nt <= 1) {
    if (n > 0) fn(int64_t(0), n);
    return;
  }
  const int64_t units = (n + 63) / 64;
#pragma omp parallel num_threads(nt)
  {
    int64_t lo, hi;
    split_range(units, nt, omp_get_thread_num(), &lo, &hi);
    lo *= 64;
    hi = std::min(hi * 64, n);
    if (hi > lo) fn(lo, hi);
  }
}

// Per-block partials over M rows of C channels: block_fn(r0, rows, out) writes count*C floats
// for rows [r0, r0 + rows) into out. Returns the blocks' partials, block b at b * count * C
// (ceil(M / kRowBlock) blocks, at least one slot).
template <typename BlockFn>
std::vector<float> column_blocks(int64_t m, int64_t c, int count, BlockFn block_fn) {
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  std::vector<float> partial(size_t(std::max<int64_t>(blocks, 1) * count * c));
  const int nt = threads_for(double(m) * c, 65536.0);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t r0 = b * kRowBlock;
    block_fn(r0, std::min(kRowBlock, m - r0), partial.data() + b * count * c);
  }
  return partial;
}

// Sums `count` per-channel quantities over M rows of C channels: block_fn(r0, rows, out) writes
// count*C float partial sums for rows [r0, r0 + rows) into out. Returns count*C double totals.
template <typename BlockFn>
std::vector<double> column_reduce(int64_t m, int64_t c, int count, BlockFn block_fn) {
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  const std::vector<float> partial = column_blocks(m, c, count, block_fn);
  std::vector<double> total(size_t(count * c), 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < count * c; ++i) total[i] += partial[b * count * c + i];
  return total;
}

}  // namespace fastconv::nn_detail
