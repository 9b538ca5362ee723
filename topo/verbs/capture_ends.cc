#include "topo/verbs/capture_ends.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "topo/language/suggest.h"
#include "topo/verbs/lab.h"

namespace topo {

namespace {

// The ends of a lab and who is linked to whom.
struct Ends {
  std::vector<std::string> all;  // in the order the links were made
  std::map<std::string, std::string> peer;

  explicit Ends(const std::vector<JournalVeth>& veths) {
    for (const JournalVeth& v : veths) {
      all.push_back(v.a);
      all.push_back(v.b);
      peer[v.a] = v.b;
      peer[v.b] = v.a;
    }
  }
  bool has(const std::string& end) const { return peer.count(end) > 0; }
  std::vector<std::string> of_node(const std::string& node) const {
    std::vector<std::string> out;
    for (const std::string& e : all)
      if (End::parse(e)->node == node) out.push_back(e);
    return out;
  }
  // What a misspelt word may have meant: every end and every node.
  std::vector<std::string> names() const {
    std::set<std::string> out(all.begin(), all.end());
    for (const std::string& e : all) out.insert(End::parse(e)->node);
    return {out.begin(), out.end()};
  }
};

std::string trimmed(std::string text) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  text.erase(std::find_if_not(text.rbegin(), text.rend(), space).base(), text.end());
  return text;
}

// `[a, b, c]` or `a,b,c`: the ends of a link as the file writes them.
std::vector<std::string> link_words(std::string word) {
  word = trimmed(word);
  if (word.size() >= 2 && word.front() == '[' && word.back() == ']')
    word = word.substr(1, word.size() - 2);
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = word.find(',', start);
    out.push_back(trimmed(word.substr(start, comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

[[noreturn]] void names_nothing(const std::string& lab, const std::string& word,
                                const std::string& what, const Ends& ends) {
  throw InvalidInput(
      fmt::format("lab {} has no {} {}{}", lab, what, word, did_you_mean(word, ends.names())));
}

// The ends of the link whose file endpoints are `members`: a veth's two ends, or a LAN's
// members and its ports.
std::vector<std::string> link_ends(const std::string& lab, const std::string& word,
                                   const std::vector<std::string>& members, const Ends& ends) {
  for (const std::string& m : members)
    if (!ends.has(m)) names_nothing(lab, m, "link end", ends);
  std::set<std::string> named(members.begin(), members.end());
  if (members.size() == 2 && ends.peer.at(members[0]) == members[1]) return members;
  // A LAN: each member's peer is a port of the same `_lanN`, and every port's peer is named.
  std::string lan = End::parse(ends.peer.at(members[0]))->node;
  std::vector<std::string> ports = ends.of_node(lan);
  bool whole = is_lan_name(lan) && ports.size() == named.size();
  for (const std::string& port : ports) whole = whole && named.count(ends.peer.at(port)) > 0;
  if (!whole)
    throw InvalidInput(
        fmt::format("`{}` is not a link of lab {}: a link is written with all its "
                    "ends, as in the file (like `r1:eth1,r2:eth1`)",
                    word, lab));
  std::vector<std::string> out = members;
  out.insert(out.end(), ports.begin(), ports.end());
  return out;
}

std::vector<std::string> ends_of_word(const std::string& lab, const std::string& word,
                                      const Ends& ends) {
  std::vector<std::string> members = link_words(word);
  if (members.size() > 1) return link_ends(lab, word, members, ends);
  std::string one = members.front();
  if (one.find(':') != std::string::npos) {
    if (!End::parse(one)) throw InvalidInput(fmt::format("`{}` is not NODE:IFACE", one));
    if (!ends.has(one)) names_nothing(lab, one, "link end", ends);
    return {one};
  }
  std::vector<std::string> of_node = ends.of_node(one);
  if (of_node.empty()) names_nothing(lab, one, "node", ends);
  return of_node;
}

// `[h1:eth1, h2:eth1]` unquoted is two words of the shell's: one link again.
std::vector<std::string> joined_links(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  bool open = false;
  for (const std::string& w : words) {
    if (open)
      out.back() += " " + w;
    else
      out.push_back(w);
    if (!w.empty() && w.front() == '[') open = true;
    if (!w.empty() && w.back() == ']') open = false;
  }
  return out;
}

}  // namespace

std::vector<End> select_ends(const std::string& lab, const std::vector<JournalVeth>& veths,
                             const std::vector<std::string>& given) {
  std::vector<std::string> words = joined_links(given);
  Ends ends(veths);
  std::vector<std::string> chosen;
  if (words.empty()) chosen = ends.all;
  for (const std::string& word : words)
    for (std::string& e : ends_of_word(lab, word, ends)) chosen.push_back(std::move(e));
  std::vector<End> out;
  std::set<std::string> seen;
  for (const std::string& e : chosen)
    if (seen.insert(e).second) out.push_back(*End::parse(e));
  if (out.empty()) throw InvalidInput(fmt::format("lab {} has no link end to capture on", lab));
  return out;
}

}  // namespace topo
