// Small jobs on several threads without a team barrier (batch-1 inference).
//
// An OpenMP parallel region ends when every thread of its team has arrived. For a job of tens
// of microseconds that is the weak point: a worker sleeping in the kernel (OMP_WAIT_POLICY=
// PASSIVE, which fastconv sets so that a busy machine is not made busier) takes microseconds to
// wake, and when another process holds the other core it arrives only after that process's time
// slice, so the whole region waits milliseconds. Measured, lab CNN batch 1, 2 threads on a
// machine with other work running: the 7x7x64 -> 128 layer 567 us instead of ~80 us on one.
//
// run_tasks() instead lets the calling thread start on the tasks at once and helper threads
// join in when they are awake: every task is claimed from a shared counter by whoever gets to
// it first, and the caller waits only for tasks a helper has actually started. A helper that
// never wakes in time costs nothing. Helpers spin briefly after a job (consecutive layers
// follow within microseconds), then sleep.
//
// Results must not depend on which thread runs a task: each task writes its own outputs.
#pragma once

#include <cstdint>
#include <type_traits>

namespace fastconv {

using TaskFn = void (*)(void* ctx, int64_t task);

// Convolution jobs of at most this many flops (~0.5 ms on one core) that need no shared setup
// (nothing packed up front) go to run_tasks() instead of an OpenMP team: conv2d_fwd's indirect
// GEMM and the Winograd one-block path.
constexpr double kTaskPoolMaxFlops = 6.4e7;

// Runs fn(ctx, t) for every t in [0, ntasks) on the calling thread and up to threads - 1 helper
// threads; returns when all have finished. If tasks throw, the first exception is rethrown to
// the caller once every task has finished. threads <= 1, ntasks <= 1, or a concurrent call from
// another thread (the pool serves one job at a time): everything runs on the calling thread.
void run_tasks(int64_t ntasks, int threads, TaskFn fn, void* ctx);

// Lambda convenience: run_tasks(n, threads, [&](int64_t t) { ... }).
template <typename F>
void run_tasks(int64_t ntasks, int threads, F&& f) {
  using Fn = std::remove_reference_t<F>;
  run_tasks(
      ntasks, threads, [](void* c, int64_t t) { (*static_cast<Fn*>(c))(t); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace fastconv
