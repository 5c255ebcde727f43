// method_export.cpp
#include "export/method_export.h"

#include "common/error.h"
#include "train/run_inputs.h"

#include <nlohmann/json.hpp>

namespace ft {

void checkMethodExport(const std::string &runConfigJson, ExportFormat format, const std::string &runName,
                       const std::string &baseModel)
{
    const nlohmann::json config = nlohmann::json::parse(runConfigJson, nullptr, /*allow_exceptions=*/false);
    const std::string method = config.is_object() ? config.value("method", "full") : "full";
    const std::string useRun = "finetune predict, serve and eval take the run folder (runs/N), whose model/ "
                               "holds them";
    if (method == "adapter")
        throw Error(ErrorKind::InvalidInput,
                    runName + " was trained with bottleneck adapters (method adapter), which neither transformers "
                        + "nor PEFT loads, and the " + toString(format) + " export does not build them: "
                        + useRun);
    if (method != "prefix" && method != "prompt")
        return;
    const std::string what = method == "prefix" ? "prefix tuning" : "prompt tuning";
    if (format != ExportFormat::Peft)
        throw Error(ErrorKind::InvalidInput,
                    runName + " was trained with " + what + ": its virtual tokens are no part of a transformers "
                        + "model and do not fold into its weights, so it exports as peft only (PeftModel.from_pretrained "
                        + "over the base model); " + useRun);
    if (baseModel.rfind(kScratchModelPrefix, 0) == 0)
        throw Error(ErrorKind::InvalidInput, runName + "'s base model was made from scratch and exists nowhere else, so "
                                                 + "its PEFT adapter cannot be applied; " + useRun);
}

} // namespace ft
