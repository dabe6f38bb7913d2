#include "common/malloc_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern char** environ;

namespace fastconv {
namespace {

bool g_tuned = false;

#if defined(__GLIBC__)
// The user (or a launcher such as a job script) already tunes glibc malloc: leave it alone.
bool user_tunes_malloc() {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return true;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (std::strncmp(*e, "MALLOC_", 7) == 0) return true;
  return false;
}
#endif

}  // namespace

bool tune_malloc() {
  static const bool applied = [] {
#if defined(__GLIBC__)
    const char* opt = std::getenv("FASTCONV_MALLOC_TUNING");
    if (opt != nullptr && std::strcmp(opt, "0") == 0) return false;
    if (user_tunes_malloc()) return false;
    // 32 MiB is glibc's own ceiling for the dynamic mmap threshold on 64-bit: blocks below it
    // come from the heap, larger ones (data sets) are still mmap()ed and returned on free.
    bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
    // Keep up to 512 MiB free at the top of the heap before trimming, and grow it in 64 MiB
    // steps, so the per-step working set stays mapped.
    ok = mallopt(M_TRIM_THRESHOLD, 512 << 20) == 1 && ok;
    ok = mallopt(M_TOP_PAD, 64 << 20) == 1 && ok;
    return ok;
#else
    return false;
#endif
  }();
  g_tuned = applied;
  return applied;
}

bool malloc_tuned() { return g_tuned; }

bool release_free_memory() {
#if defined(__GLIBC__)
  return g_tuned && malloc_trim(0) == 1;
#else
  return false;
#endif
}

}  // namespace fastconv
