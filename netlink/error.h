// error.h - the one error type of the netlink layer.
#pragma once

#include <stdexcept>
#include <string>

namespace nl {

// A failed kernel operation: which namespace, which object, what was being done, and the
// kernel's own words for why it failed. what() reads
//   "create veth eth1 (peer lab-r2:eth1) in netns lab-r1: File exists".
class Error : public std::runtime_error {
 public:
  Error(std::string netns, std::string object, std::string operation, int errnum,
        std::string kernel_text);

  const std::string& netns() const { return netns_; }
  const std::string& object() const { return object_; }
  const std::string& operation() const { return operation_; }
  int errnum() const { return errnum_; }  // a positive errno, 0 when unknown
  const std::string& kernel_text() const { return kernel_text_; }

 private:
  std::string netns_, object_, operation_;
  int errnum_;
  std::string kernel_text_;
};

// strerror() that is thread-safe and never returns null.
std::string errno_text(int errnum);

// Throws Error with errno's text; `netns` may be empty for the root namespace.
[[noreturn]] void throw_errno(std::string netns, std::string object, std::string operation,
                              int errnum);

}  // namespace nl
