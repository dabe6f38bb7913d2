// Aligned scratch memory. Packed GEMM panels are read with aligned vector loads, so every
// buffer starts on a 64-byte boundary (one cache line, one zmm register).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace fastconv {

constexpr std::size_t kAlignment = 64;

inline float* aligned_alloc_floats(std::size_t count) {
  std::size_t bytes = (count * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  if (bytes == 0) bytes = kAlignment;
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<float*>(p);
}

// Owning aligned float buffer.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) : data_(aligned_alloc_floats(count)), size_(count) {}
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      o.data_ = nullptr;
      o.size_ = 0;
    }
    return *this;
  }
  ~AlignedBuffer() { std::free(data_); }

  float* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  float* data_ = nullptr;
  std::size_t size_ = 0;
};

// A grow-only scratch area owned by the calling thread. Kernels are called once per layer per
// step, so reusing the allocation avoids an mmap + page faults on every call; thread_local keeps
// concurrent callers (several Python threads with the GIL released) from sharing it.
// `slot` lets one call hold several independent scratch areas.
float* thread_scratch(int slot, std::size_t count);

}  // namespace fastconv
