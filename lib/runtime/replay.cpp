#include "runtime/replay.h"

#include <fmt/format.h>

#include <limits>
#include <optional>

#include "base/error.h"
#include "plan/job_model_json.h"
#include "profile/knob_space.h"
#include "runtime/core.h"

namespace llama::runtime {

namespace {

std::string describe(const plan::JobModel& model, int op, int choice, int items, bool copy) {
  const plan::OpModel& m = model.ops.at(op);
  const plan::Choice& c = m.choices.at(choice);
  return fmt::format("{} {} b{} on {} items{}", m.name,
                     profile::format_config(profile::without_batch(c.config)), c.batch, items,
                     copy ? " (a straggler's copy)" : "");
}

std::vector<double> deadlines_of(const nlohmann::json& due) {
  std::vector<double> out;
  for (const nlohmann::json& d : due)
    out.push_back(d.is_null() ? std::numeric_limits<double>::infinity() : d.get<double>());
  return out;
}

}  // namespace

ReplayResult replay(const nlohmann::json& journal, const std::string& file) {
  ReplayResult result;
  try {
    plan::JobModel model = plan::job_model_from_json(journal.at("model"));
    plan::Assignment initial = journal.at("initial").get<plan::Assignment>();
    const nlohmann::json& o = journal.at("options");
    CoreOptions options;
    options.scheduler.objective = static_cast<plan::Objective>(o.at("objective").get<int>());
    options.scheduler.delayed_batching = o.at("delayed_batching");
    options.scheduler.source_backlog = o.at("source_backlog");
    if (!o.at("slo_s").is_null())
      options.scheduler.slo = spec::LatencyTarget(o.at("slo_s").get<double>());
    options.feedback = o.at("feedback");
    options.duplicate_stragglers = o.at("duplicate_stragglers");
    VirtualClock clock;
    Core core(model, initial, clock, options);
    for (const nlohmann::json& e : journal.at("events")) {
      const std::string kind = e.at(0);
      clock.advance_to(e.at(1).get<double>());
      if (kind == "next") {
        ++result.decisions;
        if (!result.first_difference.empty()) continue;
        int run = e.at(2), call = e.at(3), op = e.at(5), choice = e.at(6), items = e.at(7);
        bool copy = e.at(4);
        std::optional<Start> s = core.next();
        if (s && s->run == run && s->call == call && s->copy == copy && s->op == op &&
            s->choice == choice && s->items == items) {
          ++result.same;
          continue;
        }
        result.first_difference =
            fmt::format("call {} at {:.6f} s: recorded {}, replayed {}", call,
                        e.at(1).get<double>(), describe(model, op, choice, items, copy),
                        s ? describe(model, s->op, s->choice, s->items, s->copy) : "nothing");
      } else if (!result.first_difference.empty()) {
        continue;  // the runs parted: the rest of the journal names calls the replay lacks
      } else if (kind == "made") {
        core.made(e.at(2), e.at(3).get<int64_t>());
      } else if (kind == "source_done") {
        core.source_done(e.at(2));
      } else if (kind == "ended") {
        core.ended(e.at(2), e.at(3), e.at(4));
      } else if (kind == "failed") {
        core.failed(e.at(2));
      } else if (kind == "cancel") {
        core.cancel(e.at(2));
      } else if (kind == "set_aside") {
        core.set_aside(e.at(2), e.at(3), e.at(4), {e.at(5).get<double>(), e.at(6).get<int>()});
      } else if (kind == "produced") {
        core.produced(e.at(2), e.at(3), e.at(4));
      } else if (kind == "arrived") {
        core.arrived(e.at(2), deadlines_of(e.at(4)), e.at(3));
      } else if (kind == "stop") {
        core.stop();
      } else if (kind == "pause_sources") {
        core.pause_sources();
      } else if (kind == "resume_sources") {
        core.resume_sources();
      } else if (kind == "resume_frames") {
        core.resume_frames(e.at(2));
      } else {
        throw Error(ExitCode::bad_input,
                    file + ": the replay journal has an event of unknown kind '" + kind +
                        "' (written by another version of llama?); record the run again with "
                        "llama run --trace");
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ExitCode::bad_input, file + ": the replay journal is damaged (" + e.what() +
                                         "); record the run again with llama run --trace");
  }
  return result;
}

}  // namespace llama::runtime
