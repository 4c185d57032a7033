// concat_videos: demux each part, copy its video packets into one output container.
#include "video/video_concat.h"

#include <cerrno>
#include <memory>

#include "base/error.h"
#include "video/ffmpeg_error.h"
#include "video/ffmpeg_log.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace llama::video {
namespace {

struct InputCloser {
  void operator()(AVFormatContext* format) const { avformat_close_input(&format); }
};
struct OutputCloser {
  void operator()(AVFormatContext* format) const {
    if (!(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
    avformat_free_context(format);
  }
};
struct PacketFreer {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using Input = std::unique_ptr<AVFormatContext, InputCloser>;
using Output = std::unique_ptr<AVFormatContext, OutputCloser>;
using Packet = std::unique_ptr<AVPacket, PacketFreer>;

// Parts are llama's own earlier output, so a part it cannot read is an output error.
[[noreturn]] void cannot_read_part(const std::string& path, const std::string& why) {
  throw Error(ExitCode::output, path + ": cannot read this part of the output video (" + why +
                                    "); it may have been moved or damaged since it was written");
}

struct Part {
  Input format;
  AVStream* stream = nullptr;
};

Part open_part(const std::string& path) {
  AVFormatContext* raw = nullptr;
  int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);  // frees raw on failure
  if (ret < 0) cannot_read_part(path, av_error_text(ret));
  Part part{Input(raw)};
  ret = avformat_find_stream_info(raw, nullptr);
  if (ret < 0) cannot_read_part(path, av_error_text(ret));
  ret = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (ret < 0) cannot_read_part(path, "it has no video stream");
  part.stream = raw->streams[ret];
  return part;
}

Output open_output(const std::string& path, const AVStream& source) {
  AVFormatContext* raw = nullptr;
  int ret = avformat_alloc_output_context2(&raw, nullptr, nullptr, path.c_str());
  if (ret < 0 || !raw) {
    // No container matches the extension; mp4 is what VideoWriter falls back to as well.
    ret = avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str());
    if (ret < 0 || !raw) cannot_write(path, ret);
  }
  Output out(raw);
  AVStream* stream = avformat_new_stream(raw, nullptr);
  if (!stream) throw Error(ExitCode::internal, path + ": out of memory");
  ret = avcodec_parameters_copy(stream->codecpar, source.codecpar);
  if (ret < 0) throw Error(ExitCode::internal, path + ": out of memory");
  // The source container's fourcc may not be valid in this one; let the muxer choose.
  stream->codecpar->codec_tag = 0;
  stream->time_base = source.time_base;
  stream->avg_frame_rate = source.avg_frame_rate;
  if (!(raw->oformat->flags & AVFMT_NOFILE)) {
    ret = avio_open(&raw->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (ret < 0) cannot_write(path, ret);
  }
  ret = avformat_write_header(raw, nullptr);  // may change stream->time_base
  if (ret < 0) cannot_write(path, ret);
  return out;
}

}  // namespace

void concat_videos(const std::vector<std::string>& parts, const std::string& out_path) {
  if (parts.empty()) throw Error(ExitCode::internal, out_path + ": no parts to join");
  quiet_ffmpeg_logs_once();

  Part first = open_part(parts.front());
  const AVCodecID codec_id = first.stream->codecpar->codec_id;
  const int width = first.stream->codecpar->width;
  const int height = first.stream->codecpar->height;
  Output out = open_output(out_path, *first.stream);
  AVStream* out_stream = out->streams[0];
  Packet packet(av_packet_alloc());
  if (!packet) throw Error(ExitCode::internal, out_path + ": out of memory");

  int64_t last_dts = AV_NOPTS_VALUE;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& path = parts[i];
    Part part = i == 0 ? std::move(first) : open_part(path);
    const AVCodecParameters& params = *part.stream->codecpar;
    if (params.codec_id != codec_id || params.width != width || params.height != height) {
      throw Error(ExitCode::internal, path + ": is " + avcodec_get_name(params.codec_id) + " " +
                                          std::to_string(params.width) + "x" +
                                          std::to_string(params.height) + " but " + parts.front() +
                                          " is " + avcodec_get_name(codec_id) + " " +
                                          std::to_string(width) + "x" + std::to_string(height) +
                                          "; only parts of one encode can be joined");
    }

    int ret = 0;
    while ((ret = av_read_frame(part.format.get(), packet.get())) >= 0) {
      if (packet->stream_index != part.stream->index) {
        av_packet_unref(packet.get());
        continue;
      }
      av_packet_rescale_ts(packet.get(), part.stream->time_base, out_stream->time_base);
      // Each part's encoder started afresh: with B-frames its decode timestamps start a
      // reorder delay (its first frames' spacing) before its first frame, so where those
      // frames are sparse they fall at or before the previous part's last ones.
      if (packet->dts != AV_NOPTS_VALUE) {
        if (last_dts != AV_NOPTS_VALUE && packet->dts <= last_dts) {
          packet->dts = last_dts + 1;
          if (packet->pts != AV_NOPTS_VALUE && packet->pts < packet->dts) packet->pts = packet->dts;
        }
        last_dts = packet->dts;
      }
      packet->stream_index = out_stream->index;
      packet->pos = -1;
      ret = av_interleaved_write_frame(out.get(), packet.get());  // takes the packet's reference
      if (ret < 0) cannot_write(out_path, ret);
    }
    if (ret != AVERROR_EOF) cannot_read_part(path, av_error_text(ret));
  }

  int ret = av_write_trailer(out.get());
  if (ret < 0) cannot_write(out_path, ret);
  if (!(out->oformat->flags & AVFMT_NOFILE)) {
    ret = avio_closep(&out->pb);
    if (ret < 0) cannot_write(out_path, ret);
  }
}

}  // namespace llama::video
