// added_vocabulary.h: added and special tokens ([CLS], [MASK], ...) found in
// the text as literals, before the model sees it: the non-normalized ones in
// the raw input (case-sensitive), the normalized ones in normalized text,
// with Hugging Face's single_word, lstrip and rstrip rules.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class BertNormalizer;

struct AddedToken {
    std::string content;
    std::int32_t id = -1;
    bool special = false;
    bool normalized = false; // matched in normalized text (its content normalized too) instead of the raw input
    bool singleWord = false; // only where no word character touches it
    bool lstrip = false;     // the match takes the whitespace before it
    bool rstrip = false;     // the match takes the whitespace after it
};

class AddedVocabulary {
public:
    // A token found in text: its byte range (stripped whitespace included) and id.
    struct Match {
        std::size_t begin;
        std::size_t end;
        std::int32_t id;
    };

    AddedVocabulary() = default;
    // `normalizer` normalizes the content of the normalized tokens.
    AddedVocabulary(std::vector<AddedToken> tokens, const BertNormalizer &normalizer);

    // Appends the non-normalized tokens in `text`, leftmost-longest and
    // non-overlapping, in order.
    void findRaw(std::string_view text, std::vector<Match> &out) const { mRaw.find(mTokens, text, out); }
    // The same for the normalized tokens, in normalized text.
    void findNormalized(std::string_view text, std::vector<Match> &out) const
    {
        mNormalized.find(mTokens, text, out);
    }
    bool hasNormalized() const { return !mNormalized.empty(); }

    const std::vector<AddedToken> &tokens() const { return mTokens; }
    // The id of the added token with this content, or -1.
    std::int32_t find(std::string_view content) const;
    // The content of the added token with this id, or nullptr.
    const std::string *content(std::int64_t id) const;

private:
    class Matcher {
    public:
        void add(std::string pattern, std::size_t token);
        bool empty() const { return mPatterns.empty(); }
        void find(const std::vector<AddedToken> &tokens, std::string_view text, std::vector<Match> &out) const;

    private:
        struct Pattern {
            std::string text;
            std::size_t token;
        };
        std::vector<Pattern> mPatterns;
        // Patterns by first byte, longest first.
        std::array<std::vector<std::uint32_t>, 256> mByFirstByte;
    };

    std::vector<AddedToken> mTokens;
    Matcher mRaw;
    Matcher mNormalized;
};

} // namespace ft
