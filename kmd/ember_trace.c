// SPDX-License-Identifier: GPL-2.0-only
/* Instantiates the ember tracepoints declared in ember_trace.h. */

#define CREATE_TRACE_POINTS
#include "ember_trace.h"
