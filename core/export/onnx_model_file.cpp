// onnx_model_file.cpp: the ONNX file around a graph.
#include "export/onnx_model_file.h"

#include "common/error.h"
#include "common/version.h"
#include "models/atomic_file.h"

#include <climits>

namespace ft {

namespace {

// The IR version that goes with an opset (onnx/helper.py's VERSION_TABLE).
std::int64_t irVersionFor(int opset)
{
    return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

} // namespace

onnx::GraphProto &startOnnxModel(onnx::ModelProto &proto, int opset, const std::string &docString,
                                 const std::string &graphName)
{
    if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset)
        throw Error(ErrorKind::InvalidInput, "ONNX opset " + std::to_string(opset) + " is not supported; use "
                                                 + std::to_string(kMinOnnxOpset) + " to " + std::to_string(kMaxOnnxOpset));
    proto.set_ir_version(irVersionFor(opset));
    proto.set_producer_name(kApplicationName);
    proto.set_producer_version(kVersion);
    proto.set_doc_string(docString);
    onnx::OperatorSetIdProto *import = proto.add_opset_import();
    import->set_domain("");
    import->set_version(opset);
    onnx::GraphProto *graph = proto.mutable_graph();
    graph->set_name(graphName);
    return *graph;
}

void addOnnxMetadata(onnx::ModelProto &proto, const std::string &key, const std::string &value)
{
    onnx::StringStringEntryProto *entry = proto.add_metadata_props();
    entry->set_key(key);
    entry->set_value(value);
}

std::int64_t writeOnnxModel(const onnx::ModelProto &proto, const std::filesystem::path &file)
{
    // protobuf cannot serialise a message over 2 GiB; larger models need ONNX's external data.
    if (proto.ByteSizeLong() > std::size_t(INT_MAX))
        throw Error(ErrorKind::Incompatible, "the model is too large for a single ONNX file (over 2 GiB)");
    std::string bytes;
    if (!proto.SerializeToString(&bytes))
        throw Error(ErrorKind::Internal, "cannot serialise the ONNX model");
    writeFileAtomically(file, bytes);
    return std::int64_t(bytes.size());
}

} // namespace ft
