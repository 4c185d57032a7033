// VideoWriter: RGB24 frames -> swscale to yuv420p -> libx264 or MPEG-4 part 2 -> mp4 (or
// whatever container the path's extension names), keeping each frame's own timestamp.
#include "video/video_writer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "base/error.h"
#include "video/ffmpeg_error.h"
#include "video/ffmpeg_log.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace llama::video {
namespace {

// Finer than a millisecond so frame timestamps survive, and below MPEG-4 part 2's limit of
// 65535 for the time base denominator.
constexpr AVRational kTimeBase{1, 60000};

// MPEG-4 part 2 quantiser: 2 is near-lossless, 31 worst; 3 keeps detections on the output
// comparable to the input at a modest size.
constexpr int kMpeg4Quantiser = 3;

}  // namespace

struct VideoWriter::State {
  std::string path;
  WriteOptions options;
  int encode_width = 0;
  int encode_height = 0;

  AVFormatContext* format = nullptr;
  AVCodecContext* encoder = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;

  bool closed = false;
  int64_t last_pts = AV_NOPTS_VALUE;
  int64_t written = 0;

  ~State() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&encoder);
    if (format) {
      if (!(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }

  void open();
  void open_encoder();
  void send(const AVFrame* input);
};

void VideoWriter::State::open_encoder() {
  const AVCodec* codec = nullptr;
  if (options.codec == "h264") {
    codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) {
      av_log(nullptr, AV_LOG_WARNING,
             "%s: this FFmpeg build has no libx264; writing MPEG-4 part 2 instead\n", path.c_str());
      options.codec = "mpeg4";
    }
  }
  if (options.codec == "mpeg4") {
    codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  } else if (options.codec != "h264") {
    throw Error(ExitCode::output,
                path + ": unknown codec '" + options.codec + "' (use h264 or mpeg4)");
  }
  if (!codec) {
    throw Error(ExitCode::output,
                path + ": this FFmpeg build has no " + options.codec + " encoder");
  }

  encoder = avcodec_alloc_context3(codec);
  if (!encoder) throw Error(ExitCode::internal, path + ": out of memory");
  encoder->width = encode_width;
  encoder->height = encode_height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = kTimeBase;
  encoder->framerate = av_d2q(options.fps, 100000);
  encoder->thread_count = std::max(options.threads, 0);
  // swscale converts with BT.601 limited range; tag it so players and our reader agree.
  encoder->colorspace = AVCOL_SPC_SMPTE170M;
  encoder->color_range = AVCOL_RANGE_MPEG;
  if (format->oformat->flags & AVFMT_GLOBALHEADER) {
    encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }
  if (options.codec == "h264") {
    av_opt_set(encoder->priv_data, "preset", "veryfast", 0);
    av_opt_set_double(encoder->priv_data, "crf", options.crf, 0);
    // x264 prints its settings and statistics at info level on every file; keep warnings only.
    av_opt_set(encoder->priv_data, "x264-params", "log=1", 0);
  } else {
    encoder->flags |= AV_CODEC_FLAG_QSCALE;
    encoder->global_quality = FF_QP2LAMBDA * kMpeg4Quantiser;
  }

  const int ret = avcodec_open2(encoder, codec, nullptr);
  if (ret < 0) {
    throw Error(ExitCode::output, path + ": cannot open the " + codec->name + " encoder (" +
                                      av_error_text(ret) + ")");
  }
}

void VideoWriter::State::open() {
  if (options.width <= 0 || options.height <= 0) {
    throw Error(ExitCode::internal, path + ": VideoWriter needs a positive size, got " +
                                        std::to_string(options.width) + "x" +
                                        std::to_string(options.height));
  }
  if (options.fps <= 0) {
    throw Error(ExitCode::internal, path + ": VideoWriter needs fps > 0");
  }
  // yuv420p halves chroma in both directions, so encoders need an even size. An odd input is
  // cropped by its last column/row rather than resampled: one pixel is invisible, and a
  // crop keeps every other pixel exactly where it was.
  encode_width = options.width & ~1;
  encode_height = options.height & ~1;
  if (encode_width == 0 || encode_height == 0) {
    throw Error(ExitCode::output, path + ": cannot encode a " + std::to_string(options.width) +
                                      "x" + std::to_string(options.height) +
                                      " video (it needs at least 2x2 pixels)");
  }

  int ret = avformat_alloc_output_context2(&format, nullptr, nullptr, path.c_str());
  if (ret < 0 || !format) {
    // No container matches the extension; mp4 is what this writer promises.
    ret = avformat_alloc_output_context2(&format, nullptr, "mp4", path.c_str());
    if (ret < 0 || !format) cannot_write(path, ret);
  }

  open_encoder();

  stream = avformat_new_stream(format, nullptr);
  if (!stream) throw Error(ExitCode::internal, path + ": out of memory");
  stream->time_base = encoder->time_base;
  stream->avg_frame_rate = encoder->framerate;
  ret = avcodec_parameters_from_context(stream->codecpar, encoder);
  if (ret < 0) cannot_write(path, ret);

  // Opening the file here, not at the first frame, reports a bad --out before any work.
  if (!(format->oformat->flags & AVFMT_NOFILE)) {
    ret = avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (ret < 0) cannot_write(path, ret);
  }
  ret = avformat_write_header(format, nullptr);
  if (ret < 0) cannot_write(path, ret);

  frame = av_frame_alloc();
  packet = av_packet_alloc();
  if (!frame || !packet) throw Error(ExitCode::internal, path + ": out of memory");
  frame->format = encoder->pix_fmt;
  frame->width = encode_width;
  frame->height = encode_height;
  ret = av_frame_get_buffer(frame, 0);
  if (ret < 0) throw Error(ExitCode::internal, path + ": out of memory");

  // Reading only the even-sized top-left part of each RGB image is the crop described above.
  sws = sws_getContext(encode_width, encode_height, AV_PIX_FMT_RGB24, encode_width, encode_height,
                       AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (!sws) throw Error(ExitCode::internal, path + ": cannot set up RGB to YUV conversion");
}

// Sends one frame (nullptr flushes) and writes every packet the encoder has ready.
void VideoWriter::State::send(const AVFrame* input) {
  int ret = avcodec_send_frame(encoder, input);
  if (ret < 0) {
    throw Error(ExitCode::output, path + ": encoding failed (" + av_error_text(ret) + ")");
  }
  while (true) {
    ret = avcodec_receive_packet(encoder, packet);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    if (ret < 0) {
      throw Error(ExitCode::output, path + ": encoding failed (" + av_error_text(ret) + ")");
    }
    av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
    packet->stream_index = stream->index;
    ret = av_interleaved_write_frame(format, packet);  // takes the packet's reference
    if (ret < 0) cannot_write(path, ret);
  }
}

VideoWriter::VideoWriter(const std::string& path, const WriteOptions& options)
    : state_(std::make_unique<State>()) {
  quiet_ffmpeg_logs_once();
  state_->path = path;
  state_->options = options;
  state_->open();
}

VideoWriter::~VideoWriter() {
  try {
    close();
  } catch (...) {
    // A destructor must not throw; whoever needs the error calls close() themselves.
  }
}

void VideoWriter::write(const Frame& frame) {
  State& s = *state_;
  if (s.closed) throw Error(ExitCode::internal, s.path + ": write() after close()");
  const size_t expected = static_cast<size_t>(s.options.width) * s.options.height * 3;
  if (frame.width != s.options.width || frame.height != s.options.height ||
      frame.rgb.size() != expected) {
    throw Error(ExitCode::internal,
                s.path + ": frame is " + std::to_string(frame.width) + "x" +
                    std::to_string(frame.height) + " (" + std::to_string(frame.rgb.size()) +
                    " bytes) but the writer was opened for " + std::to_string(s.options.width) +
                    "x" + std::to_string(s.options.height));
  }

  // The encoder may still hold a reference to the previous frame's buffer.
  int ret = av_frame_make_writable(s.frame);
  if (ret < 0) throw Error(ExitCode::internal, s.path + ": out of memory");
  const uint8_t* src[4] = {frame.rgb.data(), nullptr, nullptr, nullptr};
  const int src_stride[4] = {frame.width * 3, 0, 0, 0};
  sws_scale(s.sws, src, src_stride, 0, s.encode_height, s.frame->data, s.frame->linesize);

  // Encoders reject equal or decreasing timestamps; nudge by one tick (1/60000 s).
  int64_t pts = std::llround(frame.timestamp_s * kTimeBase.den / kTimeBase.num);
  if (s.last_pts != AV_NOPTS_VALUE && pts <= s.last_pts) pts = s.last_pts + 1;
  s.last_pts = pts;
  s.frame->pts = pts;
  if (s.options.codec == "mpeg4") s.frame->quality = s.encoder->global_quality;

  s.send(s.frame);
  ++s.written;
}

void VideoWriter::close() {
  State& s = *state_;
  if (s.closed) return;
  s.closed = true;  // set first: a failure below must not be retried by the destructor
  s.send(nullptr);
  const int ret = av_write_trailer(s.format);
  if (ret < 0) cannot_write(s.path, ret);
  if (!(s.format->oformat->flags & AVFMT_NOFILE)) {
    const int close_ret = avio_closep(&s.format->pb);
    if (close_ret < 0) cannot_write(s.path, close_ret);
  }
}

int64_t VideoWriter::frames_written() const {
  return state_->written;
}

}  // namespace llama::video
