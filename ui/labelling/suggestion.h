// suggestion.h: a trained model's label for an example, as labelling mode
// and the examples table show it.
#pragma once

#include <QHash>
#include <QString>

#include <cstdint>

namespace ft::ui {

struct Suggestion {
    std::int64_t labelId = 0;
    QString label;
    double confidence = 0; // probability of the suggested label
    double margin = 0;     // top probability minus the second
    double entropy = 0;    // of the predicted distribution, nats
};

using Suggestions = QHash<std::int64_t, Suggestion>; // by example id

} // namespace ft::ui
