// exit_codes.h: the documented exit statuses of `finetune`. Scripts rely on
// them: never renumber, only add.
#pragma once

#include "common/error.h"

namespace ft::cli {

enum ExitCode : int {
    kSuccess = 0,
    kFailure = 1,       // an I/O error or an internal failure
    kUsage = 2,         // bad command-line arguments
    kInvalidInput = 3,  // a malformed file, row or value; not a project; damaged database
    kNotFound = 4,      // a path, project, dataset or run that does not exist
    kIncompatible = 5,  // written by a newer version, or an unsupported format
    kCancelled = 130,   // interrupted by the user (as a shell reports SIGINT)
};

// Thrown by a command that ends with another process's status (the local
// workers of a data-parallel run), which has said what went wrong itself.
struct ExitStatus {
    int code = kFailure;
};

inline ExitCode exitCodeFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::InvalidInput: return kInvalidInput;
    case ErrorKind::NotFound: return kNotFound;
    case ErrorKind::Incompatible: return kIncompatible;
    case ErrorKind::Cancelled: return kCancelled;
    case ErrorKind::Io:
    case ErrorKind::Internal: return kFailure;
    }
    return kFailure;
}

inline constexpr const char *kExitCodeHelp =
    "Exit codes:\n"
    "  0    success\n"
    "  1    failure (I/O error, internal error)\n"
    "  2    usage error (bad arguments)\n"
    "  3    invalid input (malformed file or value, not a project, damaged database)\n"
    "  4    not found (path, project, dataset or run)\n"
    "  5    incompatible (written by a newer version, unsupported format)\n"
    "  130  cancelled\n"
    "Errors are printed on stderr.";

} // namespace ft::cli
