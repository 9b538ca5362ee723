#include "netlink/rtnl_socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <cstring>
#include <utility>

#include "netlink/error.h"

namespace nl {

namespace {

// Records the kernel's errno and extended-ack message, then lets libnl fail the request as usual.
int record_error(sockaddr_nl*, nlmsgerr* err, void* arg) {
  auto* last = static_cast<detail::KernelError*>(arg);
  last->errnum = -err->error;
  last->message.clear();
  auto* hdr = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(err) - NLMSG_HDRLEN);
  if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) return NL_STOP;
  // With NETLINK_CAP_ACK the request is not echoed, so the TLVs follow the nlmsgerr directly.
  size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  if (offset >= hdr->nlmsg_len) return NL_STOP;
  auto* attrs = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(hdr) + offset);
  if (nlattr* msg = nla_find(attrs, static_cast<int>(hdr->nlmsg_len - offset), NLMSGERR_ATTR_MSG))
    last->message.assign(static_cast<const char*>(nla_data(msg)),
                         strnlen(static_cast<const char*>(nla_data(msg)), nla_len(msg)));
  return NL_STOP;
}

}  // namespace

Socket::Socket(nl_sock* sk, std::string netns)
    : sk_(sk), netns_(std::move(netns)), last_(std::make_unique<detail::KernelError>()) {}

Socket::Socket(Socket&& o) noexcept
    : sk_(std::exchange(o.sk_, nullptr)), netns_(std::move(o.netns_)), last_(std::move(o.last_)) {}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    if (sk_) nl_socket_free(sk_);
    sk_ = std::exchange(o.sk_, nullptr);
    netns_ = std::move(o.netns_);
    last_ = std::move(o.last_);
  }
  return *this;
}

Socket::~Socket() {
  if (sk_) nl_socket_free(sk_);
}

Socket Socket::connect(const std::string& netns) {
  nl_sock* sk = nl_socket_alloc();
  if (!sk) throw_errno(netns, "netlink socket", "allocate", ENOMEM);
  Socket s(sk, netns);
  int rc = nl_connect(sk, NETLINK_ROUTE);
  if (rc < 0) throw Error(netns, "netlink socket", "connect", 0, nl_geterror(rc));
  int one = 1;
  // Ask for the kernel's own words on failure, without an echo of our request.
  setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  // last_ lives on the heap, so its address survives moves of the Socket.
  nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, record_error, s.last_.get());
  return s;
}

void Socket::check(int rc, const std::string& object, const std::string& operation) const {
  if (rc >= 0) return;
  int errnum = last_->errnum;
  std::string text = errnum ? errno_text(errnum) : std::string(nl_geterror(rc));
  if (!last_->message.empty()) text += " (" + last_->message + ")";
  last_->errnum = 0;
  last_->message.clear();
  throw Error(netns_, object, operation, errnum, std::move(text));
}

}  // namespace nl
