// load_expect.h - a file's text loaded as lab.yaml, and the one mistake it is expected to have:
// the loader's and the placement's tests share them.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "topo/language/loader.h"

namespace topo {

inline LoadResult load(const std::string& text) {
  return load_text("lab.yaml", text, "/labs");
}

// The file has exactly one error, at line:col, whose message contains `what`.
inline void expect_error(const std::string& text, int line, int col, const std::string& what) {
  LoadResult r = load(text);
  ASSERT_EQ(r.diagnostics.size(), 1u) << r.diagnostics.render();
  const Diagnostic& d = r.diagnostics.list()[0];
  EXPECT_EQ(d.pos.line, line) << d.message;
  EXPECT_EQ(d.pos.col, col) << d.message;
  EXPECT_NE(d.message.find(what), std::string::npos) << d.message;
  std::string rendered = r.diagnostics.render();
  EXPECT_EQ(rendered.rfind(fmt::format("lab.yaml:{}:{}: ", line, col), 0), 0u) << rendered;
}

}  // namespace topo
