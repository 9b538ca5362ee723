// overloaded.h - one std::visit handler per alternative of a variant, so that the compiler
// refuses a visit that forgets one (an action kind added later is never silently ignored).
//
//   std::visit(overloaded{[&](const CreateVeth& v) { ... },
//                         [&](const SetLink& l) { ... },
//                         [](const OneOf<WriteHosts, LinkEtc> auto&) {}},  // nothing to do
//              action);
#pragma once

#include <type_traits>

namespace topo {

template <class... Handlers>
struct overloaded : Handlers... {
  using Handlers::operator()...;
};
template <class... Handlers>
overloaded(Handlers...) -> overloaded<Handlers...>;

// T is one of Types: for one handler that several alternatives share, named one by one (a
// plain `auto` handler would take alternatives nobody thought of).
template <class T, class... Types>
concept OneOf = (std::is_same_v<std::remove_cvref_t<T>, Types> || ...);

}  // namespace topo
