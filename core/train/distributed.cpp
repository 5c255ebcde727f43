// distributed.cpp
#include "train/distributed.h"

#include "common/error.h"

#include <ATen/ATen.h>
#include <cmath>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>


namespace ft {

namespace {

std::string reasonOf(const std::exception &error)
{
    if (const auto *torchError = dynamic_cast<const c10::Error *>(&error))
        return torchError->what_without_backtrace();
    return error.what();
}

Error collectiveFailed(const char *operation, int rank, const std::exception &error)
{
    return Error(ErrorKind::Io, std::string(operation) + " across the workers failed on rank " + std::to_string(rank)
                                    + " (a worker died, hangs or lost its connection): " + reasonOf(error));
}

} // namespace

struct ProcessGroup::Impl {
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

    // Runs a collective to its end; its failures as ft::Error.
    template <typename Start>
    void run(Start start, const char *operation, int rank)
    {
        try {
            start()->wait();
        } catch (const std::exception &e) {
            throw collectiveFailed(operation, rank, e);
        }
    }
};

struct ProcessGroup::PendingSum::Work {
    c10::intrusive_ptr<c10d::Work> work;
    std::vector<at::Tensor> tensors; // kept alive while the sum runs
    int rank = 0;
};

ProcessGroup::PendingSum::PendingSum() = default;
ProcessGroup::PendingSum::PendingSum(PendingSum &&) noexcept = default;
ProcessGroup::PendingSum &ProcessGroup::PendingSum::operator=(PendingSum &&) noexcept = default;

// One abandoned after a failure is still waited for: Gloo writes into the tensor until it ends.
ProcessGroup::PendingSum::~PendingSum()
{
    if (!mWork)
        return;
    try {
        mWork->work->wait();
    } catch (...) {
    }
}

void ProcessGroup::PendingSum::wait()
{
    if (!mWork)
        return;
    const std::unique_ptr<Work> work = std::move(mWork);
    try {
        work->work->wait();
    } catch (const std::exception &e) {
        throw collectiveFailed("summing", work->rank, e);
    }
}

ProcessGroup::PendingSum ProcessGroup::startSum(at::Tensor tensor)
{
    PendingSum pending;
    pending.mWork = std::make_unique<PendingSum::Work>();
    pending.mWork->tensors.push_back(std::move(tensor));
    pending.mWork->rank = mSetup.rank;
    try {
        pending.mWork->work = mImpl->group->allreduce(pending.mWork->tensors);
    } catch (const std::exception &e) {
        pending.mWork.reset();
        throw collectiveFailed("summing", mSetup.rank, e);
    }
    return pending;
}

ProcessGroup::ProcessGroup(const DistributedSetup &setup) : mSetup(setup), mImpl(std::make_unique<Impl>())
{
    const std::string where = setup.masterAddr + ":" + std::to_string(setup.masterPort);
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(setup.masterPort);
        options.isServer = setup.rank == 0;
        options.numWorkers = static_cast<std::size_t>(setup.worldSize);
        options.timeout = setup.timeout;
        mImpl->store = c10::make_intrusive<c10d::TCPStore>(setup.masterAddr, options);
        auto groupOptions = c10d::ProcessGroupGloo::Options::create(setup.timeout);
        groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        mImpl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(mImpl->store, setup.rank, setup.worldSize,
                                                                   groupOptions);
    } catch (const std::exception &e) {
        throw Error(ErrorKind::Io, "worker " + std::to_string(setup.rank) + " of " + std::to_string(setup.worldSize)
                                       + " could not join the others at " + where + ": " + reasonOf(e));
    }
}

ProcessGroup::~ProcessGroup() = default;

// c10d takes a list of tensors as one tensor per device: one collective each.
void ProcessGroup::allReduceSum(std::vector<at::Tensor> &tensors)
{
    for (at::Tensor &tensor : tensors) {
        std::vector<at::Tensor> one{tensor};
        mImpl->run([&] { return mImpl->group->allreduce(one); }, "summing", mSetup.rank);
    }
}

void ProcessGroup::broadcast(std::vector<at::Tensor> &tensors)
{
    for (at::Tensor &tensor : tensors) {
        std::vector<at::Tensor> one{tensor};
        mImpl->run([&] { return mImpl->group->broadcast(one); }, "broadcasting", mSetup.rank);
    }
}

void ProcessGroup::barrier()
{
    mImpl->run([&] { return mImpl->group->barrier(); }, "waiting for", mSetup.rank);
}

bool sumOverWorkers(ProcessGroup &group, AccumulatedGradients &step, bool cancelled)
{
    std::vector<at::Tensor> totals{at::tensor(
        {step.loss, double(step.samples), double(step.tokens), cancelled ? 1.0 : 0.0}, at::kDouble)};
    group.allReduceSum(totals);
    const at::Tensor sums = totals[0];
    step.loss = sums[0].item<double>();
    step.samples = std::llround(sums[1].item<double>());
    step.tokens = std::llround(sums[2].item<double>());
    return sums[3].item<double>() > 0;
}

} // namespace ft
