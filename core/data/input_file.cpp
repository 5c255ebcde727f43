// input_file.cpp: chunked reads, byte-order marks and streaming conversion
// to UTF-8, with the file named in every error.
#include "data/input_file.h"

#include "common/error.h"
#include "data/text_decoder.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kMaxRestarts = 1024; // thinned by half when full: memory stays bounded

bool isUtf16(TextEncoding encoding)
{
    return encoding == TextEncoding::Utf16Le || encoding == TextEncoding::Utf16Be;
}

} // namespace

InputFile::InputFile(const fs::path &path, TextEncoding encoding) : mPath(path), mEncoding(encoding)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorKind::NotFound, path.string() + " does not exist");
    if (fs::is_directory(path, ec))
        throw Error(ErrorKind::InvalidInput, path.string() + " is a folder, not a data file");
    mSize = fs::file_size(path, ec);
    if (ec)
        throw Error(ErrorKind::Io, "cannot read " + path.string() + ": " + ec.message());
    mIn.open(path, std::ios::binary);
    if (!mIn)
        throw Error(ErrorKind::Io, "cannot read " + path.string() + ": " + std::strerror(errno));

    std::array<unsigned char, 4> head{};
    mIn.read(reinterpret_cast<char *>(head.data()), head.size());
    const auto got = static_cast<std::size_t>(mIn.gcount());
    mIn.clear();
    // A byte-order mark says what the file is, whatever was asked for.
    if (got == 4 && head[0] == 0xFF && head[1] == 0xFE && head[2] == 0 && head[3] == 0)
        throw Error(ErrorKind::InvalidInput, path.string() + " is UTF-32 text; save it as UTF-8 or UTF-16");
    if (got >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) {
        mTextStart = 3;
        mEncoding = TextEncoding::Utf8;
    } else if (got >= 2 && head[0] == 0xFF && head[1] == 0xFE) {
        mTextStart = 2;
        mEncoding = TextEncoding::Utf16Le;
    } else if (got >= 2 && head[0] == 0xFE && head[1] == 0xFF) {
        mTextStart = 2;
        mEncoding = TextEncoding::Utf16Be;
    } else if (mEncoding == TextEncoding::Utf16) {
        throw Error(ErrorKind::InvalidInput, path.string() + " has no byte-order mark to tell UTF-16's byte order; "
                                                             "choose utf-16le or utf-16be");
    }
    if (mEncoding != TextEncoding::Utf8) {
        mDecoder = std::make_unique<TextDecoder>(mEncoding);
        mRaw.resize(kChunkBytes);
        mRestarts.emplace_back(0, mTextStart);
        mFileOffset = mTextStart;
        mIn.seekg(static_cast<std::streamoff>(mTextStart));
        return;
    }
    seek(mTextStart);
}

InputFile::~InputFile() = default;

std::size_t InputFile::readFile(char *buffer, std::size_t size)
{
    mIn.read(buffer, static_cast<std::streamsize>(size));
    const auto got = static_cast<std::size_t>(mIn.gcount());
    if (mIn.bad())
        throw Error(ErrorKind::Io, "cannot read " + mPath.string() + ": " + std::strerror(errno));
    mIn.clear(); // a short read at the end sets eof and fail; the next read just returns 0
    return got;
}

std::size_t InputFile::read(char *buffer, std::size_t size)
{
    if (!mDecoder) {
        const std::size_t got = readFile(buffer, size);
        mOffset += got;
        return got;
    }
    std::size_t done = 0;
    while (done < size) {
        if (mTextPos == mText.size()) {
            if (!decodeMore())
                break;
            continue;
        }
        const std::size_t n = std::min(size - done, mText.size() - mTextPos);
        std::memcpy(buffer + done, mText.data() + mTextPos, n);
        mTextPos += n;
        done += n;
        mOffset += n;
    }
    return done;
}

// Just after the last line end in `bytes` (which start at a character
// boundary), or 0: there the converter holds no cut character. A line end is
// a boundary in every supported encoding: no multi-byte GBK/GB18030 sequence
// contains the byte 0x0A, and in UTF-16 it is an aligned code unit.
std::size_t InputFile::restartPoint(const std::string &bytes) const
{
    if (isUtf16(mEncoding)) {
        const bool little = mEncoding == TextEncoding::Utf16Le;
        for (std::size_t i = bytes.size() & ~std::size_t{1}; i >= 2; i -= 2) {
            const char lo = bytes[i - 2], hi = bytes[i - 1];
            if (little ? (lo == '\n' && hi == 0) : (lo == 0 && hi == '\n'))
                return i;
        }
        return 0;
    }
    const auto at = bytes.rfind('\n');
    return at == std::string::npos ? 0 : at + 1;
}

bool InputFile::decodeMore()
{
    mText.clear();
    mTextPos = 0;
    if (mFileEnd)
        return false;
    const std::size_t got = readFile(mRaw.data(), mRaw.size());
    const std::uint64_t carryStart = mFileOffset - mCarry.size();
    mFileOffset += got;
    if (got == 0) {
        mFileEnd = true;
        if (!mCarry.empty() || mDecoderHolds)
            mDecoder->decode(mCarry.data(), mCarry.size(), true, mText);
        mCarry.clear();
        mDecoderHolds = false;
        return !mText.empty();
    }
    mCarry.append(mRaw.data(), got);
    const std::size_t restart = restartPoint(mCarry);
    if (restart == 0) {
        // No line end in sight (a very long line): convert all, and let the
        // converter keep a cut character for the next chunk.
        mDecoder->decode(mCarry.data(), mCarry.size(), false, mText);
        mDecoderHolds = true;
        mCarry.clear();
        return true;
    }
    mDecoder->decode(mCarry.data(), restart, true, mText);
    mDecoderHolds = false;
    mCarry.erase(0, restart);
    const std::uint64_t textAfter = mOffset + mText.size();
    if (textAfter > mRestarts.back().first) {
        if (mRestarts.size() == kMaxRestarts) {
            std::size_t kept = 0;
            for (std::size_t i = 0; i < mRestarts.size(); i += 2)
                mRestarts[kept++] = mRestarts[i];
            mRestarts.resize(kept);
        }
        mRestarts.emplace_back(textAfter, carryStart + restart);
    }
    return true;
}

void InputFile::seek(std::uint64_t offset)
{
    if (!mDecoder) {
        mIn.clear();
        mIn.seekg(static_cast<std::streamoff>(offset));
        if (!mIn)
            throw Error(ErrorKind::Io, "cannot seek in " + mPath.string());
        mOffset = offset;
        return;
    }
    const std::uint64_t windowStart = mOffset - mTextPos;
    if (offset >= windowStart && offset <= windowStart + mText.size()) {
        mTextPos = static_cast<std::size_t>(offset - windowStart);
        mOffset = offset;
        return;
    }
    // Convert again from the last restart point at or before `offset`.
    auto restart = std::upper_bound(mRestarts.begin(), mRestarts.end(), std::make_pair(offset, ~std::uint64_t{0}));
    --restart;
    mIn.clear();
    mIn.seekg(static_cast<std::streamoff>(restart->second));
    if (!mIn)
        throw Error(ErrorKind::Io, "cannot seek in " + mPath.string());
    mDecoder->reset();
    mDecoderHolds = false;
    mFileOffset = restart->second;
    mFileEnd = false;
    mCarry.clear();
    mText.clear();
    mTextPos = 0;
    mOffset = restart->first;
    std::array<char, 4096> skipped{};
    while (mOffset < offset) {
        if (read(skipped.data(), static_cast<std::size_t>(std::min<std::uint64_t>(skipped.size(), offset - mOffset)))
            == 0)
            throw Error(ErrorKind::Internal, "cannot seek past the end of the text of " + mPath.string());
    }
}

std::uint64_t InputFile::fileOffset(std::uint64_t textOffset) const
{
    return mDecoder ? std::min(mFileOffset, mSize) : textOffset;
}

char firstSignificantByte(const fs::path &path, TextEncoding encoding)
{
    InputFile file(path, encoding);
    std::array<char, 4096> buffer{};
    while (const std::size_t got = file.read(buffer.data(), buffer.size())) {
        for (std::size_t i = 0; i < got; ++i) {
            const char c = buffer[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                return c;
        }
    }
    return 0;
}

} // namespace ft
