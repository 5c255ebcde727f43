// metrics.cpp: counts to scores, and sklearn's report layout.
#include "train/metrics.h"

#include "common/error.h"

#include <algorithm>
#include <cstdio>

namespace ft {

namespace {

double ratio(std::int64_t numerator, std::int64_t denominator)
{
    return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Python pads by code points; count UTF-8 lead bytes, not bytes.
std::size_t characters(const std::string &text)
{
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string rightAligned(const std::string &text, std::size_t width)
{
    const std::size_t length = characters(text);
    return length >= width ? text : std::string(width - length, ' ') + text;
}

std::string fixed(double value, int digits)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
    return buffer;
}

} // namespace

bool ClassificationMetrics::anyUndefined() const
{
    return std::any_of(perClass.begin(), perClass.end(),
                       [](const ClassScores &c) { return c.precisionUndefined || c.recallUndefined; });
}

ClassificationMetrics computeMetrics(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth,
                                     std::size_t numClasses)
{
    if (predicted.size() != truth.size())
        throw Error(ErrorKind::InvalidInput, "metrics: " + std::to_string(predicted.size()) + " predictions for "
                                                 + std::to_string(truth.size()) + " true labels");
    const auto classes = static_cast<std::int64_t>(numClasses);
    ClassificationMetrics m;
    m.total = static_cast<std::int64_t>(truth.size());
    m.confusion.assign(numClasses, std::vector<std::int64_t>(numClasses, 0));
    std::int64_t correct = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
            throw Error(ErrorKind::InvalidInput, "metrics: label id out of range [0, " + std::to_string(classes)
                                                     + ") at index " + std::to_string(i));
        ++m.confusion[static_cast<std::size_t>(truth[i])][static_cast<std::size_t>(predicted[i])];
        correct += truth[i] == predicted[i];
    }
    m.accuracy = ratio(correct, m.total);

    m.perClass.resize(numClasses);
    for (std::size_t c = 0; c < numClasses; ++c) {
        std::int64_t predictedAs = 0;
        std::int64_t actual = 0;
        for (std::size_t k = 0; k < numClasses; ++k) {
            predictedAs += m.confusion[k][c];
            actual += m.confusion[c][k];
        }
        const std::int64_t tp = m.confusion[c][c];
        ClassScores &s = m.perClass[c];
        s.support = actual;
        s.precision = ratio(tp, predictedAs);
        s.recall = ratio(tp, actual);
        // 2tp / (2tp + fp + fn): the harmonic mean of precision and recall,
        // defined (as 0) even when one of them is not.
        s.f1 = ratio(2 * tp, predictedAs + actual);
        s.precisionUndefined = predictedAs == 0;
        s.recallUndefined = actual == 0;
    }

    m.macro.support = m.weighted.support = m.total;
    for (const ClassScores &s : m.perClass) {
        m.macro.precision += s.precision;
        m.macro.recall += s.recall;
        m.macro.f1 += s.f1;
        m.weighted.precision += s.precision * static_cast<double>(s.support);
        m.weighted.recall += s.recall * static_cast<double>(s.support);
        m.weighted.f1 += s.f1 * static_cast<double>(s.support);
    }
    const double n = static_cast<double>(numClasses);
    const double weight = static_cast<double>(m.total);
    for (ClassScores *average : {&m.macro, &m.weighted}) {
        const double divisor = average == &m.macro ? n : weight;
        average->precision = divisor > 0 ? average->precision / divisor : 0;
        average->recall = divisor > 0 ? average->recall / divisor : 0;
        average->f1 = divisor > 0 ? average->f1 / divisor : 0;
    }
    return m;
}

std::string classificationReport(const ClassificationMetrics &m, std::span<const std::string> names, int digits)
{
    std::vector<std::string> rowNames;
    for (std::size_t c = 0; c < m.perClass.size(); ++c)
        rowNames.push_back(c < names.size() ? names[c] : std::to_string(c));

    // sklearn: width = max(longest class name, len("weighted avg"), digits).
    std::size_t width = std::max<std::size_t>(12, static_cast<std::size_t>(std::max(digits, 0)));
    for (const std::string &name : rowNames)
        width = std::max(width, characters(name));

    const auto cell = [](const std::string &text) { return " " + rightAligned(text, 9); };
    const auto row = [&](const std::string &name, const ClassScores &s) {
        return rightAligned(name, width) + " " + cell(fixed(s.precision, digits)) + cell(fixed(s.recall, digits))
               + cell(fixed(s.f1, digits)) + cell(std::to_string(s.support)) + "\n";
    };

    std::string report = rightAligned("", width) + " " + cell("precision") + cell("recall") + cell("f1-score")
                         + cell("support") + "\n\n";
    for (std::size_t c = 0; c < m.perClass.size(); ++c)
        report += row(rowNames[c], m.perClass[c]);
    report += "\n";
    report += rightAligned("accuracy", width) + " " + cell("") + cell("") + cell(fixed(m.accuracy, digits))
              + cell(std::to_string(m.total)) + "\n";
    report += row("macro avg", m.macro);
    report += row("weighted avg", m.weighted);
    return report;
}

} // namespace ft
