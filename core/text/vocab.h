// vocab.h: a token vocabulary: an open-addressing hash map from token
// strings to ids, whose keys live in one buffer it owns, and the reverse
// table from ids to tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

// String -> id map. Lookups take a string_view and allocate nothing.
class TokenMap {
public:
    void reserve(std::size_t count);
    // Adds `key` -> `id` and returns true, or returns false and changes
    // nothing when `key` is already present.
    bool insert(std::string_view key, std::int32_t id);
    // The id of `key`, or -1.
    std::int32_t find(std::string_view key) const;
    std::size_t size() const { return mEntries.size(); }
    // The longest key in bytes: no lookup of anything longer can succeed.
    std::size_t maxKeyLength() const { return mMaxKeyLength; }

private:
    struct Entry {
        std::uint32_t offset; // into mKeys
        std::uint32_t length;
        std::int32_t id;
    };
    struct Slot {
        std::uint32_t hash = 0; // the high half of the key's hash, compared before the bytes
        std::int32_t entry = -1;
    };

    static std::uint64_t hashKey(std::string_view key);
    std::string_view keyOf(const Entry &entry) const { return {mKeys.data() + entry.offset, entry.length}; }
    void rehash(std::size_t slotCount);

    std::string mKeys;
    std::vector<Entry> mEntries;
    std::vector<Slot> mSlots;
    std::size_t mMask = 0;
    std::size_t mMaxKeyLength = 0;
};

// A vocabulary: tokens with distinct, non-negative ids (not necessarily
// contiguous).
class Vocab {
public:
    // Ids above this are refused: the reverse table is indexed by id.
    static constexpr std::int32_t kMaxId = (1 << 24) - 1;

    void reserve(std::size_t count);
    // Adds a token. Returns false, changing nothing, when the token is
    // already present; throws std::invalid_argument when the id is negative,
    // above kMaxId or already used by another token (the loaders check first).
    bool add(std::string_view token, std::int32_t id);
    // The id of `token`, or -1.
    std::int32_t find(std::string_view token) const { return mMap.find(token); }
    // The token with `id`, or an empty view when there is none.
    std::string_view token(std::int64_t id) const;
    bool hasId(std::int64_t id) const
    {
        return id >= 0 && id < idLimit() && mById[static_cast<std::size_t>(id)].length != kNoToken;
    }
    std::size_t size() const { return mMap.size(); }
    // One more than the largest id.
    std::int64_t idLimit() const { return static_cast<std::int64_t>(mById.size()); }

    // Visits every (token, id), in id order.
    template <typename Visit>
    void forEach(Visit &&visit) const
    {
        for (std::size_t id = 0; id < mById.size(); ++id) {
            if (mById[id].length != kNoToken)
                visit(std::string_view(mText.data() + mById[id].offset, mById[id].length), std::int32_t(id));
        }
    }

private:
    static constexpr std::uint32_t kNoToken = 0xFFFFFFFF;
    struct Span {
        std::uint32_t offset = 0;
        std::uint32_t length = kNoToken;
    };

    TokenMap mMap;
    std::string mText;        // every token once, for the reverse table
    std::vector<Span> mById;  // id -> token in mText
};

} // namespace ft
