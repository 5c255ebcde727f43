// error.h: the one exception type core throws. Its kind tells a caller (the
// CLI's exit code, the studio's message box) what went wrong without parsing
// the message; the message itself names the file, row or tensor at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace ft {

enum class ErrorKind {
    InvalidInput,  // a file, row or value that is malformed or not what was asked for
    NotFound,      // a path, project, dataset or run that does not exist
    Incompatible,  // written by a newer version, or a format we do not support
    Io,            // the operating system refused a read or write
    Cancelled,     // the user asked to stop
    Internal,      // a bug: an invariant of ours did not hold
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string &message)
        : std::runtime_error(message), mKind(kind) {}

    ErrorKind kind() const noexcept { return mKind; }

private:
    ErrorKind mKind;
};

} // namespace ft
