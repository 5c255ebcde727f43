// split_evaluation.cpp: the split read in chunks of ids, each chunk's labelled
// examples predicted in one call (texts through Predictor, images decoded on
// a few threads and run through ImagePredictor).
#include "infer/split_evaluation.h"

#include "common/error.h"
#include "infer/image_predictor.h"
#include "infer/predictor.h"
#include "store/datasets.h"
#include "store/example_query.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace ft {

namespace {

constexpr std::size_t kTextChunk = 256;
// Images: small chunks, so progress and cancellation come every few seconds
// even for a large model on the CPU, and only a chunk of decoded images is held.
constexpr std::size_t kImageChunk = 32;
constexpr std::size_t kMaxReasons = 20;

void byLossDescending(std::vector<ExamplePrediction> &examples)
{
    std::stable_sort(examples.begin(), examples.end(),
                     [](const ExamplePrediction &a, const ExamplePrediction &b) { return a.loss > b.loss; });
}

// What both kinds of model share: the split's ids, the labelled examples of a
// chunk, and every prediction recorded for the metrics.
class Evaluation {
public:
    Evaluation(Project &project, std::int64_t datasetId, Split split, std::vector<std::string> labels,
               const EvaluationProgress &progress)
        : mProject(project), mProgress(progress)
    {
        mResult.labels = std::move(labels);
        for (std::size_t c = 0; c < mResult.labels.size(); ++c)
            mClassOf.emplace(mResult.labels[c], c);
        ExampleFilter filter;
        filter.datasetId = datasetId;
        filter.splits = {split};
        mIds = matchingIds(project, filter, {});
    }

    const std::vector<std::int64_t> &ids() const { return mIds; }
    SplitEvaluation &result() { return mResult; }

    // The examples of ids[begin, begin + count) whose label the model knows.
    std::vector<Example> labelled(std::size_t begin, std::size_t count)
    {
        const std::span<const std::int64_t> chunkIds(mIds.data() + begin, std::min(count, mIds.size() - begin));
        std::vector<Example> chunk;
        for (Example &example : examplesById(mProject, chunkIds)) {
            if (!example.label)
                continue;
            if (!mClassOf.count(*example.label)) {
                ++mResult.skipped;
                continue;
            }
            chunk.push_back(std::move(example));
        }
        return chunk;
    }

    // Row `row` of `p` is the prediction for `example`.
    void record(const Example &example, const Predictions &p, std::size_t row)
    {
        ExamplePrediction e;
        e.exampleId = example.id;
        e.truth = mClassOf.at(*example.label);
        e.predicted = static_cast<std::size_t>(p.labelIds[row]);
        e.confidence = p.probabilities[row * p.numLabels + e.predicted];
        e.loss = -std::log(std::max(1e-12, double(p.probabilities[row * p.numLabels + e.truth])));
        mResult.examples.push_back(e);
        mPredicted.push_back(std::int64_t(e.predicted));
        mTruth.push_back(std::int64_t(e.truth));
    }

    void reportProgress(std::size_t done)
    {
        if (mProgress && !mProgress(std::int64_t(std::min(done, mIds.size())), std::int64_t(mIds.size())))
            throw Error(ErrorKind::Cancelled, "evaluation cancelled");
    }

    SplitEvaluation finish()
    {
        if (!mPredicted.empty())
            mResult.metrics = computeMetrics(mPredicted, mTruth, mResult.labels.size());
        return std::move(mResult);
    }

private:
    Project &mProject;
    const EvaluationProgress &mProgress;
    std::unordered_map<std::string, std::size_t> mClassOf;
    std::vector<std::int64_t> mIds;
    SplitEvaluation mResult;
    std::vector<std::int64_t> mPredicted;
    std::vector<std::int64_t> mTruth;
};

SplitEvaluation evaluateTexts(Project &project, std::int64_t datasetId, const std::filesystem::path &modelFolder,
                              Split split, const EvaluationProgress &progress)
{
    Predictor predictor;
    predictor.load(modelFolder);
    Evaluation evaluation(project, datasetId, split, predictor.labelNames(), progress);
    for (std::size_t begin = 0; begin < evaluation.ids().size(); begin += kTextChunk) {
        const std::vector<Example> chunk = evaluation.labelled(begin, kTextChunk);
        if (!chunk.empty()) {
            std::vector<std::string_view> texts, pairs;
            bool anyPair = false;
            for (const Example &example : chunk) {
                texts.emplace_back(example.text);
                pairs.emplace_back(example.textB ? std::string_view(*example.textB) : std::string_view());
                anyPair = anyPair || example.textB.has_value();
            }
            const Predictions p = predictor.predict(
                texts, anyPair ? std::span<const std::string_view>(pairs) : std::span<const std::string_view>());
            for (std::size_t row = 0; row < chunk.size(); ++row)
                evaluation.record(chunk[row], p, row);
        }
        evaluation.reportProgress(begin + kTextChunk);
    }
    return evaluation.finish();
}

struct ReadImage {
    std::optional<RgbImage> input; // resized for the model; empty when the file could not be read
    std::string failure;           // then: the file and why
};

// Decodes and resizes the files on a few threads: for small models decoding,
// not the forward pass, is what the evaluation waits on. ft::Error (a missing
// or undecodable file) is kept per image; anything else is rethrown here.
std::vector<ReadImage> readImages(const std::vector<std::filesystem::path> &files, const ImageProcessorConfig &processor)
{
    std::vector<ReadImage> read(files.size());
    if (files.empty())
        return read;
    std::atomic<std::size_t> next{0};
    std::exception_ptr unexpected;
    std::mutex unexpectedMutex;
    const auto work = [&] {
        for (std::size_t i = next++; i < files.size(); i = next++) {
            try {
                read[i].input = resizeForModel(readRgbImage(files[i]), processor);
            } catch (const Error &e) {
                read[i].failure = e.what();
            } catch (...) {
                const std::lock_guard lock(unexpectedMutex);
                unexpected = std::current_exception();
            }
        }
    };
    const std::size_t threads =
        std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::min<std::size_t>(4, files.size()));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t)
        pool.emplace_back(work);
    work();
    for (std::thread &thread : pool)
        thread.join();
    if (unexpected)
        std::rethrow_exception(unexpected);
    return read;
}

SplitEvaluation evaluateImages(Project &project, std::int64_t datasetId, const std::filesystem::path &modelFolder,
                               Split split, const EvaluationProgress &progress)
{
    ImagePredictor predictor(modelFolder, PredictorOptions{});
    Evaluation evaluation(project, datasetId, split, predictor.labelNames(), progress);
    SplitEvaluation &result = evaluation.result();
    result.imageFolder = datasetImageFolder(project, datasetId);
    for (std::size_t begin = 0; begin < evaluation.ids().size(); begin += kImageChunk) {
        const std::vector<Example> chunk = evaluation.labelled(begin, kImageChunk);
        std::vector<std::filesystem::path> files;
        for (const Example &example : chunk) {
            if (!example.imagePath)
                throw Error(ErrorKind::InvalidInput,
                            modelFolder.string() + " classifies images, but example " + std::to_string(example.id)
                                + " of dataset '" + datasetName(project, datasetId) + "' has no image");
            files.push_back(result.imageFolder / *example.imagePath);
        }
        std::vector<ReadImage> read = readImages(files, predictor.processor());
        std::vector<RgbImage> inputs;
        std::vector<const Example *> predicted;
        for (std::size_t i = 0; i < read.size(); ++i) {
            if (read[i].input) {
                inputs.push_back(std::move(*read[i].input));
                predicted.push_back(&chunk[i]);
                continue;
            }
            ++result.unreadable;
            if (result.unreadableReasons.size() < kMaxReasons)
                result.unreadableReasons.push_back(std::move(read[i].failure));
        }
        if (!inputs.empty()) {
            const Predictions p = predictor.predictResized(inputs);
            for (std::size_t row = 0; row < predicted.size(); ++row)
                evaluation.record(*predicted[row], p, row);
        }
        evaluation.reportProgress(begin + kImageChunk);
    }
    return evaluation.finish();
}

} // namespace

std::vector<ExamplePrediction> SplitEvaluation::cell(std::size_t truth, std::size_t predicted) const
{
    std::vector<ExamplePrediction> found;
    for (const ExamplePrediction &example : examples)
        if (example.truth == truth && example.predicted == predicted)
            found.push_back(example);
    byLossDescending(found);
    return found;
}

SplitEvaluation evaluateSplit(Project &project, std::int64_t datasetId, const std::filesystem::path &modelFolder,
                              Split split, const EvaluationProgress &progress)
{
    if (ImagePredictor::handles(modelFolder))
        return evaluateImages(project, datasetId, modelFolder, split, progress);
    return evaluateTexts(project, datasetId, modelFolder, split, progress);
}

std::vector<ExamplePrediction> likelyLabelErrors(const SplitEvaluation &evaluation, double minConfidence)
{
    std::vector<ExamplePrediction> flagged;
    for (const ExamplePrediction &example : evaluation.examples)
        if (example.predicted != example.truth && example.confidence >= minConfidence)
            flagged.push_back(example);
    byLossDescending(flagged);
    return flagged;
}

} // namespace ft
