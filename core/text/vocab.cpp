// vocab.cpp: the token hash map and the vocabulary built on it.
#include "text/vocab.h"

#include <cstring>
#include <stdexcept>

namespace ft {

namespace {

std::uint64_t mix(std::uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

} // namespace

std::uint64_t TokenMap::hashKey(std::string_view key)
{
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ key.size();
    const char *p = key.data();
    std::size_t n = key.size();
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        h = mix(h ^ word);
        p += 8;
        n -= 8;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    return mix(h ^ tail ^ (std::uint64_t(n) << 59));
}

void TokenMap::reserve(std::size_t count)
{
    mEntries.reserve(count);
    std::size_t slots = 16;
    while (slots < count * 2)
        slots *= 2;
    if (slots > mSlots.size())
        rehash(slots);
}

void TokenMap::rehash(std::size_t slotCount)
{
    mSlots.assign(slotCount, Slot{});
    mMask = slotCount - 1;
    for (std::size_t i = 0; i < mEntries.size(); ++i) {
        const std::uint64_t hash = hashKey(keyOf(mEntries[i]));
        std::size_t at = hash & mMask;
        while (mSlots[at].entry >= 0)
            at = (at + 1) & mMask;
        mSlots[at] = Slot{static_cast<std::uint32_t>(hash >> 32), static_cast<std::int32_t>(i)};
    }
}

bool TokenMap::insert(std::string_view key, std::int32_t id)
{
    if ((mEntries.size() + 1) * 2 > mSlots.size())
        rehash(mSlots.empty() ? 16 : mSlots.size() * 2);
    const std::uint64_t hash = hashKey(key);
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    std::size_t at = hash & mMask;
    while (mSlots[at].entry >= 0) {
        if (mSlots[at].hash == tag && keyOf(mEntries[static_cast<std::size_t>(mSlots[at].entry)]) == key)
            return false;
        at = (at + 1) & mMask;
    }
    if (mKeys.size() + key.size() > 0xFFFFFFFFu || mEntries.size() >= 0x7FFFFFFF)
        throw std::length_error("token map too large");
    mSlots[at] = Slot{tag, static_cast<std::int32_t>(mEntries.size())};
    mEntries.push_back(Entry{static_cast<std::uint32_t>(mKeys.size()), static_cast<std::uint32_t>(key.size()), id});
    mKeys.append(key);
    if (key.size() > mMaxKeyLength)
        mMaxKeyLength = key.size();
    return true;
}

std::int32_t TokenMap::find(std::string_view key) const
{
    if (mSlots.empty())
        return -1;
    const std::uint64_t hash = hashKey(key);
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    std::size_t at = hash & mMask;
    while (mSlots[at].entry >= 0) {
        const Entry &entry = mEntries[static_cast<std::size_t>(mSlots[at].entry)];
        if (mSlots[at].hash == tag && entry.length == key.size()
            && std::memcmp(mKeys.data() + entry.offset, key.data(), key.size()) == 0)
            return entry.id;
        at = (at + 1) & mMask;
    }
    return -1;
}

void Vocab::reserve(std::size_t count)
{
    mMap.reserve(count);
    mById.reserve(count);
}

bool Vocab::add(std::string_view token, std::int32_t id)
{
    if (id < 0 || id > kMaxId)
        throw std::invalid_argument("token id out of range");
    const auto index = static_cast<std::size_t>(id);
    if (index < mById.size() && mById[index].length != kNoToken)
        throw std::invalid_argument("token id used twice");
    if (!mMap.insert(token, id))
        return false;
    if (index >= mById.size())
        mById.resize(index + 1);
    mById[index] = Span{static_cast<std::uint32_t>(mText.size()), static_cast<std::uint32_t>(token.size())};
    mText.append(token);
    return true;
}

std::string_view Vocab::token(std::int64_t id) const
{
    if (!hasId(id))
        return {};
    const Span &span = mById[static_cast<std::size_t>(id)];
    return {mText.data() + span.offset, span.length};
}

} // namespace ft
