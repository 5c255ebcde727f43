// predict_images.cpp: images in input order through ImagePredictor, in
// batches; unreadable images are reported with their file (and line) and
// skipped; the CSV appears only when every image is done.
#include "cli/predict_images.h"

#include "cli/csv_fields.h"
#include "cli/interrupt.h"
#include "common/error.h"
#include "data/column_mapping.h"
#include "data/image_check.h"
#include "data/row_source.h"
#include "infer/image_predictor.h"
#include "models/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace fs = std::filesystem;

namespace ft::cli {

namespace {

constexpr std::size_t kErrorsShown = 20;

struct ImageRow {
    std::string shown;  // the path as the input gives it
    fs::path file;      // resolved
    std::string where;  // "data.csv:12" or the file, for messages
};

// The rows of a data file's image column (paths relative to its folder), or
// every image file under a folder, sorted.
std::vector<ImageRow> imageRows(const ImagePredictRequest &request, std::int64_t &errors)
{
    std::vector<ImageRow> rows;
    std::error_code error;
    if (fs::is_directory(request.input, error)) {
        for (const auto &entry : fs::recursive_directory_iterator(request.input))
            if (entry.is_regular_file() && hasImageExtension(entry.path()))
                rows.push_back({fs::relative(entry.path(), request.input).string(), entry.path(), entry.path().string()});
        std::sort(rows.begin(), rows.end(), [](const ImageRow &a, const ImageRow &b) { return a.shown < b.shown; });
        return rows;
    }
    std::unique_ptr<RowSource> source = openRowSource(request.input, ReadOptions{});
    ColumnMapping mapping;
    mapping.image = request.imageColumn;
    const ResolvedColumns columns = resolveColumns(source->columns(), mapping, request.input.string(), true);
    if (!columns.image)
        throw Error(ErrorKind::InvalidInput, request.input.string() + " has no image column (image, image_path, img "
                                                                      "or file_name); name it with --image-column");
    SourceRow row;
    while (source->next(row)) {
        const std::string where = request.input.string() + ":" + std::to_string(row.line);
        std::string reason = row.error;
        if (reason.empty() && row.values[*columns.image].empty())
            reason = "no image path";
        if (!reason.empty()) {
            if (errors++ < std::int64_t(kErrorsShown))
                std::cerr << "finetune: warning: " << where << ": " << reason << " (row skipped)\n";
            continue;
        }
        const fs::path path = row.values[*columns.image];
        rows.push_back({path.string(), path.is_absolute() ? path : request.input.parent_path() / path, where});
    }
    return rows;
}

std::string header(const std::vector<std::string> &labels, bool logits)
{
    std::string line = "image,label";
    for (const char *prefix : {"prob_", "logit_"}) {
        if (std::string(prefix) == "logit_" && !logits)
            break;
        for (const std::string &label : labels) {
            line += ',';
            appendField(line, prefix + label);
        }
    }
    return line + '\n';
}

} // namespace

void predictImages(const ImagePredictRequest &request)
{
    std::int64_t errors = 0;
    const std::vector<ImageRow> rows = imageRows(request, errors);
    ImagePredictor predictor(request.modelFolder, request.options);
    const std::vector<std::string> &labels = predictor.labelNames();
    const auto start = std::chrono::steady_clock::now();
    AtomicFile out(request.output);
    out.write(header(labels, request.logits));

    std::int64_t done = 0;
    const std::size_t batch = std::max<std::size_t>(1, request.options.batchSize);
    for (std::size_t first = 0; first < rows.size(); first += batch) {
        if (interrupted())
            throw Error(ErrorKind::Cancelled, "cancelled; no output written");
        std::vector<RgbImage> images;
        std::vector<const ImageRow *> kept;
        for (std::size_t i = first; i < std::min(rows.size(), first + batch); ++i) {
            try {
                images.push_back(readRgbImage(rows[i].file));
                kept.push_back(&rows[i]);
            } catch (const Error &e) {
                if (errors++ < std::int64_t(kErrorsShown))
                    std::cerr << "finetune: warning: " << rows[i].where << ": " << e.what() << " (skipped)\n";
            }
        }
        if (images.empty())
            continue;
        const Predictions predictions = predictor.predict(images);
        const std::size_t k = predictions.numLabels;
        std::string lines;
        for (std::size_t r = 0; r < predictions.size(); ++r) {
            appendField(lines, kept[r]->shown);
            lines += ',';
            appendField(lines, predictions.labels[r]);
            for (std::size_t c = 0; c < k; ++c) {
                lines += ',';
                appendNumber(lines, predictions.probabilities[r * k + c]);
            }
            for (std::size_t c = 0; request.logits && c < k; ++c) {
                lines += ',';
                appendNumber(lines, predictions.logits[r * k + c]);
            }
            lines += '\n';
        }
        out.write(lines);
        done += std::int64_t(predictions.size());
    }
    out.commit();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (errors > std::int64_t(kErrorsShown))
        std::cerr << "finetune: warning: " << errors - std::int64_t(kErrorsShown) << " more errors\n";
    if (request.json) {
        std::cout << nlohmann::ordered_json{{"rows", done},
                                            {"errors", errors},
                                            {"seconds", seconds},
                                            {"rows_per_s", seconds > 0 ? double(done) / seconds : 0.0},
                                            {"output", request.output.string()},
                                            {"model", request.model},
                                            {"device", predictor.deviceName()},
                                            {"labels", labels}}
                         .dump()
                  << '\n';
    } else {
        char timing[64];
        std::snprintf(timing, sizeof timing, "%.2f s, %.1f images/s", seconds, seconds > 0 ? double(done) / seconds : 0.0);
        std::cout << "Predicted " << done << " images (" << errors << " skipped) in " << timing << " on "
                  << predictor.deviceName() << " into " << request.output.string() << '\n';
    }
}

} // namespace ft::cli
