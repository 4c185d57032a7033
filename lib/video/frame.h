// A decoded frame as a plain RGB24 buffer: layers above wrap it as a tensor without a copy
// (torch::from_blob), so this layer needs no torch headers.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace llama::video {

// Leaves new bytes uninitialised: the decoder overwrites every pixel, and zero-filling a
// 1-6 MB frame first costs about as much as the colour conversion itself.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) {}
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0)
      ::new (static_cast<void*>(p)) U;
    else
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using PixelBuffer = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

struct Frame {
  int width = 0;
  int height = 0;
  int64_t index = 0;         // position in the source video (0-based, counts every frame)
  double timestamp_s = 0.0;  // presentation time relative to the stream's start
  PixelBuffer rgb;           // [height, width, 3], row-major, tightly packed
};

}  // namespace llama::video
