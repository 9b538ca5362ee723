// The journal's reader (journal.h): each line parsed as a record and applied to the state, in
// order; a later record of the same object wins, a `*-gone` record forgets it.
#include <errno.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "netlink/error.h"
#include "topo/entry/safe_fs.h"
#include "topo/run/journal.h"
#include "topo/run/journal_records.h"
#include "topo/run/lab_json.h"

namespace topo {

using nlohmann::json;
namespace rec = journal;

namespace {

// The lab of a journal whose header cannot be read: the journal is /run/topo/<lab>/state/journal.
std::string damaged(const std::string& path, std::string lab, size_t line_no) {
  if (lab.empty()) lab = std::filesystem::path(path).parent_path().parent_path().filename();
  return fmt::format(
      "journal {} is damaged at line {}: `topo down --force {}` removes what it still names", path,
      line_no, lab);
}

// A header this topo cannot read is refused, never guessed at: not a damaged line (--force does
// not skip it).
void check_version(const std::string& path, const json& header) {
  auto v = header.find("version");
  bool number = v != header.end() && v->is_number_integer();
  int64_t version = number ? v->get<int64_t>() : 0;
  if (number && version >= kOldestJournalVersion && version <= kJournalVersion) return;
  std::string found = v == header.end() ? "no version" : "version " + v->dump();
  throw std::runtime_error(fmt::format(
      "journal {} has {}: this topo reads journal versions {} to {}{}", path, found,
      kOldestJournalVersion, kJournalVersion,
      version > kJournalVersion ? " (a newer topo wrote it: take the lab down with that one)"
                                : ""));
}

class Reader {
 public:
  // Applies one record of type `t`; throws, with the state unchanged, when its fields are not
  // what the type says. A type this topo does not know is passed over.
  void apply(const std::string& t, const json& r) {
    static const std::unordered_map<std::string_view, void (Reader::*)(const json&)> kApply = {
        {rec::kHeader, &Reader::header},
        {rec::kBuilt, &Reader::built},
        {rec::kNetns, &Reader::netns},
        {rec::kNetnsId, &Reader::netns_id},
        {rec::kVeth, &Reader::veth},
        {rec::kHostLink, &Reader::host_link},
        {rec::kEtcDir, &Reader::etc_dir},
        {rec::kEtcLink, &Reader::etc_link},
        {rec::kDaemon, &Reader::daemon},
        {rec::kImpair, &Reader::impair},
        {rec::kLinkState, &Reader::link_state},
        {rec::kNodeState, &Reader::node_state},
        {rec::kComplete, &Reader::complete},
        {rec::kNetnsGone, &Reader::netns_gone},
        {rec::kVethGone, &Reader::veth_gone},
        {rec::kHostLinkGone, &Reader::host_link_gone},
        {rec::kEtcLinkGone, &Reader::etc_link_gone},
        {rec::kDaemonGone, &Reader::daemon_gone},
    };
    auto it = kApply.find(t);
    if (it != kApply.end()) (this->*it->second)(r);
  }

  // apply, false for a record whose fields are not what its type says.
  bool try_apply(const std::string& t, const json& r) {
    try {
      apply(t, r);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  bool has_header() const { return has_header_; }
  const JournalState& state() const { return s_; }

  // The state, once every line is read: a lab built and not completed is still building.
  JournalState finish() {
    s_.building = std::move(pending_);
    return std::move(s_);
  }

 private:
  void header(const json& r) {
    auto h = r.get<rec::Header>();
    s_.header = {h.lab, h.prefix, h.file, h.hash, h.pid, h.started};
    s_.written_by = h.topo;
    s_.version = h.version;
    has_header_ = true;
  }
  void built(const json& r) { pending_ = r.at("lab").get<Lab>(); }
  void complete(const json& r) {
    auto c = r.get<rec::Counts>();
    s_.complete = true;
    s_.nodes = c.nodes;
    s_.links = c.links;
    if (pending_) s_.built = std::exchange(pending_, std::nullopt);
  }

  // Made again (a changed lab, or one whose namespace was lost): the newest record counts.
  void netns(const json& r) {
    auto n = r.get<JournalNetns>();
    auto [it, made] = netns_index_.try_emplace(n.netns, s_.netns.size());
    if (made)
      s_.netns.push_back(n);
    else
      s_.netns[it->second] = n;
  }
  void netns_id(const json& r) {
    auto id = r.get<rec::NetnsIdRecord>();
    auto it = netns_index_.find(id.netns);
    if (it != netns_index_.end()) s_.netns[it->second].id = id.id;
  }
  void netns_gone(const json& r) {
    auto it = netns_index_.find(r.get<rec::NetnsRef>().netns);
    if (it == netns_index_.end()) return;
    s_.netns.erase(s_.netns.begin() + static_cast<long>(it->second));
    netns_index_.clear();
    for (size_t i = 0; i < s_.netns.size(); i++) netns_index_[s_.netns[i].netns] = i;
  }

  void veth(const json& r) {
    auto v = r.get<JournalVeth>();
    veth_gone(r);
    s_.veths.push_back(v);
  }
  void veth_gone(const json& r) {
    auto v = r.get<JournalVeth>();
    std::erase_if(s_.veths, [&](const JournalVeth& o) { return o.a == v.a && o.b == v.b; });
  }
  void host_link(const json& r) {
    auto h = r.get<JournalHostLink>();
    host_link_gone(r);
    s_.host_links.push_back(h);
  }
  void host_link_gone(const json& r) {
    auto iface = r.get<rec::HostLinkRef>().iface;
    std::erase_if(s_.host_links, [&](const JournalHostLink& h) { return h.iface == iface; });
  }

  void etc_dir(const json&) { s_.etc_dir_made = true; }
  void etc_link(const json& r) {
    auto netns = r.get<rec::NetnsRef>().netns;
    if (std::find(s_.etc_links.begin(), s_.etc_links.end(), netns) == s_.etc_links.end())
      s_.etc_links.push_back(netns);
  }
  void etc_link_gone(const json& r) { std::erase(s_.etc_links, r.get<rec::NetnsRef>().netns); }

  // Restarted: the newest pid counts.
  void daemon(const json& r) {
    auto d = r.get<JournalDaemon>();
    daemon_gone(r);
    s_.daemons.push_back(d);
  }
  void daemon_gone(const json& r) {
    auto d = r.get<rec::DaemonRef>();
    std::erase_if(s_.daemons,
                  [&](const JournalDaemon& o) { return o.node == d.node && o.name == d.name; });
  }

  void impair(const json& r) {
    auto e = r.get<rec::EndImpairment>();
    s_.impairments[e.end] = e.text;
  }
  void link_state(const json& r) {
    auto e = r.get<rec::EndLinkState>();
    s_.link_states[e.end] = e.up;
  }

  // The newest record counts; running is the default, so not kept. A state this topo does not
  // know is a damaged record, not guessed at.
  void node_state(const json& r) {
    auto n = r.get<rec::NodeStateRecord>();
    std::optional<NodeState> state = parse_node_state(n.state);
    if (n.node.empty() || !state)
      throw std::runtime_error("a node-state record without a node or a known state");
    if (*state == NodeState::running)
      s_.node_states.erase(n.node);
    else
      s_.node_states[n.node] = *state;
  }

  JournalState s_;
  bool has_header_ = false;
  std::unordered_map<std::string, size_t> netns_index_;
  std::optional<Lab> pending_;  // the last `built` record that no `complete` followed yet
};

// A record's type; nullopt for a line that is not a record.
std::optional<std::string> record_type(const json& r) {
  if (!r.is_object()) return std::nullopt;
  auto t = r.find("t");
  if (t == r.end() || !t->is_string()) return std::nullopt;
  return t->get<std::string>();
}

// Reads every line of `text` into `reader`; the number of lines.
size_t read_lines(const std::string& path, std::string_view text, Reader& reader,
                  std::vector<size_t>* damaged_lines) {
  size_t line_no = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    line_no++;
    json r = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    std::optional<std::string> t = record_type(r);
    // A kill inside the last write leaves a torn line; nothing after it can exist.
    if (!t && at >= text.size()) break;
    if (t && *t == rec::kHeader) check_version(path, r);
    if (t && reader.try_apply(*t, r)) continue;
    if (!damaged_lines) throw std::runtime_error(damaged(path, reader.state().header.lab, line_no));
    damaged_lines->push_back(line_no);
  }
  return line_no;
}

}  // namespace

std::optional<JournalState> read_journal(const std::string& path,
                                         std::vector<size_t>* damaged_lines) {
  std::optional<std::string> text = read_file(path);
  if (!text) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error(
        fmt::format("cannot read journal {}: {}", path, nl::errno_text(errno)));
  }
  Reader reader;
  size_t lines = read_lines(path, *text, reader, damaged_lines);
  if (!reader.has_header()) {
    const JournalState& s = reader.state();
    // Killed before the header reached the file: nothing was created yet.
    if (lines == 0 || (s.netns.empty() && s.host_links.empty())) return JournalState{};
    if (!damaged_lines) throw std::runtime_error(damaged(path, s.header.lab, 1));
  }
  return reader.finish();  // with damaged_lines: what it names is removed all the same
}

}  // namespace topo
