#include "topo/language/expansion.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace topo {

namespace {

constexpr uint64_t kMost = std::numeric_limits<uint64_t>::max();

uint64_t plus(uint64_t a, uint64_t b) {
  return a > kMost - b ? kMost : a + b;
}

uint64_t times(uint64_t a, uint64_t b) {
  uint64_t product;
  return __builtin_mul_overflow(a, b, &product) ? kMost : product;
}

Pos pos_of(const YAML::Mark& m) {
  return {m.line + 1, m.column + 1};
}

// Sizes every value as the events come, each anchor's once: an alias adds its anchor's size
// where it stands, and to what aliases repeat in all.
class Measure : public YAML::EventHandler {
 public:
  explicit Measure(uint64_t limit) : limit_(limit) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& name) override { anchor_name_ = name; }
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    name(anchor);
    done({kValueWeight, 0}, anchor, nullptr, pos_of(m));
  }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    name(anchor);
    done({plus(value.size(), kValueWeight), 0}, anchor, &value, pos_of(m));
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    // An alias inside the very value its anchor names (a cycle) counts as one value.
    Sized named = anchor < anchors_.size() && anchors_[anchor].size ? anchors_[anchor]
                                                                    : Sized{kValueWeight, 0};
    repeated_ = plus(repeated_, named.size);
    if (!crossed_ && repeated_ > limit_) {
      crossed_ = pos_of(m);
      crossed_alias_ = anchor < names_.size() ? names_[anchor] : "";
      crossed_size_ = named.size;
    }
    done(named, 0, nullptr, pos_of(m));
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(anchor, false, m);
  }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(anchor, true, m);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

  std::optional<ExpansionProblem> problem() const {
    std::string rule = fmt::format(
        "a file's aliases and `defaults` may repeat at most {}, or {} times the "
        "file's size",
        size_text(kRepeatLimit), kRepeatPerFileByte);
    if (crossed_)
      return ExpansionProblem{
          *crossed_,
          fmt::format("the alias `*{}` here ({}) takes what the file's aliases "
                      "repeat past {}: {}",
                      crossed_alias_, size_text(crossed_size_), size_text(limit_), rule)};
    uint64_t copied = times(defaults_.size, nodes_);
    if (defaults_pos_ && plus(repeated_, copied) > limit_)
      return ExpansionProblem{
          *defaults_pos_,
          fmt::format("`defaults` ({}) copied into each of {} nodes repeats {}{}, past {}: {}",
                      size_text(defaults_.size), nodes_, size_text(copied),
                      repeated_ ? fmt::format(" (and aliases {})", size_text(repeated_)) : "",
                      size_text(limit_), rule)};
    return std::nullopt;
  }

 private:
  struct Sized {
    uint64_t size = 0;   // 0: not known yet
    uint64_t pairs = 0;  // a map's entries
  };
  struct Open {
    Sized sized;
    YAML::anchor_t anchor;
    bool map;
    uint64_t values = 0;  // keys and values so far, for a map
    Pos pos;
  };

  void open(YAML::anchor_t anchor, bool map, const YAML::Mark& m) {
    name(anchor);
    open_.push_back({{kValueWeight, 0}, anchor, map, 0, pos_of(m)});
  }

  void close() {
    Open o = open_.back();
    open_.pop_back();
    o.sized.pairs = o.values / 2;
    done(o.sized, o.anchor, nullptr, o.pos);
  }

  void name(YAML::anchor_t anchor) {
    if (!anchor) return;
    if (names_.size() <= anchor) names_.resize(anchor + 1);
    names_[anchor] = anchor_name_;
  }

  // A value is complete: it counts where it stands, and at the top level `defaults` and
  // `nodes` are noted.
  void done(Sized sized, YAML::anchor_t anchor, const std::string* scalar, Pos pos) {
    if (anchor) {
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor] = sized;
    }
    if (open_.empty()) return;
    Open& parent = open_.back();
    parent.sized.size = plus(parent.sized.size, sized.size);
    if (!parent.map) return;
    bool is_key = parent.values++ % 2 == 0;
    if (open_.size() != 1) return;  // only the top level's keys matter
    if (is_key) {
      top_key_ = scalar ? *scalar : "";
      top_key_pos_ = pos;
    } else if (top_key_ == "defaults" && !defaults_pos_) {
      defaults_ = sized;
      defaults_pos_ = top_key_pos_;
    } else if (top_key_ == "nodes" && !nodes_) {
      nodes_ = sized.pairs;
    }
  }

  uint64_t limit_;
  std::vector<Open> open_;
  std::vector<Sized> anchors_;      // by anchor id
  std::vector<std::string> names_;  // by anchor id
  std::string anchor_name_;         // of the anchor whose value comes next
  uint64_t repeated_ = 0;           // what aliases repeat, in all
  std::optional<Pos> crossed_;      // the alias that took it past the limit
  std::string crossed_alias_;
  uint64_t crossed_size_ = 0;
  std::string top_key_;
  Pos top_key_pos_;
  Sized defaults_;
  std::optional<Pos> defaults_pos_;
  uint64_t nodes_ = 0;
};

}  // namespace

uint64_t repeat_limit(size_t file_size) {
  return std::max(kRepeatLimit, times(file_size, kRepeatPerFileByte));
}

std::optional<ExpansionProblem> expansion_problem(const std::string& text) {
  // Reading the events costs as much as parsing the file: skip it where nothing can repeat
  // (an alias starts with `*`).
  if (text.find('*') == std::string::npos && text.find("defaults") == std::string::npos)
    return std::nullopt;
  std::istringstream in(text);
  YAML::Parser parser(in);
  Measure measure(repeat_limit(text.size()));
  parser.HandleNextDocument(measure);
  return measure.problem();
}

std::string size_text(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = double(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    unit++;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace topo
