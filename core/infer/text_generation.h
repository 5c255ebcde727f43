// text_generation.h: text from a causal language model (LlamaForCausalLM,
// GPT2LMHeadModel), one token at a time: greedy, or sampled with a
// temperature and top-p (nucleus) filtering as transformers' generate does,
// ending at the end-of-text token, a stop sequence or a token budget. Llama
// keeps its keys and values between steps, so each step computes one token.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class Classifier;
class Tokenizer;

struct GenerationOptions {
    std::int64_t maxNewTokens = 64;
    double temperature = 0;   // 0: greedy (the most likely token); > 0 samples from softmax(logits / temperature)
    double topP = 1.0;        // sampling keeps the fewest most likely tokens whose probabilities reach top_p
    std::vector<std::string> stopSequences; // the text ends before the first of these it produces
    std::uint64_t seed = 0;   // the sampling's generator: the same seed gives the same text
};

enum class StopReason { EndOfText, StopSequence, MaxNewTokens, Cancelled };
std::string stopReasonName(StopReason reason); // "eos", "stop_sequence", "max_new_tokens", "cancelled"

struct GeneratedText {
    std::string text;              // the continuation, decoded, a stop sequence cut off
    std::vector<std::int64_t> ids; // the tokens generated (the end-of-text token not included)
    std::int64_t promptTokens = 0;
    StopReason stopReason = StopReason::MaxNewTokens;
};

// Called after each token with the text so far; returning false stops (StopReason::Cancelled).
using GenerationProgress = std::function<bool(const std::string &text)>;

// A causal language model and its tokenizer, loaded from a model folder (or a run's).
class TextGenerator {
public:
    // Throws ft::Error naming the folder when it holds no llama or gpt2
    // model, or the file at fault.
    explicit TextGenerator(const std::filesystem::path &folder);
    TextGenerator(std::shared_ptr<Classifier> model, std::shared_ptr<const Tokenizer> tokenizer,
                  std::int64_t endOfText);
    ~TextGenerator();

    // The continuation of `prompt` (tokenised with the tokenizer's special tokens, as training tokenised prompts).
    GeneratedText generate(std::string_view prompt, const GenerationOptions &options,
                           const GenerationProgress &progress = {}) const;

    const Tokenizer &tokenizer() const { return *mTokenizer; }
    std::string architecture() const;

private:
    std::shared_ptr<Classifier> mModel;
    std::shared_ptr<const Tokenizer> mTokenizer;
    std::int64_t mEndOfText = -1;
};

} // namespace ft
