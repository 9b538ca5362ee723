#include "topo/verbs/junit.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "topo/entry/safe_fs.h"

namespace topo::junit {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// XML 1.0's Char: tab, newline, carriage return, and from space up, less U+FFFE and U+FFFF
// (surrogates never decode: they are not UTF-8).
bool xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c != 0xFFFE && c != 0xFFFF);
}

// The length of the valid UTF-8 sequence at the start of `s` and its code point; 0 when the
// bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut short).
size_t decode(std::string_view s, char32_t& c) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b = byte(0);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || n > s.size()) return 0;
  c = n == 1 ? b : b & (0x7F >> n);
  for (size_t i = 1; i < n; i++) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    c = (c << 6) | (byte(i) & 0x3F);
  }
  static constexpr char32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kLeast[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return n;
}

std::string seconds_text(double s) {
  return fmt::format("{:.3f}", s);
}

void add_case(pugi::xml_node suite, const Case& c) {
  pugi::xml_node tc = suite.append_child("testcase");
  tc.append_attribute("name") = xml_safe(c.name).c_str();
  tc.append_attribute("classname") = xml_safe(c.classname).c_str();
  tc.append_attribute("time") = seconds_text(c.seconds).c_str();
  const char* element = c.outcome == Case::Outcome::failed    ? "failure"
                        : c.outcome == Case::Outcome::error   ? "error"
                        : c.outcome == Case::Outcome::skipped ? "skipped"
                                                              : nullptr;
  if (!element) return;
  pugi::xml_node what = tc.append_child(element);
  what.append_attribute("message") = xml_safe(c.message).c_str();
  if (!c.text.empty()) what.text() = xml_safe(c.text).c_str();
}

void add_suite(pugi::xml_node parent, const Suite& s, size_t counts[4]) {
  size_t count[4] = {};  // by Outcome
  for (const Case& c : s.cases) count[static_cast<int>(c.outcome)]++;
  pugi::xml_node suite = parent.append_child("testsuite");
  suite.append_attribute("name") = xml_safe(s.name).c_str();
  suite.append_attribute("tests") = s.cases.size();
  suite.append_attribute("failures") = count[static_cast<int>(Case::Outcome::failed)];
  suite.append_attribute("errors") = count[static_cast<int>(Case::Outcome::error)];
  suite.append_attribute("skipped") = count[static_cast<int>(Case::Outcome::skipped)];
  suite.append_attribute("time") = seconds_text(s.seconds).c_str();
  suite.append_attribute("timestamp") = xml_safe(s.timestamp).c_str();
  suite.append_attribute("hostname") = xml_safe(s.hostname).c_str();
  if (!s.properties.empty()) {
    pugi::xml_node properties = suite.append_child("properties");
    for (const auto& [name, value] : s.properties) {
      pugi::xml_node p = properties.append_child("property");
      p.append_attribute("name") = xml_safe(name).c_str();
      p.append_attribute("value") = xml_safe(value).c_str();
    }
  }
  for (const Case& c : s.cases) add_case(suite, c);
  for (int i = 0; i < 4; i++) counts[i] += count[i];
}

}  // namespace

std::string xml_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t c = 0;
    size_t n = decode(text.substr(i), c);
    if (n && xml_char(c)) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out.append(kReplacement);
      i += n ? n : 1;  // a byte that starts no sequence: one U+FFFD for it
    }
  }
  return out;
}

std::string xml(const std::vector<Suite>& suites) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("testsuites");
  size_t counts[4] = {};
  double seconds = 0;
  for (const Suite& s : suites) {
    add_suite(root, s, counts);
    seconds += s.seconds;
  }
  root.append_attribute("tests") = counts[0] + counts[1] + counts[2] + counts[3];
  root.append_attribute("failures") = counts[static_cast<int>(Case::Outcome::failed)];
  root.append_attribute("errors") = counts[static_cast<int>(Case::Outcome::error)];
  root.append_attribute("skipped") = counts[static_cast<int>(Case::Outcome::skipped)];
  root.append_attribute("time") = seconds_text(seconds).c_str();
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::string timestamp(long t) {
  time_t when = t;
  struct tm local {};
  char text[32];
  if (!localtime_r(&when, &local) || !strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local))
    return "";
  return text;
}

std::string hostname() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "";
}

void write(const std::vector<Suite>& suites, const std::string& path) {
  std::filesystem::path p(path);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string name = p.filename().string();
  int err = name.empty() ? EISDIR : 0;
  if (!err) {
    nl::Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    err = !d.valid() ? errno : replace_file(d.get(), name, xml(suites), 0644);
  }
  if (err)
    throw std::runtime_error(fmt::format("cannot write the JUnit report {}: {}", path,
                                         std::generic_category().message(err)));
}

}  // namespace topo::junit
