// proto_fields.h: the fields of one protobuf message, read without generated classes (libsentencepiece-dev
// ships none): a SentencePiece ModelProto's pieces, scores and types and its normalization table, and the
// SentencePieceText an encoding returns. Header-only, torch-free.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace ft {

class ProtoFields {
public:
    explicit ProtoFields(std::string_view bytes) : mBytes(bytes) {}

    // Moves to the next field; false at the end or at bytes that are not a well-formed field.
    bool next()
    {
        std::uint64_t key = 0;
        if (mAt >= mBytes.size() || !readVarint(key))
            return false;
        mField = key >> 3;
        mVarint = 0;
        mFixed32 = 0;
        mPayload = {};
        switch (key & 7) {
        case 0:
            return readVarint(mVarint);
        case 1:
            return skip(8);
        case 2: {
            std::uint64_t length = 0;
            if (!readVarint(length) || length > mBytes.size() - mAt)
                return false;
            mPayload = mBytes.substr(mAt, length);
            mAt += length;
            return true;
        }
        case 5:
            if (mBytes.size() - mAt < 4)
                return false;
            std::memcpy(&mFixed32, mBytes.data() + mAt, 4); // little-endian on the wire, as on this machine
            mAt += 4;
            return true;
        default:
            return false;
        }
    }
    std::uint64_t field() const { return mField; }
    std::uint64_t varint() const { return mVarint; }
    // A float field (wire type 5), such as a piece's score.
    float fixed32AsFloat() const
    {
        float value = 0;
        std::memcpy(&value, &mFixed32, sizeof value);
        return value;
    }
    std::string_view payload() const { return mPayload; }

private:
    bool readVarint(std::uint64_t &value)
    {
        value = 0;
        for (int shift = 0; shift < 64 && mAt < mBytes.size(); shift += 7) {
            const auto byte = static_cast<unsigned char>(mBytes[mAt++]);
            value |= std::uint64_t(byte & 0x7F) << shift;
            if ((byte & 0x80) == 0)
                return true;
        }
        return false;
    }
    bool skip(std::size_t count)
    {
        if (count > mBytes.size() - mAt)
            return false;
        mAt += count;
        return true;
    }

    std::string_view mBytes;
    std::size_t mAt = 0;
    std::uint64_t mField = 0;
    std::uint64_t mVarint = 0;
    std::uint32_t mFixed32 = 0;
    std::string_view mPayload;
};

} // namespace ft
