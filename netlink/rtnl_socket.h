// socket.h - an owned NETLINK_ROUTE socket that keeps the kernel's own error for each request.
#pragma once

#include <memory>
#include <string>

struct nl_sock;

namespace nl {

namespace detail {
struct KernelError {
  int errnum = 0;       // the errno of the last NLMSG_ERROR
  std::string message;  // its extended-ack text, if the kernel sent one
};
}  // namespace detail

class Socket {
 public:
  // Connects in the calling thread's current network namespace; the socket stays bound to that
  // namespace for its whole life, whatever the thread does afterwards.
  static Socket connect(const std::string& netns);

  Socket(Socket&&) noexcept;
  Socket& operator=(Socket&&) noexcept;
  ~Socket();

  nl_sock* get() const { return sk_; }
  const std::string& netns() const { return netns_; }

  // Throws Error when a libnl call returned rc < 0, with the errno and the extended-ack text
  // the kernel sent in its NLMSG_ERROR (libnl's own mapping loses both).
  void check(int rc, const std::string& object, const std::string& operation) const;

 private:
  Socket(nl_sock* sk, std::string netns);

  nl_sock* sk_ = nullptr;
  std::string netns_;
  std::unique_ptr<detail::KernelError> last_;  // stable address for libnl's error callback
};

}  // namespace nl
