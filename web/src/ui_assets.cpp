#include "smppscope/web/ui_assets.hpp"

namespace smppscope::web {

const ui_asset* find_ui_asset(std::string_view path) noexcept {
  if (path.empty() || path == "/") path = "/index.html";
  for (const ui_asset& a : ui_assets())
    if (a.path == path) return &a;
  return nullptr;
}

}  // namespace smppscope::web
