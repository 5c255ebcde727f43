// testregistry.cpp
#include "testregistry.h"

#include <QTest>

#include <cstdio>
#include <vector>

namespace ft::test {

std::map<std::string, TestFactory> &registry()
{
    static std::map<std::string, TestFactory> tests;
    return tests;
}

bool registerTest(const std::string &name, TestFactory factory)
{
    registry().emplace(name, std::move(factory));
    return true;
}

int runRegisteredTests(int argc, char **argv)
{
    // `binary ClassName [qtest options]` runs one class; `binary --list` names them.
    std::string only;
    std::vector<char *> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (i == 1 && argv[i][0] != '-')
            only = argv[i];
        else
            args.push_back(argv[i]);
    }
    if (only.empty() && argc > 1 && std::string(argv[1]) == "--list") {
        for (const auto &entry : registry())
            std::printf("%s\n", entry.first.c_str());
        return 0;
    }
    if (!only.empty() && !registry().count(only)) {
        std::fprintf(stderr, "no test class named %s\n", only.c_str());
        return 1;
    }
    int failed = 0;
    for (const auto &[name, factory] : registry()) {
        if (!only.empty() && name != only)
            continue;
        const std::unique_ptr<QObject> test = factory();
        if (QTest::qExec(test.get(), static_cast<int>(args.size()), args.data()) != 0)
            ++failed;
    }
    return failed;
}

} // namespace ft::test
