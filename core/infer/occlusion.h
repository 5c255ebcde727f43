// occlusion.h: which parts of an image a classifier's decision rests on,
// found without gradients: a square of the model's input is painted over with
// the normalisation mean (zero after normalising) at each position of a grid,
// and the drop in the class's probability is recorded there.
#pragma once

#include "infer/image_predictor.h"

#include <cstdint>
#include <vector>

namespace ft {

struct OcclusionMap {
    int rows = 0, cols = 0;       // grid positions
    int patch = 0, stride = 0;    // in pixels of the model's input
    int inputHeight = 0, inputWidth = 0;
    std::int64_t label = 0;       // the class explained
    float probability = 0;        // its probability on the whole image
    std::vector<float> drop;      // rows x cols: probability - probability with that square covered
};

// `label` < 0 explains the predicted class. patch and stride are at least 1;
// each batch of covered images goes through predictResized.
OcclusionMap occlusionMap(ImagePredictor &predictor, const RgbImage &image, int patch, int stride,
                          std::int64_t label = -1);

} // namespace ft
