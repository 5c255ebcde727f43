// sentencepiece_library.h: libsentencepiece (Debian's libsentencepiece0), loaded
// at run time into a symbol scope of its own. The library carries its own
// copy of protobuf 3.14; linked into a process that also loads the system's
// libprotobuf (LibTorch does), each binds the other's symbols and the process
// dies before main. Opened with RTLD_LOCAL | RTLD_DEEPBIND, it keeps to its
// own copy, and the calls below reach it through its exported symbols.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ft {

class SentencePieceProcessor {
public:
    // A processor for a serialized ModelProto (a .model file's bytes), or null
    // with `failure` saying why: libsentencepiece's reason, or that the
    // library itself cannot be loaded.
    static std::unique_ptr<SentencePieceProcessor> load(std::string_view model, std::string &failure);
    ~SentencePieceProcessor();
    SentencePieceProcessor(const SentencePieceProcessor &) = delete;
    SentencePieceProcessor &operator=(const SentencePieceProcessor &) = delete;

    int pieceSize() const;
    bool isUnknown(int id) const;
    bool isControl(int id) const;
    const std::string &idToPiece(int id) const;
    std::string serializedModelProto() const;
    // The SentencePieceText of `text` (pieces with their ids, surfaces and byte
    // spans) serialized; safe from several threads at once, as libsentencepiece's Encode.
    std::string encodeAsSerializedProto(std::string_view text) const;
    // The ids of `text`, as libsentencepiece's Encode gives them (empty when it fails).
    std::vector<int> encodeIds(std::string_view text) const;

private:
    SentencePieceProcessor() = default;
    struct Storage;
    std::unique_ptr<Storage> mStorage;
};

// Runs SentencePieceTrainer::Train with `flags` ("--input=... --model_prefix=..."):
// empty on success, else why not. libsentencepiece_train, loaded like the library.
std::string trainSentencePiece(std::string_view flags);

} // namespace ft
