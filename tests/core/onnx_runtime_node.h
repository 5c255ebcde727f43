// onnx_runtime_node.h: logits from ONNX Runtime for Node (tests/export/run_onnx.mjs, installed by
// the export_npm_setup CTest fixture), for the export tests. Needs FT_NODE, FT_NODE_MODULES and
// FT_TESTS_DIR, which tests/CMakeLists.txt defines for those tests.
#pragma once

#include "testhelpers.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <QString>

#include <filesystem>
#include <fstream>
#include <vector>

namespace ft::test {

// `inputs` (run_onnx.mjs's INPUTS.json) through `model`; an undefined tensor and `failure` set when
// node fails.
inline at::Tensor onnxRuntimeLogits(const std::filesystem::path &model, const nlohmann::json &inputs,
                                    const std::filesystem::path &scratch, QString &failure)
{
    const std::filesystem::path inputFile = scratch / "ort-inputs.json";
    std::ofstream(inputFile) << inputs.dump();
    const std::filesystem::path script = std::filesystem::path(FT_TESTS_DIR) / "export" / "run_onnx.mjs";
    const QByteArray output = runProgram(
        FT_NODE, {QString::fromStdString(script.string()), "--modules", FT_NODE_MODULES, "--model",
                  QString::fromStdString(model.string()), "--inputs", QString::fromStdString(inputFile.string())},
        failure);
    if (!failure.isEmpty())
        return {};
    const nlohmann::json result = nlohmann::json::parse(output.toStdString());
    std::vector<float> values;
    for (const nlohmann::json &row : result["logits"])
        for (const nlohmann::json &value : row)
            values.push_back(value.get<float>());
    return at::tensor(values, at::kFloat)
        .view({result["dims"][0].get<std::int64_t>(), result["dims"][1].get<std::int64_t>()});
}

} // namespace ft::test
