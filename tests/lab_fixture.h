// lab_fixture.h - integration tests as a user at a terminal: write a lab file, run topo, look
// at the kernel with ip(8), take the lab down. Needs root; skips with the reason otherwise.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace topo::testing {

struct CmdResult {
  int status = -1;     // exit status, or 128+N after signal N
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures its output.
CmdResult run(const std::string& command);
// Quotes a word for the shell.
std::string quoted(const std::string& word);

// Namespaces under /run/netns whose names start with `prefix`.
std::vector<std::string> netns_with_prefix(const std::string& prefix);
// Mount points under /run/netns whose names start with `prefix`.
std::vector<std::string> mounts_with_prefix(const std::string& prefix);

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A file's whole text ("" when it cannot be read).
std::string file_text(const std::string& path);

// Whether the journal at `path` has a record of type `type` (its "t") whose line contains
// `part`: the journal's `built` record names every object too, so its text alone tells nothing.
bool journal_has(const std::string& path, const std::string& type, const std::string& part);

// Runs topo with `args` (quoted as needed), expecting `expected_status`; its standard output,
// parsed as JSON (standard error is dropped).
nlohmann::json topo_json(const std::string& args, int expected_status = 0);

// Runs an `ip -j ...` command (expected to succeed) and parses its JSON.
nlohmann::json ip_json(const std::string& command);

// Polls `done` every few milliseconds until it holds or `limit` passes; its last answer.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

// Live (not zombie) processes whose environment has TOPO_LAB=<lab>.
std::vector<pid_t> live_lab_processes(const std::string& lab);

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A unique lab name for this test; `prefix()` is its namespace prefix.
  const std::string& lab() const { return lab_; }
  std::string prefix() const { return lab_ + "-"; }
  std::string netns(const std::string& node) const { return prefix() + node; }
  const std::string& dir() const { return dir_; }

  // Writes a lab file; every "LAB" in `yaml` becomes this test's lab name. Returns its path.
  std::string write_lab(const std::string& yaml, const std::string& file_name = "lab.yaml");
  // An example from examples/, renamed to this test's lab, with `from` -> `to` replacements.
  std::string example(const std::string& file_name,
                      const std::vector<std::pair<std::string, std::string>>& replace = {});
  // A chain of `nodes` hosts n1..nN, one /30 per link.
  std::string chain(int nodes);

  // Runs topo with the given arguments (already quoted as needed).
  CmdResult topo(const std::string& args);
  // Runs a command inside a node's namespace with `ip netns exec`.
  CmdResult in_node(const std::string& node, const std::string& command);
  // The lab left nothing: no namespace, no mount, no state directory.
  void expect_nothing_left();

 private:
  std::string lab_, dir_;
};

// Starts topo in the background; returns its pid.
pid_t spawn_topo(const std::vector<std::string>& args, const std::string& log_file);
// Waits for a child; returns its exit status (128+N after signal N).
int wait_for(pid_t pid);

}  // namespace topo::testing
