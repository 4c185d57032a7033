// The configs `llama profile` measures for one op: every combination of the knob values the
// pipeline allows, less the values this op or this machine cannot run. Plain C++ over the
// spec, so it is tested without torch and the planner can enumerate the same space.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "spec/op_signature.h"
#include "spec/pipeline_spec.h"

namespace llama::profile {

using Config = std::map<std::string, std::string>;  // knob -> value, one value per knob

// The op's configs, first the one `llama run` uses today (every knob at its first allowed
// value), then the rest of the cartesian product in the order the values are written.
// A knob's values are kept only when the op's signature accepts them (a listed choice, or a
// number in [min, max], an integer where it must be) and, for `device: cuda`, only when
// `cuda` is true: profiling a device this machine lacks would only fail. A knob the op
// declares but the pipeline gives no values is left out of the config, so the op uses its
// own default, as `llama run --static` does (plan::fixed_job_model). Every dropped value is named
// in `notes` (may be null). Empty when some knob has no value left; the note says which.
std::vector<Config> knob_space(const spec::OpSpec& op, const spec::OpSignature& signature,
                               bool cuda, std::vector<std::string>* notes);

// Stats are kept per (config without batch, batch): `batch` is split off the config.
int batch_of(const Config& config);  // 1 when the config has no batch knob
Config without_batch(Config config);
// The same config but for batch; allocates nothing, for the scheduler's hot path.
bool same_but_batch(const Config& a, const Config& b);

// "{device=cpu, threads=2}" for progress lines and tables; "{}" when empty.
std::string format_config(const Config& config);

}  // namespace llama::profile
