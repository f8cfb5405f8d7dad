#pragma once

namespace shelter {
/// The version of this build, from the top-level CMake project().
inline constexpr const char* kVersion = SHELTER_VERSION;
}  // namespace shelter
