// The UI's static files (web/ui), embedded at build time by web/cmake/embed_ui.cmake.
#pragma once

#include <span>
#include <string_view>

namespace smppscope::web {

struct ui_asset {
  std::string_view path;          // "/index.html", "/js/table.js"
  std::string_view content_type;  // "text/javascript;charset=utf-8"
  std::string_view etag;          // quoted, from the file's SHA-1
  std::span<const unsigned char> data;
};

std::span<const ui_asset> ui_assets() noexcept;
// The asset for a request path ("/" is "/index.html"); nullptr when there is none.
const ui_asset* find_ui_asset(std::string_view path) noexcept;

}  // namespace smppscope::web
