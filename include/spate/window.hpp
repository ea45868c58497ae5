#pragma once
// spate's event time, windows and keyed state: include with spate.hpp.
//   time/    timestamps, watermark strategies, clocks, a scripted source for tests
//   window/  assigners, triggers, window operators, window functions, lateness
//   state/   keyed process functions, state cells, timers, update_state_by_key, map_with_state
#include "algebra/per_batch.hpp"
#include "state/map_with_state.hpp"
#include "state/primitives.hpp"
#include "state/process.hpp"
#include "state/update_state_by_key.hpp"
#include "time/clock.hpp"
#include "time/script.hpp"
#include "time/timestamp.hpp"
#include "time/travel.hpp"
#include "time/watermark.hpp"
#include "window/aggregations.hpp"
#include "window/assigners.hpp"
#include "window/reduce_by_window.hpp"
#include "window/triggers.hpp"
#include "window/window.hpp"
