// image_cache.h: the images of a dataset, each decoded and reduced once
// (by the loader it is given) and kept in memory within a byte budget, so
// that later epochs skip the JPEG/PNG decoding that dominates the input
// pipeline. Safe to use from several threads; an image is loaded once even
// when several threads ask for it at the same time.
#pragma once

#include "vision/rgb_image.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace ft {

class ImageCache {
public:
    using Loader = std::function<RgbImage(std::int64_t example)>;

    // `load` may throw (ft::Error naming the file); nothing is cached then
    // and every caller asking for that example gets the error.
    ImageCache(Loader load, std::uint64_t byteBudget);

    std::shared_ptr<const RgbImage> get(std::int64_t example);

    std::uint64_t bytes() const;
    std::int64_t loads() const;   // calls of the loader so far
    std::int64_t hits() const;

private:
    struct Entry {
        std::shared_ptr<const RgbImage> image; // null while loading or when over budget
        bool loading = false;
    };

    Loader mLoad;
    std::uint64_t mBudget;
    mutable std::mutex mMutex;
    std::condition_variable mLoaded;
    std::map<std::int64_t, Entry> mEntries;
    std::uint64_t mBytes = 0;
    std::int64_t mLoads = 0, mHits = 0;
};

} // namespace ft
