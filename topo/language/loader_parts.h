// loader_parts.h - the loader's parts, one per section of the file, and the Reader they share.
// Internal to the loader (the rest of the tree uses loader.h):
//   loader.cc         the file as a whole: bytes, YAML syntax, the top level, `addressing`
//   loader_values.cc  Reader: a YAML value read as what the file means, every mistake reported
//   loader_nodes.cc   `defaults` and `nodes`
//   loader_hosts.cc   `hosts`
//   loader_links.cc   `links`, their endpoints and impairments
//   loader_tests.cc   `tests`
//   loader_scenarios.cc  `scenarios` and `ready`
#pragma once

#include <yaml-cpp/yaml.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "topo/language/diag.h"
#include "topo/model/model.h"

namespace topo::loader {

// Where a YAML value stands in the file; no place for a value yaml-cpp made up.
Pos pos_of(const YAML::Node& n);

// The keys a mapping may have.
using Keys = std::vector<std::string>;

// `x-...`: a user's extension, ignored by topo wherever a mapping's keys are topo's (the
// docker-compose convention), so that anchors (`x-frr: &frr {...}`) have a place to live.
// In a mapping of names the user chooses (nodes, scenarios, sysctls, env, files) it is a name.
bool is_extension_key(const std::string& key);

// A value with its place.
using Placed = std::pair<std::string, Pos>;

// Reads YAML values as the model's, reporting each mistake where it stands and going on, so
// that one reading of a file reports all of them.
class Reader {
 public:
  explicit Reader(Diagnostics& diags) : diags_(diags) {}

  void error(Pos pos, std::string message) { diags_.error(pos, std::move(message)); }

  // Unknown keys (with the nearest known one) and duplicate keys; `where` names the mapping.
  // Extension keys (`x-...`) are not unknown.
  void check_keys(const YAML::Node& map, const Keys& keys, const std::string& where);
  // Only duplicates, for mappings whose keys are names chosen by the user.
  void check_unique_keys(const YAML::Node& map);

  // `what` names the value in messages. A value that is not one reads as empty (or nullopt).
  std::string scalar(const YAML::Node& n, const std::string& what);
  std::optional<int> integer(const YAML::Node& n, const std::string& what);
  // A duration like 500ms or 10s, in microseconds.
  std::optional<uint64_t> duration(const YAML::Node& n, const std::string& what);
  // A scalar or a list of scalars.
  std::vector<Placed> scalars(const YAML::Node& n, const std::string& what);
  // Addresses with a prefix length (or none, if allow_bare), each with its place in `where`.
  void addresses(const YAML::Node& n, std::vector<nl::IpPrefix>& out, std::vector<Pos>& where,
                 bool allow_bare);
  // key: value pairs of a mapping, in order; later layers override earlier ones by key.
  void settings(const YAML::Node& map, const std::string& key, const std::string& what,
                std::vector<Setting>& out);

 private:
  Diagnostics& diags_;
};

// The sections. Each reads what it can and reports the rest.

// `defaults` (undefined when the file has none), when it is a mapping of node settings;
// otherwise a null node, which sets nothing.
YAML::Node read_defaults(Reader& in, const YAML::Node& defaults);
// `hosts`: the machines the lab is spread over (loader_hosts.cc).
void read_hosts(Reader& in, const YAML::Node& hosts, Topology& t);
// `nodes`, each over `defaults` as read_defaults gives it.
void read_nodes(Reader& in, const YAML::Node& nodes, const YAML::Node& defaults, Topology& t);
void read_links(Reader& in, const YAML::Node& links, Topology& t);
void read_tests(Reader& in, const YAML::Node& tests, Topology& t);
void read_scenarios(Reader& in, const YAML::Node& scenarios, Topology& t);
void read_ready(Reader& in, const YAML::Node& ready, Topology& t);

// Parts that sections share.

// An `impair` mapping: delay, loss, ... and `more_keys`, which the caller reads.
std::optional<Impair> read_impair(Reader& in, const YAML::Node& n, const Keys& more_keys = {});
// What a test does and expects: its `ping` or `exec`, and `expect` (the caller checks the keys).
void read_test_body(Reader& in, const YAML::Node& item, TestCase& test);

}  // namespace topo::loader
