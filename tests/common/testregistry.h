// testregistry.h: several Qt Test classes in one executable (few binaries
// keep the build fast). Each class registers itself with FT_REGISTER_TEST;
// the binary runs them all, or the one named by its first argument, so CTest
// lists each class as its own test.
#pragma once

#include <QObject>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace ft::test {

using TestFactory = std::function<std::unique_ptr<QObject>()>;

std::map<std::string, TestFactory> &registry();
bool registerTest(const std::string &name, TestFactory factory);
// Runs the registered classes and returns the number that failed.
int runRegisteredTests(int argc, char **argv);

} // namespace ft::test

#define FT_REGISTER_TEST(Class)                                                                                        \
    static const bool ftRegistered##Class = ::ft::test::registerTest(#Class, [] { return std::make_unique<Class>(); })
