// sentencepiece_library.cpp: the Itanium C++ ABI calls of libsentencepiece's
// members by symbol: `this` first, and for a class returned by value (its
// util::Status, std::string), the address to build it at before `this`.
#include "text/sentencepiece_library.h"

#include <dlfcn.h>
#include <sentencepiece_processor.h> // for sizeof only: nothing of it is linked

#include <cstddef>
#include <mutex>

namespace ft {

namespace {

// util::Status: one pointer, null when ok (its rep_); destroyed by the library.
struct StatusBytes {
    void *rep = nullptr;
};

struct Library {
    void *handle = nullptr;
    std::string failure;

    void *symbol(const char *name)
    {
        void *address = handle ? dlsym(handle, name) : nullptr;
        if (handle && !address && failure.empty())
            failure = std::string("libsentencepiece has no ") + name;
        return address;
    }
};

Library open(const char *file)
{
    Library library;
    library.handle = dlopen(file, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!library.handle)
        library.failure = std::string("cannot load ") + file + " (Debian: libsentencepiece0): " + dlerror();
    return library;
}

struct Api {
    std::string failure;
    void (*construct)(void *self) = nullptr;
    void (*destroy)(void *self) = nullptr;
    void (*loadFromSerializedProto)(StatusBytes *status, void *self, std::string_view bytes) = nullptr;
    int (*getPieceSize)(const void *self) = nullptr;
    bool (*isUnknown)(const void *self, int id) = nullptr;
    bool (*isControl)(const void *self, int id) = nullptr;
    const std::string &(*idToPiece)(const void *self, int id) = nullptr;
    void (*serializedModelProto)(std::string *out, const void *self) = nullptr;
    void (*encodeAsSerializedProto)(std::string *out, const void *self, std::string_view text) = nullptr;
    void (*encodeIds)(StatusBytes *status, const void *self, std::string_view text, std::vector<int> *ids) = nullptr;
    void (*destroyStatus)(StatusBytes *status) = nullptr;
    void (*statusText)(std::string *out, const StatusBytes *status) = nullptr;
};

template <typename F>
void bind(Library &library, F &slot, const char *name)
{
    slot = reinterpret_cast<F>(library.symbol(name));
}

const Api &api()
{
    static const Api loaded = [] {
        Api api;
        Library library = open("libsentencepiece.so.0");
        bind(library, api.construct, "_ZN13sentencepiece22SentencePieceProcessorC1Ev");
        bind(library, api.destroy, "_ZN13sentencepiece22SentencePieceProcessorD1Ev");
        bind(library, api.loadFromSerializedProto,
             "_ZN13sentencepiece22SentencePieceProcessor23LoadFromSerializedProtoESt17basic_string_viewIcSt11char_"
             "traitsIcEE");
        bind(library, api.getPieceSize, "_ZNK13sentencepiece22SentencePieceProcessor12GetPieceSizeEv");
        bind(library, api.isUnknown, "_ZNK13sentencepiece22SentencePieceProcessor9IsUnknownEi");
        bind(library, api.isControl, "_ZNK13sentencepiece22SentencePieceProcessor9IsControlEi");
        bind(library, api.idToPiece, "_ZNK13sentencepiece22SentencePieceProcessor9IdToPieceB5cxx11Ei");
        bind(library, api.serializedModelProto,
             "_ZNK13sentencepiece22SentencePieceProcessor22serialized_model_protoB5cxx11Ev");
        bind(library, api.encodeAsSerializedProto,
             "_ZNK13sentencepiece22SentencePieceProcessor23EncodeAsSerializedProtoB5cxx11ESt17basic_string_viewIcSt11"
             "char_traitsIcEE");
        bind(library, api.encodeIds,
             "_ZNK13sentencepiece22SentencePieceProcessor6EncodeESt17basic_string_viewIcSt11char_traitsIcEEPSt6vectorIiSa"
             "IiEE");
        bind(library, api.destroyStatus, "_ZN13sentencepiece4util6StatusD1Ev");
        bind(library, api.statusText, "_ZNK13sentencepiece4util6Status8ToStringB5cxx11Ev");
        api.failure = library.failure;
        return api;
    }();
    return loaded;
}

// A Status returned by the library: its text when it is an error, then destroyed.
std::string takeFailure(const Api &api, StatusBytes &status)
{
    std::string text;
    if (status.rep) {
        api.statusText(&text, &status);
        if (text.empty())
            text = "failed";
    }
    api.destroyStatus(&status);
    return text;
}

// The processor object's bytes: at least sentencepiece::SentencePieceProcessor's.
constexpr std::size_t kProcessorBytes = 256;

} // namespace

static_assert(sizeof(sentencepiece::SentencePieceProcessor) <= kProcessorBytes);

struct SentencePieceProcessor::Storage {
    alignas(std::max_align_t) unsigned char bytes[kProcessorBytes];
    bool constructed = false;
};

std::unique_ptr<SentencePieceProcessor> SentencePieceProcessor::load(std::string_view model, std::string &failure)
{
    const Api &library = api();
    if (!library.failure.empty()) {
        failure = library.failure;
        return nullptr;
    }
    std::unique_ptr<SentencePieceProcessor> processor(new SentencePieceProcessor());
    processor->mStorage = std::make_unique<Storage>();
    library.construct(processor->mStorage->bytes);
    processor->mStorage->constructed = true;
    StatusBytes status;
    library.loadFromSerializedProto(&status, processor->mStorage->bytes, model);
    failure = takeFailure(library, status);
    return failure.empty() ? std::move(processor) : nullptr;
}

SentencePieceProcessor::~SentencePieceProcessor()
{
    if (mStorage && mStorage->constructed)
        api().destroy(mStorage->bytes);
}

int SentencePieceProcessor::pieceSize() const
{
    return api().getPieceSize(mStorage->bytes);
}

bool SentencePieceProcessor::isUnknown(int id) const
{
    return api().isUnknown(mStorage->bytes, id);
}

bool SentencePieceProcessor::isControl(int id) const
{
    return api().isControl(mStorage->bytes, id);
}

const std::string &SentencePieceProcessor::idToPiece(int id) const
{
    return api().idToPiece(mStorage->bytes, id);
}

std::string SentencePieceProcessor::serializedModelProto() const
{
    std::string out;
    api().serializedModelProto(&out, mStorage->bytes);
    return out;
}

std::string SentencePieceProcessor::encodeAsSerializedProto(std::string_view text) const
{
    std::string out;
    api().encodeAsSerializedProto(&out, mStorage->bytes, text);
    return out;
}

std::vector<int> SentencePieceProcessor::encodeIds(std::string_view text) const
{
    std::vector<int> ids;
    StatusBytes status;
    api().encodeIds(&status, mStorage->bytes, text, &ids);
    if (!takeFailure(api(), status).empty())
        ids.clear();
    return ids;
}

std::string trainSentencePiece(std::string_view flags)
{
    static Library library = open("libsentencepiece_train.so.0");
    using Train = void (*)(StatusBytes *, std::string_view, void *, std::string *);
    static const auto train = reinterpret_cast<Train>(library.symbol(
        "_ZN13sentencepiece20SentencePieceTrainer5TrainESt17basic_string_viewIcSt11char_traitsIcEEPNS_"
        "16SentenceIteratorEPNSt7__cxx1112basic_stringIcS3_SaIcEEE"));
    if (!train)
        return library.failure;
    static std::mutex one; // the trainer is not reentrant
    const std::lock_guard lock(one);
    StatusBytes status;
    train(&status, flags, nullptr, nullptr);
    return takeFailure(api(), status);
}

} // namespace ft
