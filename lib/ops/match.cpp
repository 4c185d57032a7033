// match: compares each embedding with a gallery of known faces and passes on the ones that
// match, saying who was seen, where, when and how close. The gallery is a JSONL file that an
// `embed -> sink` pipeline wrote, or a folder of face images (one face each, cropped).
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include "base/error.h"
#include "models/face_embedder.h"
#include "ops/builtin.h"
#include "video/video_reader.h"

namespace llama::ops {

namespace {

namespace fs = std::filesystem;

struct Known {
  std::string who;
  std::vector<float> embedding;
};

std::vector<Known> load_jsonl_gallery(const std::string& path, const std::string& op) {
  std::ifstream in(path);
  std::vector<Known> gallery;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty()) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      throw Error(ExitCode::bad_spec, path + ":" + std::to_string(line_number) +
                                          ": not JSON (op '" + op + "' gallery)");
    }
    if (!record.contains("embedding"))
      throw Error(ExitCode::bad_spec,
                  path + ":" + std::to_string(line_number) +
                      ": no 'embedding' (make the gallery with an embed -> sink pipeline)");
    std::string who = record.value("name", "");
    if (who.empty())
      who = fs::path(record.value("video", "gallery")).stem().string() + "@" +
            std::to_string(record.value("frame", 0));
    gallery.push_back({who, record["embedding"].get<std::vector<float>>()});
  }
  return gallery;
}

std::vector<Known> load_image_gallery(const std::string& folder, models::FaceEmbedder& embedder) {
  std::vector<Known> gallery;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    video::VideoReader reader(file.string(), {});  // FFmpeg reads stills as one-frame videos
    std::optional<video::Frame> image = reader.next();
    if (!image)
      throw Error(ExitCode::bad_input, file.string() + ": no picture in this gallery image");
    models::ImageView view{image->rgb.data(), image->width, image->height};
    models::Rect whole{0, 0, static_cast<float>(image->width), static_cast<float>(image->height)};
    gallery.push_back({file.stem().string(), embedder.embed({view}, {whole}).at(0)});
  }
  return gallery;
}

// mobilefacenet packs faces close together on its unit sphere: on Megamind.avi the same
// face in other frames lies 0.009-0.013 away, another person 0.020-0.026 (tests/e2e).
constexpr double kDefaultThreshold = 0.016;

class MatchOp : public Op {
 public:
  explicit MatchOp(const OpContext& ctx)
      : threshold_(ctx.param_number("threshold", kDefaultThreshold)) {
    std::string path = ctx.param_path("gallery");
    if (!fs::exists(path))
      throw Error(
          ExitCode::bad_spec,
          path + ": gallery not found (op '" + ctx.spec->name +
              "'; make it with an embed -> sink pipeline, or give a folder of face images)");
    if (fs::is_directory(path)) {
      models::FaceEmbedder embedder(ctx.model_path("model"), ctx.knob_string("device", "cpu"));
      gallery_ = load_image_gallery(path, embedder);
    } else {
      gallery_ = load_jsonl_gallery(path, ctx.spec->name);
    }
    if (gallery_.empty())
      throw Error(ExitCode::bad_spec,
                  path + ": the gallery is empty (op '" + ctx.spec->name + "')");
  }

  void process(std::vector<Item>& batch, std::vector<Item>& out) override {
    for (Item& item : batch) {
      const Known* best = nullptr;
      float best_distance = std::numeric_limits<float>::max();
      for (const Known& k : gallery_) {
        if (k.embedding.size() != item.embedding.size()) continue;
        float d = models::embedding_distance(k.embedding, item.embedding);
        if (d < best_distance) best_distance = d, best = &k;
      }
      if (!best || best_distance > threshold_) continue;
      item.kind = spec::ItemKind::detection;
      item.fields["who"] = best->who;
      item.fields["distance"] = best_distance;
      item.embedding.clear();
      out.push_back(std::move(item));
    }
  }

  nlohmann::json summary() const override { return {{"gallery_size", gallery_.size()}}; }

 private:
  double threshold_;
  std::vector<Known> gallery_;
};

}  // namespace

void register_match_op(OpRegistry& registry) {
  spec::OpSignature s;
  s.kind = "match";
  s.summary = "pass on the embeddings close to a gallery face, with who and the distance";
  s.accepts = {spec::ItemKind::embedding};
  s.produces = spec::ItemKind::detection;
  s.fields = {"who", "distance", "label", "score", "x", "y", "w", "h", "track_id"};
  s.params = {
      {"gallery",
       spec::ParamType::string,
       true,
       "a JSONL of embeddings (embed -> sink) or a folder of face images",
       {}},
      {"model", spec::ParamType::model, false, "embedding model for a folder gallery", {}},
      {"threshold",
       spec::ParamType::number,
       false,
       "largest distance that counts as a match (default 0.016, for mobilefacenet)",
       {}},
  };
  s.knobs = {device_knob(false), batch_knob()};
  s.parallel = true;  // no state from one batch to the next
  registry.add(std::move(s), [](const OpContext& ctx) { return std::make_unique<MatchOp>(ctx); });
}

}  // namespace llama::ops
