#include "topo/language/addressing.h"

#include <map>
#include <numeric>
#include <set>

#include <fmt/format.h>

namespace topo {

namespace {

using u128 = unsigned __int128;

u128 to_int(const nl::IpPrefix& p) {
  u128 v = 0;
  for (int i = 0; i < p.byte_count(); i++) v = (v << 8) | p.bytes[i];
  return v;
}

nl::IpPrefix from_int(const nl::IpPrefix& like, u128 v, int len) {
  nl::IpPrefix p = like;
  p.len = len;
  for (int i = p.byte_count() - 1; i >= 0; i--, v >>= 8) p.bytes[i] = uint8_t(v & 0xff);
  return p;
}

// Hands out subnets of one length from a pool, skipping any that overlap the file's own.
class SubnetSource {
 public:
  SubnetSource(const char* name, const Pool& pool, int len, const std::vector<nl::IpPrefix>& taken)
      : name_(name), pool_(pool), len_(len), taken_(taken) {}

  std::optional<nl::IpPrefix> next() {
    needed_++;
    u128 count = u128(1) << (len_ - pool_.prefix.len);
    while (index_ < count) {
      nl::IpPrefix candidate = nth_subnet(pool_.prefix, len_, index_++);
      bool clash = false;
      for (const nl::IpPrefix& t : taken_) clash = clash || overlaps(candidate, t);
      if (!clash) {
        given_++;
        return candidate;
      }
    }
    return std::nullopt;
  }
  void skip_first() { index_ = 1; }

  void report(Diagnostics& d) const {
    if (given_ == needed_) return;
    d.error(pool_.pos, fmt::format("pool `{}` {} is exhausted: the lab needs {} /{} subnet{} from "
                                   "it and it has room for {} ({} more)",
                                   name_, pool_.prefix.text(), needed_, len_,
                                   needed_ == 1 ? "" : "s", given_, needed_ - given_));
  }

 private:
  const char* name_;
  Pool pool_;
  int len_;
  const std::vector<nl::IpPrefix>& taken_;
  u128 index_ = 0;
  size_t needed_ = 0, given_ = 0;
};

// Disjoint sets over node indexes: bridge nodes linked to each other form one segment.
struct Segments {
  std::vector<size_t> parent;
  explicit Segments(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t find(size_t x) { return parent[x] == x ? x : parent[x] = find(parent[x]); }
  void join(size_t a, size_t b) { parent[find(a)] = find(b); }
};

class Assigner {
 public:
  Assigner(Topology& t, Diagnostics& d) : t_(t), d_(d) {}

  void run() {
    for (const Node& n : t_.nodes)
      if (n.kind == NodeKind::bridge) bridges_.insert(n.name);
    collect_taken();
    const Addressing& a = t_.addressing;
    if (a.p2p) p2p_.emplace("p2p", *a.p2p, a.p2p_prefix, taken_);
    if (a.lan) lan_.emplace("lan", *a.lan, 24, taken_);
    if (a.ipv6) v6_.emplace("ipv6", *a.ipv6, 64, taken_);
    assign_loopbacks();
    for (size_t i = 0; i < t_.nodes.size(); i++) index_[t_.nodes[i].name] = i;
    Segments segments(t_.nodes.size());
    for (const Link& l : t_.links)
      if (l.endpoints.size() == 2 && is_bridge(l.endpoints[0]) && is_bridge(l.endpoints[1]))
        segments.join(index_[l.endpoints[0].node], index_[l.endpoints[1].node]);
    // A bridge segment with a host addressed in the file takes that host's subnets.
    for (const Link& l : t_.links)
      if (const Endpoint* bridge = bridge_end(l))
        for (const Endpoint& e : l.endpoints)
          for (const nl::IpPrefix& a : e.addresses) {
            Segment& s = bridge_segments_[segments.find(index_[bridge->node])];
            s.allocated = true;
            std::optional<nl::IpPrefix>& slot = a.is_v6() ? s.v6 : s.v4;
            if (!slot) slot = a.network();
          }
    for (Link& l : t_.links) {
      if (l.addresses_given || any_addressed(l)) continue;
      if (const Endpoint* bridge = bridge_end(l))
        assign_bridge_port(l, segments.find(index_[bridge->node]));
      else
        assign_link(l);
    }
    for (auto* source : {&p2p_, &lan_, &v6_, &loopback_v4_})
      if (*source) (*source)->report(d_);
    if (loopback_v6_) loopback_v6_->report(d_);
  }

 private:
  Topology& t_;
  Diagnostics& d_;
  std::vector<nl::IpPrefix> taken_;
  std::optional<SubnetSource> p2p_, lan_, v6_, loopback_v4_, loopback_v6_;
  std::map<std::string, size_t> index_;
  std::set<std::string> bridges_;
  struct Segment {
    bool allocated = false;
    std::optional<nl::IpPrefix> v4, v6;
    u128 next_host = 1;
  };
  std::set<std::pair<int, std::array<uint8_t, 16>>> used_;  // addresses written in the file
  std::map<size_t, Segment> bridge_segments_;

  // Per endpoint, so a lookup, not a scan of the nodes (a 10,000-node chain has 20,000 ends).
  bool is_bridge(const Endpoint& e) const { return bridges_.count(e.node) > 0; }
  // The end on a bridge node of a two-endpoint link, if there is one.
  const Endpoint* bridge_end(const Link& l) {
    if (l.endpoints.size() != 2) return nullptr;
    for (const Endpoint& e : l.endpoints)
      if (is_bridge(e)) return &e;
    return nullptr;
  }
  static bool any_addressed(const Link& l) {
    for (const Endpoint& e : l.endpoints)
      if (!e.addresses.empty()) return true;
    return false;
  }

  void collect_taken() {
    for (const Node& n : t_.nodes)
      for (const nl::IpPrefix& a : n.loopback) taken_.push_back(a.network());
    for (const Link& l : t_.links)
      for (const Endpoint& e : l.endpoints)
        for (const nl::IpPrefix& a : e.addresses) {
          taken_.push_back(a.network());
          used_.insert({a.family, a.bytes});
        }
  }

  void give(Endpoint& e, const nl::IpPrefix& address, Pos pos) {
    e.addresses.push_back(address);
    e.address_pos.push_back(pos);
  }

  void assign_loopbacks() {
    const Addressing& a = t_.addressing;
    bool wanted = false;
    for (const Node& n : t_.nodes)
      wanted = wanted || (n.kind == NodeKind::router && n.loopback.empty());
    if (!wanted) return;
    if (a.loopback) {
      loopback_v4_.emplace("loopback", *a.loopback, 32, taken_);
      loopback_v4_->skip_first();  // not the network address: r1 gets .1
    }
    if (a.ipv6) {
      // Loopbacks take the pool's first /64; links start at the second.
      std::optional<nl::IpPrefix> first = v6_->next();
      if (first) loopback_v6_.emplace("ipv6", Pool{*first, a.ipv6->pos}, 128, taken_);
      if (loopback_v6_) loopback_v6_->skip_first();  // not the subnet-router anycast ::0
    }
    for (Node& n : t_.nodes) {
      if (n.kind != NodeKind::router || !n.loopback.empty()) continue;
      for (auto* source : {&loopback_v4_, &loopback_v6_}) {
        if (!*source) continue;
        if (auto addr = (*source)->next()) {
          n.loopback.push_back(*addr);
          n.loopback_pos.push_back(n.pos);
        }
      }
    }
  }

  void assign_link(Link& l) {
    bool lan = l.is_lan();
    if (lan && lan_ && l.endpoints.size() > 253) {
      d_.error(l.pos, fmt::format("a LAN of {} endpoints does not fit the /24 the `lan` pool "
                                  "gives it (253 at most): address it in the file",
                                  l.endpoints.size()));
      return;
    }
    std::optional<SubnetSource>& v4_source = lan ? lan_ : p2p_;
    std::optional<nl::IpPrefix> v4 = v4_source ? v4_source->next() : std::nullopt;
    std::optional<nl::IpPrefix> v6 = v6_ ? v6_->next() : std::nullopt;
    // A /31 has no network or broadcast address: its hosts are 0 and 1.
    u128 first = v4 && v4->len == 31 ? 0 : 1;
    for (size_t i = 0; i < l.endpoints.size(); i++) {
      if (v4) give(l.endpoints[i], nth_host(*v4, first + i), l.pos);
      if (v6) give(l.endpoints[i], nth_host(*v6, 1 + i), l.pos);
    }
  }

  // A link from a bridge node: the far end takes the next host of the bridge's segment.
  void assign_bridge_port(Link& l, size_t segment_id) {
    Segment& s = bridge_segments_[segment_id];
    if (!s.allocated) {
      s.allocated = true;
      if (lan_) s.v4 = lan_->next();
      if (v6_) s.v6 = v6_->next();
    }
    for (Endpoint& e : l.endpoints) {
      if (is_bridge(e)) continue;
      // The next host number free in both subnets (the file may use some).
      auto free = [&](const std::optional<nl::IpPrefix>& net) {
        return !net || !used_.count({net->family, nth_host(*net, s.next_host).bytes});
      };
      while (!free(s.v4) || !free(s.v6)) s.next_host++;
      if (s.v4 && s.next_host > (u128(1) << (32 - s.v4->len)) - 2) {
        d_.error(l.pos, fmt::format("bridge {} has more hosts than its subnet {} holds",
                                    bridge_end(l)->node, s.v4->text()));
        return;
      }
      if (s.v4) give(e, nth_host(*s.v4, s.next_host), l.pos);
      if (s.v6) give(e, nth_host(*s.v6, s.next_host), l.pos);
      s.next_host++;
    }
  }
};

}  // namespace

nl::IpPrefix nth_subnet(const nl::IpPrefix& pool, int len, u128 k) {
  int bits = pool.max_len() - len;
  return from_int(pool, to_int(pool.network()) + (k << bits), len);
}

nl::IpPrefix nth_host(const nl::IpPrefix& subnet, u128 k) {
  return from_int(subnet, to_int(subnet.network()) + k, subnet.len);
}

bool overlaps(const nl::IpPrefix& a, const nl::IpPrefix& b) {
  if (a.family != b.family) return false;
  return a.len <= b.len ? a.contains(b) : b.contains(a);
}

void assign_addresses(Topology& topology, Diagnostics& diagnostics) {
  Assigner(topology, diagnostics).run();
}

}  // namespace topo
