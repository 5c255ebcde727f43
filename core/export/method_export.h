// method_export.h: which export formats fit a run trained with adapters, prefix or prompt tuning
// (models/peft_methods.h). Prefix and prompt runs export to peft only: PEFT's adapter over the base
// model, which is what transformers-side tools load; their virtual tokens are no part of a transformers
// model and cannot be folded into its weights. Adapter runs export to no format: neither transformers
// nor PEFT loads bottleneck adapters, and the TorchScript and ONNX writers do not build them; their
// run folder (runs/N, model/ inside) is what predict, serve and eval take. Torch-free.
#pragma once

#include "export/export_format.h"

#include <string>

namespace ft {

// Throws ft::Error (InvalidInput) saying what to do instead when `format` does not fit a run whose
// configuration is `runConfigJson`; nothing for full, freeze and lora runs. `baseModel` is the run's
// model source ("scratch:..." for a scratch model, which a PEFT adapter cannot name).
void checkMethodExport(const std::string &runConfigJson, ExportFormat format, const std::string &runName,
                       const std::string &baseModel);

} // namespace ft
