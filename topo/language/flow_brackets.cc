#include "topo/language/flow_brackets.h"

#include <algorithm>
#include <vector>

namespace topo {

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Reads YAML text just far enough to tell its flow brackets from the same characters in
// quoted strings, comments, block scalars and plain words.
class BracketScanner {
 public:
  BracketScanner(std::string_view text, size_t stop)
      : text_(text), stop_(std::min(stop, text.size())) {}

  std::optional<OpenBracket> run() {
    while (i_ < stop_) step();
    if (open_.empty()) return std::nullopt;
    return open_.back();
  }

 private:
  std::string_view text_;
  size_t stop_;
  size_t i_ = 0, line_start_ = 0;
  int line_ = 1;
  std::vector<OpenBracket> open_;  // the flow collections open here, innermost last
  // Block context: whether a node may begin here (at a line's indentation, after `- `, `? `
  // or a mapping's `: `), where a bracket or a quote begins a collection or a string.
  bool node_start_ = true;
  int node_col_ = 0;  // column of the last node begun on this line: a block scalar's parent

  char at(size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  bool ends_token(size_t i) const { return i >= text_.size() || blank(at(i)) || at(i) == '\n'; }
  int col() const { return static_cast<int>(i_ - line_start_); }
  void advance() {
    if (text_[i_] == '\n') {
      line_++;
      line_start_ = i_ + 1;
    }
    i_++;
  }
  void skip_line() {
    while (i_ < stop_ && text_[i_] != '\n') advance();
  }

  void step() {
    char c = text_[i_];
    if (c == '\n') {
      node_start_ = true;
      return advance();
    }
    if (blank(c)) return advance();
    // A comment starts a line or follows a blank; `a#b` is a word.
    if (c == '#' && (i_ == line_start_ || blank(text_[i_ - 1]))) return skip_line();
    if (open_.empty())
      block(c);
    else
      flow(c);
  }

  void block(char c) {
    if (!node_start_) {  // in a plain word or a key: only `: ` begins something
      if (c == ':' && ends_token(i_ + 1)) node_start_ = true;
      return advance();
    }
    if (c == '|' || c == '>') return skip_block_scalar();
    if (c == '&' || c == '!') {  // an anchor or a tag: the node comes after it
      while (i_ < stop_ && !ends_token(i_)) advance();
      return;
    }
    node_col_ = col();
    if (c == '[' || c == '{') return push(c);
    if (c == '"' || c == '\'') {
      skip_quoted(c);
      node_start_ = false;
      return;
    }
    // A sequence's entry, or an explicit key or value: a node follows.
    if ((c == '-' || c == '?' || c == ':') && ends_token(i_ + 1)) return advance();
    node_start_ = false;
    advance();
  }

  void flow(char c) {
    if (c == '[' || c == '{') return push(c);
    if (c == ']' || c == '}') {
      if (open_.back().bracket == (c == ']' ? '[' : '{')) open_.pop_back();
      node_start_ = false;  // back in block context (if that was the outermost): after a value
      return advance();
    }
    // A quote begins a string where a value may begin; `it's` is a word.
    char before = i_ == line_start_ ? ' ' : text_[i_ - 1];
    if ((c == '"' || c == '\'') &&
        (blank(before) || std::string_view("[{,:").find(before) != std::string_view::npos))
      return skip_quoted(c);
    advance();
  }

  void push(char bracket) {
    open_.push_back({{line_, col() + 1}, bracket});
    advance();
  }

  // From the opening quote past the closing one, across lines: `\"` in double quotes and `''`
  // in single quotes are the quote itself.
  void skip_quoted(char quote) {
    advance();
    while (i_ < stop_) {
      char c = text_[i_];
      if (quote == '"' && c == '\\') {
        advance();
        if (i_ < stop_) advance();
      } else if (c == quote && quote == '\'' && at(i_ + 1) == '\'') {
        advance();
        advance();
      } else {
        advance();
        if (c == quote) return;
      }
    }
  }

  // `|` or `>`: the rest of its line, then every line blank or indented more than its parent.
  void skip_block_scalar() {
    int parent = node_col_;
    skip_line();
    while (i_ < stop_) {  // at the '\n' ending a line of the scalar
      size_t next = i_ + 1, indent_end = next;
      while (indent_end < text_.size() && text_[indent_end] == ' ') indent_end++;
      bool empty =
          indent_end >= text_.size() || text_[indent_end] == '\n' || text_[indent_end] == '\r';
      if (!empty && static_cast<int>(indent_end - next) <= parent) return;
      advance();
      skip_line();
    }
  }
};

}  // namespace

std::optional<OpenBracket> unclosed_bracket(std::string_view text, size_t stop) {
  return BracketScanner(text, stop).run();
}

}  // namespace topo
