// predict_images.h: `finetune predict` with an image classifier: the images
// named by a data file's image column, or every image in a folder, into a CSV.
#pragma once

#include "infer/predictor.h"

#include <filesystem>
#include <string>

namespace ft::cli {

struct ImagePredictRequest {
    std::filesystem::path modelFolder;
    std::string model; // as given, for the summary
    std::filesystem::path input;
    std::filesystem::path output;
    std::string imageColumn; // empty: image, image_path, img or file_name
    PredictorOptions options;
    bool logits = false;
    bool json = false;
};

void predictImages(const ImagePredictRequest &request);

} // namespace ft::cli
