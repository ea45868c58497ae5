#pragma once
// Executors, the streaming context and the I/O that needs them: include this
// (or spate.hpp) to run jobs continuously, in micro-batches, in parallel.
#include "exec/context.hpp"
#include "exec/options.hpp"
#include "io/directory.hpp"
#include "io/rolling_file.hpp"
#include "io/socket.hpp"
#include "io/stdin.hpp"
