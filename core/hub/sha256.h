// sha256.h: streaming SHA-256 (OpenSSL's libcrypto), hex-encoded, for
// verifying downloads against the Hub's LFS hashes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace ft {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(std::string_view bytes);
    // Lowercase hex digest; the object cannot be updated afterwards.
    std::string finish();

private:
    struct Context;
    std::unique_ptr<Context> mContext;
};

// Hashes the whole of `file`.
std::string sha256File(const std::filesystem::path &file);

} // namespace ft
