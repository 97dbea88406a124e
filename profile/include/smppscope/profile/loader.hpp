// Reading provider profiles: TOML text -> validated provider_profile, or ONE error that names the
// source and line ("ovh.toml:12:9: window must be a positive integer, got -1"). Syntax errors
// (from toml++) and semantic errors (unknown PDU name, bad range) read the same way.
// Never throws, never aborts on any input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smppscope/profile/provider_profile.hpp"

namespace smppscope::profile {

struct load_error {
  std::string source;        // file path or "<builtin NAME>"
  std::uint32_t line = 0;    // 1-based; 0 when the error has no position
  std::uint32_t column = 0;  // 1-based; 0 when unknown
  std::string message;
  // "SOURCE:LINE:COLUMN: MESSAGE" (or "SOURCE: MESSAGE" without a position)
  std::string to_string() const;
};

struct load_result {
  profile_ptr profile;  // set on success
  load_error error;     // meaningful when !profile
  explicit operator bool() const noexcept { return profile != nullptr; }
};

// Parses and validates profile text; `source` names it in errors.
load_result parse_profile(std::string_view toml_text, std::string_view source);
// Reads a file (size-capped) and parses it.
load_result load_profile_file(const std::string& path);

// Profiles shipped inside the binary (profiles/*.toml at build time).
struct builtin_profile_text {
  std::string_view name;  // file stem: "ovhcloud"
  std::string_view text;  // TOML
};
std::span<const builtin_profile_text> builtin_profile_texts() noexcept;

// The shipped profiles, parsed once (thread-safe), sorted by name. A shipped profile that does
// not parse is a build defect; tests load each one.
const std::vector<profile_ptr>& builtin_profiles();
// nullptr when no shipped profile has this name.
profile_ptr find_builtin(std::string_view name);
inline constexpr std::string_view default_profile_name = "generic-3.4";
// The default profile (the specification alone).
profile_ptr generic_profile();

// Names of shipped profiles that define a vendor TLV tag / a vendor status value (the hint shown
// for vendor values when the session's profile does not name them).
std::vector<std::string_view> profiles_naming_tlv(std::uint16_t tag);
std::vector<std::string_view> profiles_naming_status(std::uint32_t value);
// The same, as rows for decoder::vendor_names::hint_tlvs / hint_statuses (vendor = profile name).
std::span<const decoder::tlv_spec> builtin_vendor_tlv_rows();
std::span<const decoder::status_spec> builtin_vendor_status_rows();

}  // namespace smppscope::profile
