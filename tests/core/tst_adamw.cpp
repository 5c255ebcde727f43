// tst_adamw.cpp: the flat-buffer AdamW against LibTorch's own AdamW and
// clip_grad_norm_, on the same parameters and gradients.
#include "testregistry.h"
#include "train/adamw.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <QTest>

using namespace ft;

namespace {

struct Parameters {
    std::vector<AdamW::NamedParameter> named;
    std::vector<torch::Tensor> references; // independent copies for torch::optim::AdamW
};

Parameters makeParameters()
{
    torch::manual_seed(7);
    Parameters p;
    const std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
        {"encoder.layer.0.attention.self.query.weight", {8, 8}},
        {"encoder.layer.0.attention.self.query.bias", {8}},
        {"encoder.layer.0.output.LayerNorm.weight", {8}},
        {"classifier.weight", {3, 8}},
        {"embeddings.word_embeddings.weight", {20, 8}}};
    for (const auto &[name, shape] : shapes) {
        auto value = torch::randn(shape);
        p.named.emplace_back(name, value.clone().set_requires_grad(true));
        p.references.push_back(value.clone().set_requires_grad(true));
    }
    return p;
}

void setGradients(Parameters &p, int step)
{
    torch::manual_seed(100 + step);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < p.named.size(); ++i) {
        const auto grad = torch::randn(p.named[i].second.sizes()) * (step + 1);
        p.named[i].second.mutable_grad().copy_(grad);
        if (!p.references[i].grad().defined())
            p.references[i].mutable_grad() = torch::zeros_like(grad);
        p.references[i].mutable_grad().copy_(grad);
    }
}

} // namespace

class AdamWTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesLibTorchAdamW()
    {
        Parameters p = makeParameters();
        AdamWOptions options;
        options.weightDecay = 0.01;
        AdamW ours(p.named, options);
        QCOMPARE(ours.parameterCount(), int64_t(64 + 8 + 8 + 24 + 160));

        // The reference: two groups, decay on weights that are not biases or LayerNorm.
        std::vector<torch::Tensor> decayed, plain;
        for (size_t i = 0; i < p.named.size(); ++i)
            (decaysWeight(p.named[i].first) ? decayed : plain).push_back(p.references[i]);
        QCOMPARE(decayed.size(), size_t{3});
        std::vector<torch::optim::OptimizerParamGroup> groups;
        groups.emplace_back(decayed, std::make_unique<torch::optim::AdamWOptions>(
                                         torch::optim::AdamWOptions(1e-3).weight_decay(0.01)));
        groups.emplace_back(plain, std::make_unique<torch::optim::AdamWOptions>(
                                       torch::optim::AdamWOptions(1e-3).weight_decay(0.0)));
        torch::optim::AdamW reference(groups, torch::optim::AdamWOptions(1e-3));

        const double lrs[] = {1e-3, 5e-4, 0.0, 2e-3, 1e-3};
        for (int step = 0; step < 5; ++step) {
            setGradients(p, step);
            for (auto &group : reference.param_groups())
                static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lrs[step]);
            reference.step();
            ours.step(lrs[step]);
            for (size_t i = 0; i < p.named.size(); ++i) {
                const double difference = (p.named[i].second - p.references[i]).abs().max().item<double>();
                QVERIFY2(difference <= 1e-7, qPrintable(QStringLiteral("%1 after step %2: %3")
                                                            .arg(QString::fromStdString(p.named[i].first))
                                                            .arg(step + 1)
                                                            .arg(difference)));
            }
        }
        QCOMPARE(ours.stepCount(), int64_t(5));
    }

    void parametersStayUsableByAutograd()
    {
        Parameters p = makeParameters();
        AdamW ours(p.named, AdamWOptions{});
        // Backward accumulates into the flat gradient buffer the optimiser reads.
        auto loss = (p.named[3].second * 2).sum();
        loss.backward();
        QCOMPARE(p.named[3].second.grad().sum().item<double>(), 48.0);
        QVERIFY(ours.gradNorm() > 0);
        const auto before = p.named[3].second.clone();
        ours.step(0.1);
        QVERIFY(!torch::equal(before, p.named[3].second));
        ours.zeroGrad();
        QCOMPARE(ours.gradNorm(), 0.0);
        loss = (p.named[3].second * 3).sum();
        loss.backward();
        QCOMPARE(p.named[3].second.grad().sum().item<double>(), 72.0);
    }

    void clipsLikeClipGradNorm()
    {
        Parameters p = makeParameters();
        AdamW ours(p.named, AdamWOptions{});
        setGradients(p, 3);
        const double expected = torch::nn::utils::clip_grad_norm_(p.references, 1.0);
        const double norm = ours.clipGradNorm(1.0);
        QVERIFY(std::abs(norm - expected) / expected < 1e-6);
        for (size_t i = 0; i < p.named.size(); ++i)
            QVERIFY((p.named[i].second.grad() - p.references[i].grad()).abs().max().item<double>() < 1e-7);
        QVERIFY(std::abs(ours.gradNorm() - 1.0) < 1e-5);
    }

    void stateRoundTrips()
    {
        Parameters a = makeParameters();
        Parameters b = makeParameters();
        AdamW first(a.named, AdamWOptions{0.9, 0.999, 1e-8, 0.01});
        AdamW second(b.named, AdamWOptions{0.9, 0.999, 1e-8, 0.01});
        for (int step = 0; step < 3; ++step) {
            setGradients(a, step);
            first.step(1e-3);
        }
        AdamW::State saved = first.state();
        for (auto &t : saved.tensors)
            t = t.clone();
        second.loadState(saved);
        {
            torch::NoGradGuard noGrad;
            for (size_t i = 0; i < a.named.size(); ++i)
                b.named[i].second.copy_(a.named[i].second);
        }
        setGradients(a, 3);
        setGradients(b, 3);
        first.step(1e-3);
        second.step(1e-3);
        for (size_t i = 0; i < a.named.size(); ++i)
            QVERIFY(torch::equal(a.named[i].second, b.named[i].second));
        QCOMPARE(second.stepCount(), int64_t(4));
    }
};

FT_REGISTER_TEST(AdamWTest);

#include "tst_adamw.moc"
