#include "netlink/error.h"

#include <string.h>

#include <fmt/format.h>

namespace nl {

static std::string compose(const std::string& netns, const std::string& object,
                           const std::string& operation, const std::string& text) {
  std::string where = netns.empty() ? "in the root netns" : fmt::format("in netns {}", netns);
  return fmt::format("{} {} {}: {}", operation, object, where, text);
}

Error::Error(std::string netns, std::string object, std::string operation, int errnum,
             std::string kernel_text)
    : std::runtime_error(compose(netns, object, operation, kernel_text)),
      netns_(std::move(netns)),
      object_(std::move(object)),
      operation_(std::move(operation)),
      errnum_(errnum),
      kernel_text_(std::move(kernel_text)) {}

std::string errno_text(int errnum) {
  char buf[256];
  // GNU strerror_r returns the message, which may or may not live in buf.
  return strerror_r(errnum, buf, sizeof buf);
}

void throw_errno(std::string netns, std::string object, std::string operation, int errnum) {
  throw Error(std::move(netns), std::move(object), std::move(operation), errnum,
              errno_text(errnum));
}

}  // namespace nl
