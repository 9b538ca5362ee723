// The journal's writer; its reader is journal_read.cc, its records journal_records.h.
#include "topo/run/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "topo/model/version.h"

#include "netlink/error.h"
#include "topo/run/journal_records.h"
#include "topo/run/lab_json.h"

namespace topo {

using nlohmann::json;
namespace rec = journal;

JournalWriter JournalWriter::create(const std::string& path, const JournalHeader& h) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  if (!fd.valid()) nl::throw_errno("", path, "create journal", errno);
  JournalWriter w(path, std::move(fd));
  w.write_lines(rec::line(rec::kHeader, rec::Header{h.lab, h.prefix, h.file, h.file_hash, h.pid,
                                                    h.started, kJournalVersion, version_text()}));
  return w;
}

void JournalWriter::write_lines(const std::string& lines) const {
  // One write per batch: O_APPEND keeps it whole; a kill can only tear the last line.
  size_t done = 0;
  while (done < lines.size()) {
    ssize_t n = ::write(fd_.get(), lines.data() + done, lines.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) nl::throw_errno("", path_, "append to journal", errno);
    done += static_cast<size_t>(n);
  }
}

void JournalWriter::built(const Lab& lab) {
  write_lines(R"({"lab":)" + lab_json_text(lab) + R"(,"t":")" + rec::kBuilt + "\"}\n");
}

void JournalWriter::netns(const std::vector<JournalNetns>& batch) {
  std::string lines;
  for (const JournalNetns& n : batch) lines += rec::line(rec::kNetns, n);
  write_lines(lines);
}

void JournalWriter::netns_id(const std::string& netns, const nl::NetnsId& id) const {
  write_lines(rec::line(rec::kNetnsId, rec::NetnsIdRecord{netns, id}));
}

void JournalWriter::veths(const std::vector<JournalVeth>& batch,
                          const std::vector<JournalHostLink>& host) {
  std::string lines;
  for (const JournalHostLink& h : host) lines += rec::line(rec::kHostLink, h);
  for (const JournalVeth& v : batch) lines += rec::line(rec::kVeth, v);
  write_lines(lines);
}

void JournalWriter::etc_links(const std::vector<std::string>& netns, bool dir_exists) {
  std::string lines;
  if (!dir_exists) lines += rec::line(rec::kEtcDir, json::object());
  for (const std::string& n : netns) lines += rec::line(rec::kEtcLink, rec::NetnsRef{n});
  write_lines(lines);
}

void JournalWriter::daemon(const JournalDaemon& d) {
  write_lines(rec::line(rec::kDaemon, d));
}

void JournalWriter::impairment(const std::string& end, const std::string& text) {
  write_lines(rec::line(rec::kImpair, rec::EndImpairment{end, text}));
}

void JournalWriter::link_state(const std::string& end, bool up) {
  write_lines(rec::line(rec::kLinkState, rec::EndLinkState{end, up}));
}

void JournalWriter::node_state(const std::string& node, NodeState state) {
  write_lines(rec::line(rec::kNodeState, rec::NodeStateRecord{node, node_state_name(state)}));
}

NodeState node_state(const JournalState& state, const std::string& node) {
  auto it = state.node_states.find(node);
  return it == state.node_states.end() ? NodeState::running : it->second;
}

void JournalWriter::netns_gone(const std::string& netns) {
  write_lines(rec::line(rec::kNetnsGone, rec::NetnsRef{netns}));
}

void JournalWriter::veth_gone(const std::string& a, const std::string& b) {
  write_lines(rec::line(rec::kVethGone, JournalVeth{a, b}));
}

void JournalWriter::host_link_gone(const std::string& iface) {
  write_lines(rec::line(rec::kHostLinkGone, rec::HostLinkRef{iface}));
}

void JournalWriter::etc_link_gone(const std::string& netns) {
  write_lines(rec::line(rec::kEtcLinkGone, rec::NetnsRef{netns}));
}

void JournalWriter::daemon_gone(const std::string& node, const std::string& name) {
  write_lines(rec::line(rec::kDaemonGone, rec::DaemonRef{node, name}));
}

void JournalWriter::complete(size_t nodes, size_t links) {
  write_lines(rec::line(rec::kComplete, rec::Counts{nodes, links}));
}

JournalWriter JournalWriter::append_to(const std::string& path) {
  nl::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!fd.valid()) nl::throw_errno("", path, "open journal", errno);
  return JournalWriter(path, std::move(fd));
}

void JournalWriter::rewrite(const std::string& path, const JournalState& s) {
  if (s.built && !s.complete)
    throw std::invalid_argument("journal " + path +
                                ": a lab as built is one whose `up` completed (complete unset)");
  std::string next = path + ".next";
  ::unlink(next.c_str());
  {
    JournalWriter w = create(next, s.header);
    // A `built` record counts once a `complete` follows it: the one still building goes after
    // the `complete`, or first when there is none.
    if (s.built) w.built(*s.built);
    if (s.building && !s.complete) w.built(*s.building);
    w.netns(s.netns);
    std::string ids;
    for (const JournalNetns& n : s.netns)
      if (n.id.known()) ids += rec::line(rec::kNetnsId, rec::NetnsIdRecord{n.netns, n.id});
    if (!ids.empty()) w.write_lines(ids);
    w.veths(s.veths, s.host_links);
    if (s.etc_dir_made || !s.etc_links.empty()) w.etc_links(s.etc_links, !s.etc_dir_made);
    for (const JournalDaemon& d : s.daemons) w.daemon(d);
    for (const auto& [end, text] : s.impairments)
      if (!text.empty()) w.impairment(end, text);
    for (const auto& [end, up] : s.link_states) w.link_state(end, up);
    for (const auto& [node, state] : s.node_states)
      if (state != NodeState::running) w.node_state(node, state);
    if (s.complete) w.complete(s.nodes, s.links);
    if (s.building && s.complete) w.built(*s.building);
    if (fsync(w.fd_.get()) != 0) nl::throw_errno("", next, "write journal", errno);
  }
  if (::rename(next.c_str(), path.c_str()) != 0)
    nl::throw_errno("", path, "replace journal", errno);
}

}  // namespace topo
