// generate_command.cpp: `finetune generate`, text from a causal language
// model (a Llama or GPT-2 folder, or a causal-lm run), and `finetune model
// convert-llama2c`, which makes such a folder of a llama2.c checkpoint.
#include "cli/commands.h"

#include "cli/interrupt.h"
#include "common/error.h"
#include "infer/text_generation.h"
#include "models/llama2c_convert.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace fs = std::filesystem;

namespace ft::cli {

namespace {

struct GenerateArguments {
    std::string model;
    std::vector<std::string> prompts;
    GenerationOptions options;
    bool json = false;
};

void runGenerate(const GenerateArguments &arguments)
{
    installInterruptHandler();
    const TextGenerator generator(arguments.model);
    for (const std::string &prompt : arguments.prompts) {
        const GeneratedText generated = generator.generate(prompt, arguments.options, [&](const std::string &) {
            return !interrupted();
        });
        if (arguments.json) {
            std::cout << nlohmann::json{{"prompt", prompt},
                                        {"text", generated.text},
                                        {"ids", generated.ids},
                                        {"prompt_tokens", generated.promptTokens},
                                        {"new_tokens", generated.ids.size()},
                                        {"stop_reason", stopReasonName(generated.stopReason)}}
                             .dump()
                      << '\n';
        } else {
            std::cout << prompt << generated.text << '\n';
        }
        if (generated.stopReason == StopReason::Cancelled)
            throw Error(ErrorKind::Cancelled, "generation interrupted");
    }
}

} // namespace

void addGenerateCommands(CLI::App &app, CLI::App &model, Action &action)
{
    auto generate = std::make_shared<GenerateArguments>();
    auto *command = app.add_subcommand(
        "generate", "Continue prompts with a causal language model (llama or gpt2): greedy by default, or sampled "
                    "with --temperature and --top-p. Prints each prompt followed by its continuation");
    command->add_option("--model", generate->model, "Model folder, or a causal-lm run's folder (PROJECT/runs/N)")
        ->required();
    command->add_option("--prompt", generate->prompts, "A prompt (repeatable)")->required();
    command->add_option("--max-new-tokens", generate->options.maxNewTokens, "Most tokens to generate per prompt")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 20));
    command->add_option("--temperature", generate->options.temperature,
                        "0 picks the most likely token; above 0 samples, flatter as it grows")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 100.0));
    command->add_option("--top-p", generate->options.topP,
                        "Sample among the fewest most likely tokens whose probabilities reach this")
        ->capture_default_str()
        ->check(CLI::Range(1e-9, 1.0));
    command->add_option("--stop", generate->options.stopSequences,
                        "Stop before this text when it is generated (repeatable)");
    command->add_option("--seed", generate->options.seed, "Seed of the sampling")->capture_default_str();
    command->add_flag("--json", generate->json,
                      "One JSON line per prompt: prompt, text, ids, prompt_tokens, new_tokens, stop_reason "
                      "(eos, stop_sequence, max_new_tokens)");
    command->callback([&action, generate] { action = [generate] { runGenerate(*generate); }; });

    struct ConvertArguments {
        std::string file;
        std::string folder;
        bool json = false;
    };
    auto convert = std::make_shared<ConvertArguments>();
    auto *convertCommand = model.add_subcommand(
        "convert-llama2c", "Convert a llama2.c checkpoint (the .bin run.c reads) into a Hugging Face llama folder "
                           "(config.json, model.safetensors) with a byte-level tokenizer for its vocabulary");
    convertCommand->add_option("FILE", convert->file, "llama2.c checkpoint (.bin)")->required();
    convertCommand->add_option("DIR", convert->folder, "Folder to write (created if needed)")->required();
    convertCommand->add_flag("--json", convert->json, "Print a JSON summary as the last line");
    convertCommand->callback([&action, convert] {
        action = [convert] {
            const LlamaConfig config = convertLlama2c(convert->file, convert->folder);
            if (convert->json) {
                std::cout << nlohmann::json{{"folder", fs::absolute(convert->folder).string()},
                                            {"hidden_size", config.hiddenSize},
                                            {"num_hidden_layers", config.numHiddenLayers},
                                            {"num_attention_heads", config.numAttentionHeads},
                                            {"num_key_value_heads", config.numKeyValueHeads},
                                            {"vocab_size", config.vocabSize},
                                            {"parameters", llamaParameterCount(config, LlamaHead::CausalLm)}}
                                 .dump()
                          << '\n';
            } else {
                std::cout << "Converted " << convert->file << " into " << convert->folder << " (llama, "
                          << config.numHiddenLayers << " layers, hidden " << config.hiddenSize << ", vocabulary "
                          << config.vocabSize << ")\n";
            }
        };
    });
}

} // namespace ft::cli
