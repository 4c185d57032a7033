// The interface every op implements, and the context it is built with. An op instance is
// used by one invocation at a time (the executor guarantees it), so ops may keep state
// between batches (the previous frame, the open window, the open file).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/item.h"
#include "spec/pipeline_spec.h"

namespace llama::ops {

struct OpContext {
  const spec::OpSpec* spec = nullptr;
  std::map<std::string, std::string> config;      // knob -> chosen value
  std::vector<std::string> videos;                // the job's input videos, in order
  std::string out_dir;                            // where sinks and encoders write
  std::map<std::string, spec::ModelSpec> models;  // the pipeline's `models:` by name
  // The op's state will come from a checkpoint (Op::resume): files it writes are kept as they
  // are until then, not started afresh.
  bool resuming = false;
  // Items stamped before this time only warm stateful ops up (the overlap a cluster task
  // reads before its segment): sinks mark their records "warmup", encoders leave them out.
  double warmup_until_s = -1;

  // Typed access to params, falling back to a default when the param is absent.
  std::string param_string(const std::string& name, const std::string& fallback) const;
  double param_number(const std::string& name, double fallback) const;
  double param_duration_s(const std::string& name, double fallback) const;
  // A path param, resolved against the pipeline file's folder like `input:` is.
  std::string param_path(const std::string& name) const;
  // The model a `model` param names (validated against `models:`), and its file.
  const spec::ModelSpec& model(const std::string& param) const;
  std::string model_path(const std::string& param) const { return model(param).path; }
  // A knob's chosen value as a number, or the fallback when the op has no such knob.
  double knob_number(const std::string& name, double fallback) const;
  std::string knob_string(const std::string& name, const std::string& fallback) const;
};

// How one input video was read: the report lists it, and a truncated one is a warning
// (or, with --strict, a failure).
struct InputHealth {
  std::string path;
  int64_t frames_decoded = 0;
  bool truncated = false;
  std::string reason;
};

class Op {
 public:
  virtual ~Op() = default;

  // Sources only: append up to `max_items` items to `out`; false once there are no more.
  virtual bool produce(size_t max_items, std::vector<Item>& out) {
    (void)max_items;
    (void)out;
    return false;
  }

  // Everyone else: one invocation on a batch of items, in arrival order.
  virtual void process(std::vector<Item>& batch, std::vector<Item>& out) = 0;

  // After the last input (or when the run stops early): emit what is held, close files.
  virtual void finish(std::vector<Item>& out) { (void)out; }

  // Checkpoints (llama run --resume; README "Resume"). Only ops that keep state between
  // invocations take part; parallel ops keep none. At a checkpoint every item before it has
  // arrived and none after: drain() emits what that completes (a tracker's last frame),
  // checkpoint() makes what the op wrote so far durable and returns the state to continue
  // from, and resume() gives that state to a new instance before its first item.
  virtual void drain(std::vector<Item>& out) { (void)out; }
  virtual nlohmann::json checkpoint() { return nullptr; }
  virtual void resume(const nlohmann::json& state) { (void)state; }

  // A new `threads` knob value for the next invocations. The executor changes an instance's
  // thread count this way rather than building another instance (loading a model again):
  // ops that run torch keep the count and set it before each invocation.
  virtual void set_threads(int threads) { (void)threads; }

  // What the op wants in the report (files written, records, ...).
  virtual nlohmann::json summary() const { return nlohmann::json::object(); }

  virtual std::vector<InputHealth> inputs_read() const { return {}; }
};

}  // namespace llama::ops
