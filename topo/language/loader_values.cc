#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "topo/language/loader_parts.h"
#include "topo/language/suggest.h"
#include "topo/model/units.h"

namespace topo::loader {

Pos pos_of(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

bool is_extension_key(const std::string& key) {
  return key.rfind("x-", 0) == 0;
}

void Reader::check_keys(const YAML::Node& map, const Keys& keys, const std::string& where) {
  std::map<std::string, Pos> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(pos_of(it->first), "a key must be a plain name");
      continue;
    }
    const std::string key = it->first.Scalar();
    // yaml-cpp keeps duplicate keys and answers lookups with the first: refuse them.
    auto [first, fresh] = seen.emplace(key, pos_of(it->first));
    if (!fresh)
      error(pos_of(it->first),
            fmt::format("duplicate key `{}` (first at line {})", key, first->second.line));
    if (is_extension_key(key) || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    std::string nearest = did_you_mean(key, keys);
    error(pos_of(it->first),
          fmt::format("unknown key `{}` in {}{}", key, where,
                      nearest.empty() ? " (a key of your own starts with `x-`)" : nearest));
  }
}

void Reader::check_unique_keys(const YAML::Node& map) {
  std::map<std::string, Pos> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    auto [first, fresh] = seen.emplace(it->first.Scalar(), pos_of(it->first));
    if (!fresh)
      error(pos_of(it->first), fmt::format("duplicate key `{}` (first at line {})",
                                           it->first.Scalar(), first->second.line));
  }
}

std::string Reader::scalar(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    error(pos_of(n), fmt::format("`{}` must be a single value", what));
    return {};
  }
  return n.Scalar();
}

std::optional<uint64_t> Reader::duration(const YAML::Node& n, const std::string& what) {
  std::string text = scalar(n, what);
  std::optional<uint64_t> us = parse_duration_us(text);
  if (!us && n.IsScalar())
    error(pos_of(n),
          fmt::format(
              "`{}: {}` is not a duration like 500ms or 10s (units: us, ms, s; at most an hour)",
              what, text));
  return us;
}

std::optional<int> Reader::integer(const YAML::Node& n, const std::string& what) {
  std::string s = scalar(n, what);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    if (n.IsScalar()) error(pos_of(n), fmt::format("`{}` must be a whole number", what));
    return std::nullopt;
  }
  return v;
}

std::vector<Placed> Reader::scalars(const YAML::Node& n, const std::string& what) {
  std::vector<Placed> out;
  if (n.IsScalar()) {
    out.emplace_back(n.Scalar(), pos_of(n));
  } else if (n.IsSequence()) {
    for (const YAML::Node& item : n) {
      if (item.IsScalar())
        out.emplace_back(item.Scalar(), pos_of(item));
      else
        error(pos_of(item), fmt::format("each entry of `{}` must be a single value", what));
    }
  } else {
    error(pos_of(n), fmt::format("`{}` must be a value or a list of values", what));
  }
  return out;
}

void Reader::addresses(const YAML::Node& n, std::vector<nl::IpPrefix>& out, std::vector<Pos>& where,
                       bool allow_bare) {
  for (auto& [text, pos] : scalars(n, "addresses")) {
    auto p = nl::IpPrefix::parse(text, allow_bare);
    if (!p) {
      error(pos, fmt::format("`{}` is not an address with a prefix length, like "
                             "10.1.0.1/30 or fd00::1/64",
                             text));
      continue;
    }
    out.push_back(*p);
    where.push_back(pos);
  }
}

void Reader::settings(const YAML::Node& map, const std::string& key, const std::string& what,
                      std::vector<Setting>& out) {
  if (!map.IsMap()) {
    error(pos_of(map), fmt::format("`{}` must be a mapping of keys to values", key));
    return;
  }
  check_unique_keys(map);
  for (auto kv = map.begin(); kv != map.end(); ++kv) {
    Setting s{scalar(kv->first, what + " name"), scalar(kv->second, what + " value"),
              pos_of(kv->first)};
    auto same =
        std::find_if(out.begin(), out.end(), [&](const Setting& o) { return o.key == s.key; });
    if (same != out.end())
      *same = s;
    else
      out.push_back(s);
  }
}

}  // namespace topo::loader
