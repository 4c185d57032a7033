#include "video/rgb_converter.h"

#include <cmath>
#include <cstddef>
#include <cstring>

#include "base/error.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace llama::video {
namespace {

// swscale's x86 YUV -> RGB converter writes whole 16-pixel chunks per row. Into a tightly
// packed row of another width it writes past the row's end (off the end of the buffer on
// the last row: heap corruption at 568 or 1080 wide) or leaves the last pixels unconverted
// (854 wide). Such widths convert into a padded scratch image and are copied out by rows.
constexpr int kDirectWidthMultiple = 16;

// The deprecated full-range "J" formats make swscale warn; map them to the plain format and
// pass the range explicitly instead.
AVPixelFormat plain_format(AVPixelFormat format, bool* full_range) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
      *full_range = true;
      return AV_PIX_FMT_YUV411P;
    default:
      return format;
  }
}

// An enum field of a decoded picture as the int the decoder stored. A damaged or unusual
// stream can carry a code the enum does not name (colorspace 18, from a bitstream's matrix
// coefficients); reading that as the enum type is undefined behaviour (UBSan, found by
// scripts/fuzz fuzz_video_reader).
template <class Enum>
int stored_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int));
  int value = 0;
  std::memcpy(&value, &field, sizeof value);
  return value;
}

// Copies a w x h RGB24 image with row stride `stride` into `dst` (tightly packed), turned
// clockwise by `rotation` degrees.
void copy_turned(const uint8_t* src, int stride, int w, int h, int rotation, uint8_t* dst) {
  auto at = [&](int x, int y) { return src + static_cast<ptrdiff_t>(y) * stride + x * 3; };
  if (rotation == 0) {
    for (int y = 0; y < h; ++y) std::memcpy(dst + static_cast<size_t>(y) * w * 3, at(0, y), w * 3);
    return;
  }
  const int out_w = rotation == 180 ? w : h;
  const int out_h = rotation == 180 ? h : w;
  // An output row of a quarter turn runs down a source column; the next row runs down the
  // neighbouring column, so the source lines it reads are still in cache.
  const ptrdiff_t step = rotation == 90 ? -stride : rotation == 270 ? stride : -3;
  for (int y = 0; y < out_h; ++y) {
    // The source pixel that lands at (0, y); `step` leads to the one at (x + 1, y).
    const uint8_t* p = rotation == 90    ? at(y, h - 1)
                       : rotation == 270 ? at(w - 1 - y, 0)
                                         : at(w - 1, h - 1 - y);
    uint8_t* q = dst + static_cast<size_t>(y) * out_w * 3;
    for (int x = 0; x < out_w; ++x, p += step, q += 3) {
      q[0] = p[0];
      q[1] = p[1];
      q[2] = p[2];
    }
  }
}

}  // namespace

RgbConverter::~RgbConverter() {
  sws_freeContext(sws_);
  av_frame_free(&scratch_);
}

void RgbConverter::prepare(const AVFrame& picture) {
  bool full_range = stored_value(picture.color_range) == AVCOL_RANGE_JPEG;
  const AVPixelFormat format =
      plain_format(static_cast<AVPixelFormat>(picture.format), &full_range);
  // Codes swscale does not know fall back to its default (BT.601) in sws_getCoefficients.
  const int colorspace = stored_value(picture.colorspace);
  if (sws_ && width_ == picture.width && height_ == picture.height && format_ == format &&
      colorspace_ == colorspace && full_range_ == full_range)
    return;
  sws_freeContext(sws_);
  // Same size in and out: a pure colour conversion. Bicubic is what the ffmpeg CLI uses, so
  // results match `ffmpeg -pix_fmt rgb24`.
  sws_ = sws_getContext(picture.width, picture.height, format, picture.width, picture.height,
                        AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws_) {
    const char* name = av_get_pix_fmt_name(format);
    throw Error(ExitCode::bad_input,
                path_ + ": cannot convert its pixel format '" + (name ? name : "?") + "' to RGB");
  }
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  if (desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3) {
    // Unspecified colorspaces fall back to swscale's default (BT.601), like the CLI.
    sws_setColorspaceDetails(sws_, sws_getCoefficients(colorspace), full_range ? 1 : 0,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
  }
  width_ = picture.width;
  height_ = picture.height;
  format_ = format;
  colorspace_ = colorspace;
  full_range_ = full_range;
}

void RgbConverter::convert(const AVFrame& picture, int rotation, Frame& out) {
  prepare(picture);
  const int w = picture.width, h = picture.height;
  const bool sideways = rotation == 90 || rotation == 270;
  out.width = sideways ? h : w;
  out.height = sideways ? w : h;
  out.rgb.resize(static_cast<size_t>(w) * h * 3);
  if (rotation == 0 && w % kDirectWidthMultiple == 0) {
    // Straight into the frame's own buffer: no intermediate copy.
    uint8_t* dst[4] = {out.rgb.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {w * 3, 0, 0, 0};
    sws_scale(sws_, picture.data, picture.linesize, 0, h, dst, dst_stride);
    return;
  }
  if (!scratch_ || scratch_->width != w || scratch_->height != h) {
    av_frame_free(&scratch_);
    scratch_ = av_frame_alloc();
    if (!scratch_) throw Error(ExitCode::internal, path_ + ": out of memory");
    scratch_->format = AV_PIX_FMT_RGB24;
    scratch_->width = w;
    scratch_->height = h;
    // 64-byte alignment makes each row a whole number of 64-byte vectors, longer than any
    // chunk swscale writes past the row's last pixel.
    if (av_frame_get_buffer(scratch_, 64) < 0)
      throw Error(ExitCode::internal, path_ + ": out of memory");
  }
  sws_scale(sws_, picture.data, picture.linesize, 0, h, scratch_->data, scratch_->linesize);
  copy_turned(scratch_->data[0], scratch_->linesize[0], w, h, rotation, out.rgb.data());
}

int upright_rotation(const int32_t* display_matrix) {
  if (!display_matrix) return 0;
  // av_display_rotation_get gives the counter-clockwise angle the matrix applies; the CLI
  // (fftools' get_rotation) turns the picture clockwise by its negation, kept in [0, 360).
  const double angle = av_display_rotation_get(display_matrix);
  if (std::isnan(angle)) return 0;
  double clockwise = -std::round(angle);
  clockwise -= 360 * std::floor(clockwise / 360 + 0.9 / 360);
  for (int quarter : {0, 90, 180, 270})
    if (std::fabs(clockwise - quarter) < 1.0) return quarter;
  return 0;
}

}  // namespace llama::video
