// fastconv_bench: kernel-level SGEMM figures without Python in the way.
//
//   fastconv_bench [--isa all|scalar|avx2|avx512f] [--threads 1,2] [--reps N] [--quick]
//                  [--shapes MxKxN,...] [--kc N --mc N --nc N] [--peak-seconds S] [--cpu-time]
//
// Shapes are m x k x n: C(m x n) = A(m x k) B(k x n), all row-major, no transposes.
// For every supported ISA it prints the measured FMA peak at each thread count, then per shape
// and thread count the median time of --reps runs (after one warm-up), GF/s and % of that
// thread count's peak. Each result is checked against a double-precision product on a few
// sampled elements first. --kc/--mc/--nc override the table's blocking (for tuning).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "common/buffer.h"
#include "common/parallel.h"
#include "dispatch/table.h"
#include "gemm/driver.h"
#include "gemm/peak.h"

namespace {

using namespace fastconv;

struct Shape {
  int64_t m, k, n;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool parse_shape(const std::string& s, Shape* out) {
  return std::sscanf(s.c_str(), "%ldx%ldx%ld", &out->m, &out->k, &out->n) == 3 && out->m > 0 &&
         out->k > 0 && out->n > 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: fastconv_bench [--isa all|scalar|avx2|avx512f] [--threads 1,2] [--reps N]\n"
               "                      [--quick] [--shapes MxKxN,...] [--kc N] [--mc N] [--nc N]\n"
               "                      [--peak-seconds S] [--cpu-time]\n"
               "  --cpu-time: time by process CPU time / threads instead of wall time (for a\n"
               "              machine shared with other jobs; exact for 1 thread)\n");
}

// CPU time of the whole process: on a machine shared with other jobs, wall time includes the
// time the scheduler gave to someone else; --cpu-time (1 thread) measures this instead.
double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Largest |C - A.B| over a sample of elements, relative to sum_p |a||b| (the error scale).
double sampled_error(const Shape& s, const float* a, const float* b, const float* c) {
  std::mt19937 gen(7);
  double worst = 0.0;
  for (int t = 0; t < 64; ++t) {
    const int64_t i = gen() % s.m, j = gen() % s.n;
    double exact = 0.0, scale = 0.0;
    for (int64_t p = 0; p < s.k; ++p) {
      const double x = static_cast<double>(a[i * s.k + p]) * b[p * s.n + j];
      exact += x;
      scale += std::fabs(x);
    }
    worst = std::max(worst, std::fabs(c[i * s.n + j] - exact) / std::max(scale, 1e-30));
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  std::string isa_arg = "all", threads_arg = "1,2", shapes_arg;
  int reps = 7;
  bool quick = false, cpu_time = false;
  double peak_seconds = 0.3;
  int64_t kc = 0, mc = 0, nc = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--isa") isa_arg = next();
    else if (a == "--threads") threads_arg = next();
    else if (a == "--reps") reps = std::max(1, std::atoi(next().c_str()));
    else if (a == "--quick") quick = true;
    else if (a == "--cpu-time") cpu_time = true;
    else if (a == "--shapes") shapes_arg = next();
    else if (a == "--kc") kc = std::atol(next().c_str());
    else if (a == "--mc") mc = std::atol(next().c_str());
    else if (a == "--nc") nc = std::atol(next().c_str());
    else if (a == "--peak-seconds") peak_seconds = std::atof(next().c_str());
    else {
      usage();
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }

  std::vector<Shape> shapes;
  if (!shapes_arg.empty()) {
    for (const std::string& s : split(shapes_arg, ',')) {
      Shape sh;
      if (!parse_shape(s, &sh)) {
        std::fprintf(stderr, "bad shape '%s' (want MxKxN)\n", s.c_str());
        return 2;
      }
      shapes.push_back(sh);
    }
  } else if (quick) {
    shapes = {{100, 2048, 256}, {512, 512, 512}};
  } else {
    shapes = {{100, 2048, 256}, {2048, 100, 256}, {256, 2048, 100},
              {512, 512, 512},  {1024, 1024, 1024}, {2048, 2048, 2048}};
  }
  std::vector<int> thread_counts;
  for (const std::string& t : split(threads_arg, ',')) thread_counts.push_back(std::atoi(t.c_str()));

  std::vector<Isa> isas;
  if (isa_arg == "all") {
    isas = supported_isas();
    std::reverse(isas.begin(), isas.end());  // best first
  } else {
    Isa isa;
    if (!parse_isa(isa_arg, &isa) || !isa_supported(isa)) {
      std::fprintf(stderr, "ISA '%s' is unknown or not supported here\n", isa_arg.c_str());
      return 2;
    }
    isas = {isa};
  }

  std::printf("fastconv_bench: SGEMM C(m x n) = A(m x k) B(k x n), row-major, shapes m x k x n\n");
  std::printf("CPU: %s\n", cpu_features().brand.c_str());
  std::printf("reps: %d (median after 1 warm-up)\n", reps);

  for (Isa isa : isas) {
    set_active_isa(isa);
    GemmKernel kern = active_table().gemm;
    if (kc > 0) kern.kc = kc;
    if (mc > 0) kern.mc = mc;
    if (nc > 0) kern.nc = nc;
    std::printf("\nISA %s: %s (MR=%d NR=%d KC=%ld MC=%ld NC=%ld)\n", isa_name(isa), kern.name,
                kern.mr, kern.nr, static_cast<long>(kern.kc), static_cast<long>(kern.mc),
                static_cast<long>(kern.nc));
    std::vector<double> peaks;
    for (int t : thread_counts) {
      peaks.push_back(fma_peak_gflops(peak_seconds, t));
      std::printf("  FMA peak (%s), %d thread%s: %.1f GF/s\n", active_table().fmapeak.name, t,
                  t == 1 ? "" : "s", peaks.back());
    }
    std::printf("  %-16s %7s %10s %9s %7s %9s %10s\n", "m x k x n", "threads", "median ms",
                "GF/s", "%peak", "best GF/s", "rel.err");
    for (const Shape& s : shapes) {
      const double flops = 2.0 * s.m * s.n * s.k;
      // The portable path is ~20x slower: keep it to shapes that finish in a blink.
      if (isa == Isa::kScalar && flops > 1.1e9 && shapes_arg.empty()) continue;
      AlignedBuffer a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
      std::mt19937 gen(42);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (size_t i = 0; i < a.size(); ++i) a.data()[i] = dist(gen);
      for (size_t i = 0; i < b.size(); ++i) b.data()[i] = dist(gen);
      MatrixPackA pa(a.data(), s.k, false);
      MatrixPackB pb(b.data(), s.n, false);
      GemmProblem g;
      g.m = s.m;
      g.n = s.n;
      g.k = s.k;
      g.a = &pa;
      g.b = &pb;
      g.c = c.data();
      g.ldc = s.n;
      for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
        const int t = thread_counts[ti];
        set_num_threads(t);
        std::memset(c.data(), 0xff, sizeof(float) * c.size());  // NaN: beta=0 must not read C
        gemm_run(g, kern);
        const double err = sampled_error(s, a.data(), b.data(), c.data());
        std::vector<double> times;
        for (int r = 0; r < reps; ++r) {
          if (cpu_time) {
            const double c0 = process_cpu_seconds();
            gemm_run(g, kern);
            times.push_back((process_cpu_seconds() - c0) / t);
          } else {
            const auto t0 = std::chrono::steady_clock::now();
            gemm_run(g, kern);
            times.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          }
        }
        const double sec = median(times), gf = flops / sec * 1e-9;
        const double best = flops / *std::min_element(times.begin(), times.end()) * 1e-9;
        char name[48];
        std::snprintf(name, sizeof name, "%ldx%ldx%ld", static_cast<long>(s.m),
                      static_cast<long>(s.k), static_cast<long>(s.n));
        std::printf("  %-16s %7d %10.3f %9.1f %6.1f%% %9.1f %10.1e%s\n", name, t, sec * 1e3, gf,
                    100.0 * gf / peaks[ti], best, err, err > 1e-5 ? "  <-- WRONG" : "");
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
