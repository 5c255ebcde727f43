// interrupt.h: Ctrl+C asks long work to stop cleanly. The first SIGINT sets a
// flag that progress callbacks poll (the work then ends with exit code 130
// and leaves resumable state); a second one ends the process at once.
#pragma once

namespace ft::cli {

void installInterruptHandler();
bool interrupted();

} // namespace ft::cli
