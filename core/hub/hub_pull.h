// hub_pull.h: `finetune model pull`: download a model repository from the
// Hugging Face Hub (or a mirror named by HF_ENDPOINT) into the same cache
// layout Hugging Face's own tools use, resuming partial files and checking
// large files against the Hub's LFS SHA-256.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ft {

struct HubFile {
    std::string path;   // inside the repository
    std::uint64_t size = 0;
    std::string blobId; // LFS sha256 for large files, git blob id otherwise
    bool lfs = false;
};

struct PullProgress {
    std::string file;
    int fileIndex = 0; // 1-based
    int fileCount = 0;
    std::uint64_t fileBytes = 0;
    std::uint64_t fileSize = 0;
    std::uint64_t doneBytes = 0;  // over all selected files
    std::uint64_t totalBytes = 0;
    int attempt = 1;              // > 1 while resuming after a dropped connection
};

struct PullOptions {
    std::string repoId;                 // e.g. "google-bert/bert-base-uncased"
    std::string revision = "main";      // branch, tag or commit
    std::string endpoint;               // empty: $HF_ENDPOINT, else https://huggingface.co
    std::filesystem::path cacheDir;     // empty: defaultHubCache()
    std::string token;                  // empty: $HF_TOKEN
    std::vector<std::string> include;   // extra glob patterns to fetch besides the model files
    int maxAttempts = 5;                // per file, resuming each time
    std::function<bool(const PullProgress &)> progress; // return false to cancel
};

struct PullResult {
    std::filesystem::path folder; // snapshots/<commit>: a checkpoint folder
    std::string commit;
    std::vector<HubFile> files;   // the files fetched or found in the cache
    std::uint64_t downloadedBytes = 0;
    int filesFromCache = 0;
};

PullResult pullModel(const PullOptions &options);

// The files a fine-tuning run needs: config, weights (safetensors preferred,
// pytorch_model.bin only when there are none), tokenizer and preprocessor
// files, the model card; plus anything matching `include`.
std::vector<HubFile> selectModelFiles(const std::vector<HubFile> &files, const std::vector<std::string> &include);

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::filesystem::path defaultHubCache();
// $HF_ENDPOINT, else https://huggingface.co (no trailing slash).
std::string defaultHubEndpoint();

} // namespace ft
