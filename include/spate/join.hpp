#pragma once
// Two inputs: connect, co_map / co_flat_map / co_process, interval and
// window joins, coGroup, Spark's per-batch joins (docs/joins.md).
#include "join/co_process.hpp"
#include "join/connect.hpp"
#include "join/either.hpp"
#include "join/batch_join.hpp"
#include "join/interval_join.hpp"
#include "join/window_join.hpp"
#include "join/broadcast.hpp"
