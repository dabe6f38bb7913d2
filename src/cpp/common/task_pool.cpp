#include "common/task_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fastconv {
namespace {

// How long a helper keeps polling for the next job before it sleeps: the gap between two layers
// of one inference is a few microseconds of Python; between two inferences it is the caller's.
constexpr auto kSpin = std::chrono::microseconds(50);
constexpr int kMaxHelpers = 63;

// The job word: epoch (24 bits) | end (20 bits) | begin (20 bits): tasks [begin, end) are
// unclaimed. The caller claims from the front, helpers from the back, so on an idle machine
// each thread gets the same part of a job every time (the caller the first tasks, a helper the
// last ones) and finds that part's data (weight panels, rows of B) still in its core's L2 from
// the previous call. A claim is a compare-and-swap that also checks the epoch, so a helper
// still holding a previous job's view can never claim (or run) anything of a later one.
constexpr int kTaskBits = 20;
constexpr uint64_t kTaskMask = (uint64_t{1} << kTaskBits) - 1;
constexpr int64_t kMaxTasks = static_cast<int64_t>(kTaskMask);

inline uint64_t pack(uint64_t epoch, uint64_t end, uint64_t begin) {
  return (epoch << (2 * kTaskBits)) | (end << kTaskBits) | begin;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();  // a spin-wait hint, not an ISA extension (every x86-64 has it)
#endif
}

class Pool {
 public:
  // One job at a time; a caller that finds the pool busy runs its tasks alone.
  std::mutex busy;
  Pool* previous = nullptr;  // the pool a forked child inherited and abandoned

  void run(int64_t ntasks, int helpers, TaskFn fn, void* ctx) {
    ensure_helpers(helpers);
    const uint64_t e = (next_epoch_++) & 0xFFFFFF;
    // The job's function and context, in the slot of this epoch's parity: a helper reading the
    // slot of epoch e can only be overwritten for epoch e + 2, after e is finished (and then
    // its claim for e fails).
    Slot& slot = slots_[e & 1];
    slot.fn.store(fn, std::memory_order_relaxed);
    slot.ctx.store(ctx, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    job_.store(pack(e, static_cast<uint64_t>(ntasks), 0), std::memory_order_release);
    active_helpers_.store(helpers, std::memory_order_relaxed);
    epoch_.store(e, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      sleep_cv_.notify_all();
    }
    int64_t mine = 0;
    std::exception_ptr error;
    for (int64_t t; (t = claim(e, true)) >= 0; ++mine) {
      try {
        fn(ctx, t);
      } catch (...) {  // finish the job first: helpers may still be using fn and ctx
        if (!error) error = std::current_exception();
      }
    }
    // Wait only for tasks a helper has claimed and is running.
    const int64_t others = ntasks - mine;
    for (int spins = 0; done_.load(std::memory_order_acquire) < others; ++spins) {
      if (spins < 4096) cpu_relax();
      else std::this_thread::yield();
    }
    if (!error) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      error = helper_error_;
      helper_error_ = nullptr;
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  struct Slot {
    std::atomic<TaskFn> fn{nullptr};
    std::atomic<void*> ctx{nullptr};
  };

  // The first unclaimed task (front) or the last one (back) of epoch e's job; -1 when none.
  int64_t claim(uint64_t e, bool front) {
    uint64_t j = job_.load(std::memory_order_acquire);
    for (;;) {
      if ((j >> (2 * kTaskBits)) != e) return -1;
      const uint64_t begin = j & kTaskMask, end = (j >> kTaskBits) & kTaskMask;
      if (begin >= end) return -1;
      const uint64_t claimed = front ? j + 1 : j - (uint64_t{1} << kTaskBits);
      if (job_.compare_exchange_weak(j, claimed, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
        return static_cast<int64_t>(front ? begin : end - 1);
    }
  }

  void ensure_helpers(int helpers) {
    while (static_cast<int>(threads_.size()) < helpers) {
      const int index = static_cast<int>(threads_.size());
      threads_.emplace_back([this, index] { helper_loop(index); });
      threads_.back().detach();  // the pool lives as long as the process
    }
  }

  void helper_loop(int index) {
    uint64_t seen = epoch_.load(std::memory_order_acquire);
    for (;;) {
      uint64_t e = wait_for_job(seen);
      seen = e;
      // Jobs that asked for fewer helpers leave the others idle.
      if (index >= active_helpers_.load(std::memory_order_relaxed)) continue;
      const Slot& slot = slots_[e & 1];
      const TaskFn fn = slot.fn.load(std::memory_order_relaxed);
      void* const ctx = slot.ctx.load(std::memory_order_relaxed);
      for (int64_t t; (t = claim(e, false)) >= 0;) {
        try {
          fn(ctx, t);
        } catch (...) {  // handed to the caller, which rethrows it after the job
          std::lock_guard<std::mutex> lock(error_mutex_);
          if (!helper_error_) helper_error_ = std::current_exception();
        }
        done_.fetch_add(1, std::memory_order_release);
      }
    }
  }

  uint64_t wait_for_job(uint64_t seen) {
    const auto until = std::chrono::steady_clock::now() + kSpin;
    // Polite polling: yielding lets any other thread that wants this core (an OpenMP worker
    // woken for the next op, another process) run at once instead of after our time slice.
    for (;;) {
      const uint64_t e = epoch_.load(std::memory_order_acquire);
      if (e != seen) return e;
      if (std::chrono::steady_clock::now() > until) break;
      std::this_thread::yield();
    }
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    uint64_t e;
    while ((e = epoch_.load(std::memory_order_seq_cst)) == seen) sleep_cv_.wait(lock);
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return e;
  }

  uint64_t next_epoch_ = 1;  // only the caller holding `busy` touches it
  std::atomic<uint64_t> job_{0};
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> active_helpers_{0};
  std::atomic<int> sleepers_{0};
  Slot slots_[2];
  std::mutex error_mutex_;
  std::exception_ptr helper_error_;  // the first exception a helper caught in this job
  std::mutex sleep_mutex_;
  std::condition_variable sleep_cv_;
  std::vector<std::thread> threads_;
};

Pool* g_pool = nullptr;
std::once_flag g_pool_once;

Pool& pool() {
  std::call_once(g_pool_once, [] {
    g_pool = new Pool();  // never destroyed: helpers may still be sleeping at exit
    // A forked child has none of the helper threads (and maybe a mutex held by one): it gets a
    // fresh pool, the old one is abandoned.
    // (Chained to the new one, so it stays reachable rather than leaked.)
    pthread_atfork(nullptr, nullptr, [] {
      Pool* fresh = new Pool();
      fresh->previous = g_pool;
      g_pool = fresh;
    });
  });
  return *g_pool;
}

}  // namespace

void run_tasks(int64_t ntasks, int threads, TaskFn fn, void* ctx) {
  if (ntasks <= 0) return;
  const int helpers = std::min<int64_t>(std::min(threads, kMaxHelpers + 1), ntasks) - 1;
  Pool& p = pool();
  std::unique_lock<std::mutex> lock(p.busy, std::try_to_lock);
  if (helpers <= 0 || ntasks > kMaxTasks || !lock.owns_lock()) {
    for (int64_t t = 0; t < ntasks; ++t) fn(ctx, t);
    return;
  }
  p.run(ntasks, helpers, fn, ctx);
}

}  // namespace fastconv
