// encoded_split.cpp
#include "train/encoded_split.h"

#include "text/tokenizer.h"

namespace ft {

std::span<const std::int64_t> EncodedSplit::idsOf(std::int64_t i) const
{
    return std::span(ids).subspan(static_cast<size_t>(offsets[i]), static_cast<size_t>(offsets[i + 1] - offsets[i]));
}

std::span<const std::int64_t> EncodedSplit::typeIdsOf(std::int64_t i) const
{
    return std::span(typeIds).subspan(static_cast<size_t>(offsets[i]), static_cast<size_t>(offsets[i + 1] - offsets[i]));
}

EncodedSplit encodeSplit(const Tokenizer &tokenizer, std::span<const Example> examples,
                         const std::unordered_map<std::string, std::int64_t> &labelIds, std::int64_t maxLength)
{
    EncodedSplit split;
    split.offsets.push_back(0);
    EncodeOptions options;
    options.maxLength = static_cast<std::size_t>(maxLength);
    for (const Example &example : examples) {
        if (!example.label)
            continue;
        const auto label = labelIds.find(*example.label);
        if (label == labelIds.end())
            continue;
        const Encoding encoding = example.textB ? tokenizer.encode(example.text, *example.textB, options)
                                                : tokenizer.encode(example.text, options);
        split.ids.insert(split.ids.end(), encoding.ids.begin(), encoding.ids.end());
        split.typeIds.insert(split.typeIds.end(), encoding.typeIds.begin(), encoding.typeIds.end());
        split.offsets.push_back(static_cast<std::int64_t>(split.ids.size()));
        split.labels.push_back(label->second);
        split.lengths.push_back(static_cast<std::int64_t>(encoding.size()));
        if (encoding.untruncatedLength > encoding.size())
            ++split.truncated;
    }
    return split;
}

} // namespace ft
