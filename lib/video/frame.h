// A decoded frame as a plain RGB24 buffer: layers above wrap it as a tensor without a copy
// (torch::from_blob), so this layer needs no torch headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace llama::video {

// Leaves new bytes uninitialised: the decoder overwrites every pixel, and zero-filling a
// 1-6 MB frame first costs about as much as the colour conversion itself.
// Every buffer also owns kPixelPadding bytes past its end, as FFmpeg pads its own
// (AV_INPUT_BUFFER_PADDING_SIZE): swscale's SIMD loads read up to a vector past the last
// pixel (rgb24 -> yuv420p in the encoder, at widths such as 568 and 1080). In the
// allocation, not in size(), so copies of a frame keep it too.
inline constexpr size_t kPixelPadding = 64;

template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) {}
  T* allocate(size_t n) { return std::allocator<T>::allocate(n + kPixelPadding); }
  void deallocate(T* p, size_t n) { std::allocator<T>::deallocate(p, n + kPixelPadding); }
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
