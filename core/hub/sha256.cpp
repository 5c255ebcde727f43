// sha256.cpp
#include "hub/sha256.h"

#include "common/error.h"

#include <openssl/evp.h>

#include <fstream>
#include <vector>

namespace ft {

struct Sha256::Context {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : mContext(std::make_unique<Context>())
{
    if (!mContext->ctx || EVP_DigestInit_ex(mContext->ctx, EVP_sha256(), nullptr) != 1)
        throw Error(ErrorKind::Internal, "cannot initialise SHA-256");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes)
{
    EVP_DigestUpdate(mContext->ctx, bytes.data(), bytes.size());
}

std::string Sha256::finish()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(mContext->ctx, digest, &length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 0xf];
    }
    return hex;
}

std::string sha256File(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::Io, "cannot read " + file.string());
    Sha256 hash;
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hash.update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
    }
    return hash.finish();
}

} // namespace ft
