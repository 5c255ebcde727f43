// post_processor.cpp: the templates of BERT, GPT-2 and RoBERTa tokenizers.
#include "text/post_processor.h"

namespace ft {

PostProcessor PostProcessor::plain()
{
    PostProcessor processor;
    processor.single = {TemplateItem{0, {}, {}, 0}};
    processor.pair = {TemplateItem{0, {}, {}, 0}, TemplateItem{1, {}, {}, 0}};
    return processor;
}

PostProcessor PostProcessor::bert(const std::string &cls, std::int32_t clsId, const std::string &sep,
                                  std::int32_t sepId)
{
    const TemplateItem clsItem{-1, cls, {clsId}, 0};
    const TemplateItem sepItem{-1, sep, {sepId}, 0};
    TemplateItem sepItem1 = sepItem;
    sepItem1.typeId = 1;
    PostProcessor processor;
    processor.single = {clsItem, TemplateItem{0, {}, {}, 0}, sepItem};
    processor.pair = {clsItem, TemplateItem{0, {}, {}, 0}, sepItem, TemplateItem{1, {}, {}, 1}, sepItem1};
    return processor;
}

PostProcessor PostProcessor::byteLevel(bool trimOffsets, bool addPrefixSpace)
{
    PostProcessor processor;
    processor.single = {TemplateItem{0, {}, {}, 0}};
    processor.pair = {TemplateItem{0, {}, {}, 0}, TemplateItem{1, {}, {}, 1}};
    processor.trimOffsets = trimOffsets;
    processor.addPrefixSpace = addPrefixSpace;
    return processor;
}

PostProcessor PostProcessor::roberta(const std::string &cls, std::int32_t clsId, const std::string &sep,
                                     std::int32_t sepId, bool trimOffsets, bool addPrefixSpace)
{
    const TemplateItem clsItem{-1, cls, {clsId}, 0};
    const TemplateItem sepItem{-1, sep, {sepId}, 0};
    PostProcessor processor;
    processor.single = {clsItem, TemplateItem{0, {}, {}, 0}, sepItem};
    processor.pair = {clsItem, TemplateItem{0, {}, {}, 0}, sepItem, sepItem, TemplateItem{1, {}, {}, 0}, sepItem};
    processor.trimOffsets = trimOffsets;
    processor.addPrefixSpace = addPrefixSpace;
    return processor;
}

std::size_t PostProcessor::addedTokens(bool isPair) const
{
    std::size_t count = 0;
    for (const TemplateItem &item : isPair ? pair : single) {
        if (item.sequence < 0)
            count += item.ids.size();
    }
    return count;
}

} // namespace ft
