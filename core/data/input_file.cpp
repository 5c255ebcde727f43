// input_file.cpp: chunked reads with the file named in every error.
#include "data/input_file.h"

#include "common/error.h"

#include <array>
#include <cstring>

namespace fs = std::filesystem;

namespace ft {

InputFile::InputFile(const fs::path &path) : mPath(path)
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

    std::array<unsigned char, 3> head{};
    mIn.read(reinterpret_cast<char *>(head.data()), head.size());
    const auto got = static_cast<std::size_t>(mIn.gcount());
    mIn.clear();
    // UTF-16 and UTF-32 start with FF FE or FE FF; their text would read as
    // one invalid row after another, so say what the file is instead.
    if (got >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
        throw Error(ErrorKind::InvalidInput, path.string() + " is UTF-16 (or UTF-32) text; save it as UTF-8");
    if (got == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF)
        mTextStart = 3;
    seek(mTextStart);
}

std::size_t InputFile::read(char *buffer, std::size_t size)
{
    mIn.read(buffer, static_cast<std::streamsize>(size));
    const auto got = static_cast<std::size_t>(mIn.gcount());
    if (mIn.bad())
        throw Error(ErrorKind::Io, "cannot read " + mPath.string() + ": " + std::strerror(errno));
    mIn.clear(); // a short read at the end sets eof and fail; the next read just returns 0
    mOffset += got;
    return got;
}

void InputFile::seek(std::uint64_t offset)
{
    mIn.clear();
    mIn.seekg(static_cast<std::streamoff>(offset));
    if (!mIn)
        throw Error(ErrorKind::Io, "cannot seek in " + mPath.string());
    mOffset = offset;
}

char firstSignificantByte(const fs::path &path)
{
    InputFile file(path);
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
