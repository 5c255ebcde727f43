// occlusion.cpp: the grid of covered copies, predicted in batches.
#include "infer/occlusion.h"

#include "common/error.h"

#include <algorithm>
#include <cmath>

namespace ft {

OcclusionMap occlusionMap(ImagePredictor &predictor, const RgbImage &image, int patch, int stride, std::int64_t label)
{
    if (patch < 1 || stride < 1)
        throw Error(ErrorKind::InvalidInput, "the occlusion patch and stride must be at least 1 pixel");
    const ImageProcessorConfig &processor = predictor.processor();
    const RgbImage input = resizeForModel(image, processor);
    const Predictions whole = predictor.predictResized({input});
    OcclusionMap map;
    map.patch = patch;
    map.stride = stride;
    map.inputHeight = input.height;
    map.inputWidth = input.width;
    map.label = label < 0 ? whole.labelIds.front() : label;
    if (map.label >= std::int64_t(whole.numLabels))
        throw Error(ErrorKind::InvalidInput, "class " + std::to_string(map.label) + " is not one of the model's "
                                                 + std::to_string(whole.numLabels));
    map.probability = whole.probabilities[std::size_t(map.label)];
    map.rows = std::max(1, (input.height - std::min(patch, input.height)) / stride + 1);
    map.cols = std::max(1, (input.width - std::min(patch, input.width)) / stride + 1);

    // The 8-bit colour that normalises to (about) zero: the mean, as the model sees it.
    std::uint8_t fill[3];
    for (int c = 0; c < 3; ++c) {
        const double mean = processor.doNormalize ? processor.mean[std::size_t(c)] : 0.0;
        const double scale = processor.doRescale ? processor.rescaleFactor : 1.0;
        fill[c] = std::uint8_t(std::clamp(std::lround(mean / scale), 0L, 255L));
    }
    std::vector<RgbImage> covered;
    for (int r = 0; r < map.rows; ++r)
        for (int q = 0; q < map.cols; ++q) {
            RgbImage copy = input;
            for (int y = r * stride; y < std::min(input.height, r * stride + patch); ++y)
                for (int x = q * stride; x < std::min(input.width, q * stride + patch); ++x)
                    std::copy_n(fill, 3, copy.row(y) + x * 3);
            covered.push_back(std::move(copy));
        }
    const Predictions predictions = predictor.predictResized(covered);
    map.drop.reserve(covered.size());
    for (std::size_t i = 0; i < predictions.size(); ++i)
        map.drop.push_back(map.probability - predictions.probabilities[i * predictions.numLabels + std::size_t(map.label)]);
    return map;
}

} // namespace ft
