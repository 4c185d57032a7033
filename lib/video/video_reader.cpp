// VideoReader: FFmpeg demux + decode, then RgbConverter to upright RGB24, with the time range
// and sampling applied as frames come out of the decoder so that dropped frames are never
// converted.
#include "video/video_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "base/error.h"
#include "video/ffmpeg_error.h"
#include "video/ffmpeg_log.h"
#include "video/rgb_converter.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
}

namespace llama::video {

double timestamp_slack_s(double fps) {
  return fps > 0 ? std::min(1e-3, 0.25 / fps) : 1e-3;
}
namespace {

// Below this share of the frames a container declares, a clean EOF still means the file
// was cut short; the slack covers estimates from durations and edit lists.
constexpr double kTruncatedShare = 0.9;

[[noreturn]] void bad_input(const std::string& path, const std::string& what) {
  throw Error(ExitCode::bad_input, path + ": " + what);
}

// Paths with a scheme (rtsp://, http://, file:) are FFmpeg URLs, not files we can stat.
bool is_url(const std::string& path) {
  return path.find("://") != std::string::npos || path.rfind("file:", 0) == 0;
}

// FFmpeg's own messages for these cases ("No such file or directory", "Invalid data") do
// not say what to do, so they are checked up front.
void check_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) bad_input(path, "no such file (check the path, or pass --input)");
  if (fs::is_directory(status)) {
    bad_input(path, "is a folder, not a video file (pass the video file itself)");
  }
  const auto size = fs::file_size(path, ec);
  if (!ec && size == 0) {
    bad_input(path, "file is empty (0 bytes); check that it finished copying or downloading");
  }
}

std::string describe_streams(const AVFormatContext* format) {
  if (format->nb_streams == 0) return "it holds no streams";
  unsigned audio = 0, cover_art = 0;
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream* st = format->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) ++audio;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) ++cover_art;
  }
  if (audio + cover_art == format->nb_streams && audio > 0) {
    return cover_art > 0 ? "it holds audio and cover art only" : "it holds audio only";
  }
  return "it holds no video, only other streams";
}

// The video stream to decode: FFmpeg's pick, unless that is an album cover.
int pick_video_stream(AVFormatContext* format) {
  const int best = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (best >= 0 && !(format->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    return best;
  }
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    const AVStream* st = format->streams[i];
    if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Phones record portrait video as landscape pictures plus this matrix.
const int32_t* display_matrix(const AVStream* stream) {
#if LIBAVFORMAT_VERSION_MAJOR >= 61
  const AVPacketSideData* side =
      av_packet_side_data_get(stream->codecpar->coded_side_data,
                              stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  return side && side->size >= 9 * sizeof(int32_t) ? reinterpret_cast<const int32_t*>(side->data)
                                                   : nullptr;
#else
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  return data && size >= 9 * sizeof(int32_t) ? reinterpret_cast<const int32_t*>(data) : nullptr;
#endif
}

// Matroska keeps per-track durations only as a "DURATION" tag (HH:MM:SS.nnnnnnnnn).
double tag_duration_s(const AVStream* stream) {
  const AVDictionaryEntry* tag = av_dict_get(stream->metadata, "DURATION", nullptr, 0);
  if (!tag) return 0.0;
  int h = 0, m = 0;
  double s = 0.0;
  if (std::sscanf(tag->value, "%d:%d:%lf", &h, &m, &s) != 3) return 0.0;
  return h * 3600.0 + m * 60.0 + s;
}

}  // namespace

struct VideoReader::State {
  ReadOptions options;
  VideoInfo info;

  AVFormatContext* format = nullptr;
  AVCodecContext* decoder = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  std::unique_ptr<RgbConverter> rgb;
  int rotation = 0;  // clockwise degrees that turn each picture upright

  int stream_index = -1;
  AVRational time_base{0, 1};
  int64_t start_pts = 0;        // the stream's start, in time_base units
  double tolerance_s = 1e-3;    // slack for timestamps quantised by the container's time base
  int64_t declared_frames = 0;  // what the truncation check compares with; 0 = unknown

  // Decoder progress.
  bool check_seek = false;  // the next decoded frame shows where the seek to start_s landed
  bool flushing = false;    // the EOF (NULL) packet was sent
  bool finished = false;
  bool stopped_at_end = false;
  int64_t decoded = 0;
  int64_t last_index = -1;
  double last_ts = 0.0;
  bool truncated = false;
  std::string truncation_cause;
  std::string truncation_reason;

  // Sampling progress.
  bool have_first_kept = false;
  double first_kept_s = 0.0;
  int64_t next_tick = 1;  // next fps tick, counted in 1/fps steps from first_kept_s
  int64_t fps_survivors = 0;
  int64_t last_given_index = -1;
  double last_given_s = 0.0;

  ~State() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&decoder);
    avformat_close_input(&format);
  }

  void open(const std::string& path);
  double seek_target_s() const;
  void seek_to_start();
  void reopen();
  void feed_decoder();
  void start_flush();
  void mark_truncated(const std::string& cause);
  void finish();
  std::optional<Frame> take_frame();
  bool keep(double ts);
  Frame convert(int64_t index, double ts);
};

void VideoReader::State::open(const std::string& path) {
  if (!is_url(path)) check_file(path);

  int ret = avformat_open_input(&format, path.c_str(), nullptr, nullptr);
  if (ret == AVERROR(EACCES)) {
    bad_input(path, "cannot read (" + av_error_text(ret) + "); check the file's permissions");
  }
  if (ret < 0) {
    bad_input(path, "not a video FFmpeg can read (" + av_error_text(ret) +
                        "); check that it is a video, and not truncated or damaged");
  }
  // FFmpeg opens plain-text .nfo/.txt files as ANSI art; that is never what a user meant.
  if (std::strcmp(format->iformat->name, "tty") == 0) {
    bad_input(path, "is a text file, not a video (pass a video file)");
  }
  ret = avformat_find_stream_info(format, nullptr);
  if (ret < 0) {
    bad_input(path, "cannot read its stream information (" + av_error_text(ret) +
                        "); the file may be truncated or damaged");
  }

  stream_index = pick_video_stream(format);
  if (stream_index < 0) {
    bad_input(path, "has no video stream (" + describe_streams(format) + "); pass a video file");
  }
  AVStream* stream = format->streams[stream_index];
  // Other streams are never decoded; discarding them lets the demuxer skip their packets.
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index) format->streams[i]->discard = AVDISCARD_ALL;
  }

  const AVCodecID codec_id = stream->codecpar->codec_id;
  const AVCodec* codec = avcodec_find_decoder(codec_id);
  if (!codec) {
    bad_input(path, std::string("no decoder for its video codec '") + avcodec_get_name(codec_id) +
                        "' in this FFmpeg build (re-encode it, e.g. to H.264)");
  }
  decoder = avcodec_alloc_context3(codec);
  if (!packet) packet = av_packet_alloc();
  if (!frame) frame = av_frame_alloc();
  if (!decoder || !packet || !frame) throw Error(ExitCode::internal, path + ": out of memory");
  ret = avcodec_parameters_to_context(decoder, stream->codecpar);
  if (ret < 0) {
    bad_input(path, "unusable codec parameters (" + av_error_text(ret) + ")");
  }
  decoder->thread_count = std::max(options.threads, 0);
  decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  decoder->pkt_timebase = stream->time_base;
  ret = avcodec_open2(decoder, codec, nullptr);
  if (ret < 0) {
    bad_input(path, std::string("cannot open the '") + codec->name + "' decoder (" +
                        av_error_text(ret) + "); the file may be damaged");
  }

  time_base = stream->time_base;
  start_pts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;

  info.path = path;
  info.codec = avcodec_get_name(codec_id);
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  rotation = upright_rotation(display_matrix(stream));
  if (rotation == 90 || rotation == 270) std::swap(info.width, info.height);
  if (!rgb) rgb = std::make_unique<RgbConverter>(path);
  AVRational rate = stream->avg_frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = stream->r_frame_rate;
  if (rate.num > 0 && rate.den > 0) info.fps = av_q2d(rate);
  tolerance_s = timestamp_slack_s(info.fps);

  // Durations from most to least specific to this stream. The container's overall duration
  // may include a longer audio track, so the truncation check trusts it only when the video
  // is the file's sole stream.
  double stream_duration = 0.0;
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
    stream_duration = stream->duration * av_q2d(time_base);
  } else {
    stream_duration = tag_duration_s(stream);
  }
  const double format_duration = format->duration != AV_NOPTS_VALUE && format->duration > 0
                                     ? format->duration / static_cast<double>(AV_TIME_BASE)
                                     : 0.0;
  info.duration_s = stream_duration > 0 ? stream_duration : format_duration;
  if (stream->nb_frames > 0) {
    info.frame_count = stream->nb_frames;
    declared_frames = stream->nb_frames;
  } else if (info.fps > 0) {
    info.frame_count = std::llround(info.duration_s * info.fps);
    const double trusted = stream_duration > 0       ? stream_duration
                           : format->nb_streams == 1 ? format_duration
                                                     : 0.0;
    declared_frames = std::llround(trusted * info.fps);
  }
}

// Resuming seeks to the last frame given, not past it: the frames from the keyframe before
// it up to it are decoded and dropped (take_frame), so those after come out as before.
double VideoReader::State::seek_target_s() const {
  return options.resume.last_index >= 0 ? std::max(options.start_s, options.resume.last_s)
                                        : options.start_s;
}

void VideoReader::State::seek_to_start() {
  const double target_s = seek_target_s();
  if (target_s <= 0) return;
  const int64_t offset =
      av_rescale_q(std::llround(target_s * AV_TIME_BASE), AV_TIME_BASE_Q, time_base);
  // A failed seek (unseekable input) is harmless: frames before start_s are decoded and
  // dropped instead.
  if (av_seek_frame(format, stream_index, start_pts + offset, AVSEEK_FLAG_BACKWARD) >= 0) {
    avcodec_flush_buffers(decoder);
    check_seek = true;
  }
}

// Formats without an index (MPEG-TS) seek by dts to any packet, so the decoder can skip to a
// keyframe after the target despite AVSEEK_FLAG_BACKWARD, and a seek back to the stream's
// start has the same problem. Reopening is the one way back to the first frame that works
// for every format; it happens at most once per reader.
void VideoReader::State::reopen() {
  avcodec_free_context(&decoder);
  avformat_close_input(&format);
  open(info.path);
  flushing = false;
  decoded = options.resume.last_index >= 0 ? options.resume.decoded : 0;
  last_index = -1;
  truncated = false;  // anything seen before the reopen will be seen again
  truncation_cause.clear();
  truncation_reason.clear();
}

void VideoReader::State::start_flush() {
  if (flushing) return;
  flushing = true;
  avcodec_send_packet(decoder, nullptr);
}

void VideoReader::State::mark_truncated(const std::string& cause) {
  if (truncated) return;
  truncated = true;
  truncation_cause = cause;
  truncation_reason = "decoding stopped after " + std::to_string(decoded) + " frames: " + cause;
}

// Reads packets until one reaches the decoder, or the input ends.
void VideoReader::State::feed_decoder() {
  while (true) {
    int ret = av_read_frame(format, packet);
    if (ret == AVERROR_EOF) {
      // Some demuxers report a cut-off file as a plain EOF with the I/O error kept aside.
      if (format->pb && format->pb->error < 0) {
        mark_truncated("read error (" + av_error_text(format->pb->error) + ")");
      }
      start_flush();
      return;
    }
    if (ret < 0) {
      mark_truncated("read error (" + av_error_text(ret) + ")");
      start_flush();
      return;
    }
    if (packet->stream_index != stream_index) {
      av_packet_unref(packet);
      continue;
    }
    ret = avcodec_send_packet(decoder, packet);
    av_packet_unref(packet);
    if (ret < 0 && ret != AVERROR(EAGAIN)) {
      mark_truncated("invalid data (" + av_error_text(ret) + ")");
      start_flush();
    }
    return;
  }
}

void VideoReader::State::finish() {
  finished = true;
  if (truncated) {
    // The drain after the error may have produced more frames; report the final count.
    truncation_reason =
        "decoding stopped after " + std::to_string(decoded) + " frames: " + truncation_cause;
    return;
  }
  if (stopped_at_end) return;
  if (decoded == 0) {
    truncated = true;
    truncation_reason = "no frame could be decoded (the file looks truncated or damaged)";
    return;
  }
  // After a seek the early frames were never decoded, so compare positions, not counts.
  const int64_t reached = std::max(decoded, last_index + 1);
  if (declared_frames > 0 && reached < kTruncatedShare * declared_frames) {
    truncated = true;
    truncation_reason = "decoded " + std::to_string(reached) + " of " +
                        std::to_string(declared_frames) + " frames the container declares";
  }
}

bool VideoReader::State::keep(double ts) {
  if (ts < options.start_s - tolerance_s) return false;
  if (options.end_s >= 0 && ts >= options.end_s - tolerance_s) {
    stopped_at_end = true;
    finished = true;
    return false;
  }
  if (options.fps > 0) {
    if (!have_first_kept) {
      have_first_kept = true;
      first_kept_s = ts;
    } else {
      // Ticks are computed from the first kept frame, not accumulated, so float error does
      // not drift; ticks already passed are skipped rather than caught up.
      const double elapsed = ts - first_kept_s + tolerance_s;
      if (elapsed * options.fps < static_cast<double>(next_tick)) return false;
      next_tick = static_cast<int64_t>(std::floor(elapsed * options.fps)) + 1;
    }
  }
  return fps_survivors++ % options.stride == 0;
}

std::optional<Frame> VideoReader::State::take_frame() {
  ++decoded;
  const int64_t pts = frame->best_effort_timestamp;
  double ts = 0.0;
  int64_t index = 0;
  if (pts != AV_NOPTS_VALUE) {
    ts = (pts - start_pts) * av_q2d(time_base);
    index = info.fps > 0 ? std::llround(ts * info.fps) : decoded - 1;
    if (check_seek) {
      check_seek = false;
      if (ts > seek_target_s() + tolerance_s) {
        av_frame_unref(frame);
        reopen();
        return std::nullopt;
      }
    }
  } else {
    ts = last_index < 0 ? 0.0 : last_ts + (info.fps > 0 ? 1.0 / info.fps : 0.0);
    index = last_index + 1;
  }
  // Variable-rate streams can round two frames onto one position; callers key results by
  // index, so keep it strictly increasing.
  index = std::max(index, last_index + 1);
  last_index = index;
  last_ts = ts;

  std::optional<Frame> out;
  if (index <= options.resume.last_index) {
    --decoded;  // given before the checkpoint: counted there, and not sampled again
  } else if (keep(ts)) {
    out = convert(index, ts);
    last_given_index = index;
    last_given_s = ts;
  }
  av_frame_unref(frame);
  return out;
}

Frame VideoReader::State::convert(int64_t index, double ts) {
  Frame out;
  out.index = index;
  out.timestamp_s = ts;
  rgb->convert(*frame, rotation, out);
  return out;
}

VideoReader::VideoReader(const std::string& path, const ReadOptions& options)
    : state_(std::make_unique<State>()) {
  quiet_ffmpeg_logs_once();
  // Bad options are the caller's bug: the spec layer validates what users type.
  if (options.stride < 1) {
    throw Error(ExitCode::internal,
                "VideoReader: stride must be >= 1, got " + std::to_string(options.stride));
  }
  if (options.fps < 0) {
    throw Error(ExitCode::internal, "VideoReader: fps must be >= 0");
  }
  state_->options = options;
  const ReadPosition& resume = options.resume;
  if (resume.last_index >= 0) {
    state_->decoded = resume.decoded;
    state_->have_first_kept = resume.have_first_kept;
    state_->first_kept_s = resume.first_kept_s;
    state_->next_tick = resume.next_tick;
    state_->fps_survivors = resume.fps_survivors;
    state_->last_given_index = resume.last_index;
    state_->last_given_s = resume.last_s;
  }
  state_->open(path);
  state_->seek_to_start();
}

VideoReader::~VideoReader() = default;

const VideoInfo& VideoReader::info() const {
  return state_->info;
}

std::optional<Frame> VideoReader::next() {
  State& s = *state_;
  while (!s.finished) {
    const int ret = avcodec_receive_frame(s.decoder, s.frame);
    if (ret == 0) {
      std::optional<Frame> kept = s.take_frame();
      if (kept) return kept;
    } else if (ret == AVERROR(EAGAIN)) {
      s.feed_decoder();
    } else if (ret == AVERROR_EOF && s.check_seek) {
      // The seek gave the decoder nothing to start from (MPEG-TS, near its end, lands past
      // the last keyframe): read from the start instead.
      s.check_seek = false;
      s.reopen();
    } else if (ret == AVERROR_EOF) {
      s.finish();
    } else {
      s.mark_truncated("invalid data (" + av_error_text(ret) + ")");
      // Drain what the decoder still holds; a second error while draining ends it.
      if (s.flushing) {
        s.finish();
      } else {
        s.start_flush();
      }
    }
  }
  return std::nullopt;
}

bool VideoReader::truncated() const {
  return state_->truncated;
}

const std::string& VideoReader::truncation_reason() const {
  return state_->truncation_reason;
}

int64_t VideoReader::frames_decoded() const {
  return state_->decoded;
}

ReadPosition VideoReader::position() const {
  const State& s = *state_;
  return {s.last_given_index, s.last_given_s, s.decoded,      s.have_first_kept,
          s.first_kept_s,     s.next_tick,    s.fps_survivors};
}

}  // namespace llama::video
