#include "common/buffer.h"

#include <array>
#include <stdexcept>

namespace fastconv {

float* thread_scratch(int slot, std::size_t count) {
  constexpr int kSlots = 14;
  thread_local std::array<AlignedBuffer, kSlots> buffers;
  if (slot < 0 || slot >= kSlots) throw std::out_of_range("thread_scratch: bad slot");
  AlignedBuffer& b = buffers[slot];
  if (b.size() < count) {
    // Grow by at least 1.5x so a sequence of slightly larger requests does not reallocate
    // every time.
    std::size_t want = count + count / 2;
    b = AlignedBuffer(want);
  }
  return b.data();
}

}  // namespace fastconv
