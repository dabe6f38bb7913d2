// A self-check of the task pool (common/task_pool.h) for the tests: every task must run exactly
// once per job, whoever claims it, also with several Python threads submitting jobs at once.
#include <pybind11/numpy.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/registry.h"
#include "common/error.h"
#include "common/task_pool.h"

FASTCONV_BINDING(task_pool) {
  using namespace fastconv;
  m.def(
      "_task_pool_selfcheck",
      [](int64_t ntasks, int threads, int jobs, int spin, int64_t throw_at) {
        FASTCONV_CHECK(ntasks >= 0 && threads >= 1 && jobs >= 0 && spin >= 0,
                       "_task_pool_selfcheck: bad arguments");
        std::vector<std::atomic<int64_t>> counts(static_cast<size_t>(ntasks));
        {
          pybind11::gil_scoped_release release;
          for (int j = 0; j < jobs; ++j)
            run_tasks(ntasks, threads, [&](int64_t t) {
              volatile int64_t sink = 0;
              for (int i = 0; i < spin; ++i) sink = sink + i;  // some work per task
              counts[static_cast<size_t>(t)].fetch_add(1, std::memory_order_relaxed);
              if (t == throw_at) throw std::runtime_error("task " + std::to_string(t) + " failed");
            });
        }
        pybind11::array_t<int64_t> out(ntasks);
        int64_t* o = out.mutable_data();
        for (int64_t t = 0; t < ntasks; ++t) o[t] = counts[static_cast<size_t>(t)].load();
        return out;
      },
      pybind11::arg("ntasks"), pybind11::arg("threads"), pybind11::arg("jobs"),
      pybind11::arg("spin"), pybind11::arg("throw_at") = -1,
      "Runs `jobs` jobs of `ntasks` tasks on `threads` threads; returns how often each task ran; "
      "task `throw_at` throws (tests only).");
}
